/**
 * The auditor and a holder's lost-card report (CardReportedLost, ADR 0010): it replays the report
 * as a freeze, and names a report the registry's rules would not allow (a key without
 * CARD_FREEZER, a card that is no active consumer card).
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ROLES } from "../../src/chain/roles";
import { ROLE_GRANT_DELAY } from "../../src/chain/deploy";
import { CardKind, CardStatus } from "../../packages/terminal-sdk/src/constants";
import { RegistryModel, type NamedEvent } from "../../src/audit/registry-model";
import { checkLostCardReport } from "../../src/audit/lost-card-checks";
import { acting } from "../helpers/dual-control";
import { latestTime } from "../helpers/suite";
import { audit, deployAuditedLedger, slipArchive, slipFor, slipSettlements, settlementOfSlip } from "./helpers/audit-fixture";

/** The audited ledger with CARD_FREEZER granted to the gateway's account, and consumer 0's card reported lost. */
async function reportedFixture() {
  const f = await deployAuditedLedger();
  const { registry, accounts } = f;
  await (await registry.connect(accounts.governance).scheduleRoleGrant(ROLES.CARD_FREEZER, accounts.gateway.address)).wait();
  await time.increase(ROLE_GRANT_DELAY);
  await (await registry.connect(accounts.governance).grantRole(ROLES.CARD_FREEZER, accounts.gateway.address)).wait();
  await (await registry.connect(accounts.gateway).reportCardLost(f.consumers[0].cardId)).wait();
  return f;
}

const CARD = `0x${"11".repeat(32)}`;
const MERCHANT_CARD = `0x${"22".repeat(32)}`;
const REPORTER = `0x${"33".repeat(20)}`;
const where = { block: 7, tx: `0x${"44".repeat(32)}` };
const event = (name: string, args: Record<string, unknown>): NamedEvent => ({ name, args: args as NamedEvent["args"] });

/** A replayed registry: one consumer and one merchant card, CARD_FREEZER held by REPORTER when asked. */
function model(withRole: boolean): RegistryModel {
  const m = new RegistryModel();
  m.apply(event("CardIssued", { cardId: CARD, account: 1n, kind: CardKind.Consumer, key: REPORTER }));
  m.apply(event("CardIssued", { cardId: MERCHANT_CARD, account: 2n, kind: CardKind.Merchant, key: REPORTER }));
  if (withRole) m.apply(event("RoleGranted", { role: ROLES.CARD_FREEZER, account: REPORTER }));
  return m;
}

describe("auditor: lost-card reports", function () {
  describe("on chain", function () {
    it("finds no discrepancy in a report, and the ledger's refusal of the card's next settlement", async function () {
      const f = await loadFixture(reportedFixture);
      const slip = slipFor(f.shop.terminals[0], f.consumers[0], "after-report", await latestTime());
      await (await f.gateway.settleBatch([await settlementOfSlip(f.ledger, f.shop.terminals[0], f.consumers[0], slip, 0n)])).wait();
      const { items, slips } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers.slice(1), 2, 1n, "others");
      await (await f.gateway.settleBatch(items)).wait();
      const report = await audit(f.deployment, { slipDir: slipArchive([slip, ...slips]) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.rejectedSettlements).to.equal(1);
      expect(report.counts.settlements).to.equal(2);
    });

    it("replays the report as a freeze that the bank's unfreeze lifts", async function () {
      const f = await loadFixture(reportedFixture);
      await (await acting(f.registry, f.accounts.bank).unfreezeCard(f.consumers[0].cardId)).wait();
      const { items, slips } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers.slice(0, 1), 1, 0n, "unfrozen");
      await (await f.gateway.settleBatch(items)).wait();
      const report = await audit(f.deployment, { slipDir: slipArchive(slips) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.settlements).to.equal(1);
    });
  });

  describe("the replayed registry", function () {
    it("marks the reported card frozen", function () {
      const m = model(true);
      expect(m.apply(event("CardReportedLost", { cardId: CARD, account: 1n, reporter: REPORTER }))).to.equal(true);
      expect(m.card(CARD)?.status).to.equal(CardStatus.Frozen);
    });

    it("finds nothing in a report of an active consumer card by a CARD_FREEZER holder", function () {
      expect(checkLostCardReport(model(true), event("CardReportedLost", { cardId: CARD, account: 1n, reporter: REPORTER }), where)).to.deep.equal([]);
    });

    it("names a report by a key that did not hold CARD_FREEZER", function () {
      const found = checkLostCardReport(model(false), event("CardReportedLost", { cardId: CARD, account: 1n, reporter: REPORTER }), where);
      expect(found.map((d) => d.code)).to.deep.equal(["lost_report.reporter_not_card_freezer"]);
      expect(found[0]).to.deep.include({ card: CARD, ...where });
    });

    it("names a report of a merchant card, of a frozen card and of an unknown one", function () {
      const m = model(true);
      expect(checkLostCardReport(m, event("CardReportedLost", { cardId: MERCHANT_CARD, account: 2n, reporter: REPORTER }), where).map((d) => d.code)).to.deep.equal(["lost_report.card_not_active_consumer"]);
      m.apply(event("CardFrozen", { cardId: CARD, credentialId: 1n }));
      expect(checkLostCardReport(m, event("CardReportedLost", { cardId: CARD, account: 1n, reporter: REPORTER }), where).map((d) => d.code)).to.deep.equal(["lost_report.card_not_active_consumer"]);
      expect(checkLostCardReport(m, event("CardReportedLost", { cardId: `0x${"55".repeat(32)}`, account: 9n, reporter: REPORTER }), where).map((d) => d.code)).to.deep.equal(["lost_report.card_unknown"]);
    });
  });
});
