import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { id } from "ethers";
import { CardKind, cardIdFor, issueCard, keyFor, latestTime, proposeAndGetId, removeAccountCredential } from "../helpers/suite";
import { ROLES } from "../../src/chain/roles";
import { passkeyFor } from "../helpers/operators";
import { locate, refundAt, settleRecorded, signRedemption, redemptionMessage, submitRefund, submitRedemption, voidAction } from "../helpers/ledger-ops";
import { slipHash } from "../../src/domain/slips";
import { audit, codes, deployAuditedLedger, slipArchive, slipSettlements } from "./helpers/audit-fixture";
import { dual, enrolHolder } from "../helpers/dual-control";

/** A ledger with settlements at two merchants, a refund, a redemption, a correction and a replaced card. */
async function activeLedger() {
  const f = await deployAuditedLedger();
  const { ledger, shop, cafe, consumers, accounts, registry } = f;
  const atShop = await slipSettlements(ledger, shop.terminals[0], consumers, 12, 0n, "shop");
  const atCafe = await slipSettlements(ledger, cafe.terminals[0], consumers, 6, 0n, "cafe");
  const batch = await settleRecorded(f, atShop.items);
  await settleRecorded(f, atCafe.items);
  const refunded = locate(batch, atShop.items[0].settlement.orderId);
  await (await submitRefund(f.gateway, await refundAt(ledger, shop.terminals[0], { nonce: 100n, order: refunded.order, amount: refunded.order.amount / 2n }), refunded)).wait();
  const redemption = redemptionMessage({ cardId: consumers[1].cardId, terminal: cafe.terminals[0].address, nonce: 100n, points: 10n, time: await latestTime() });
  await (await submitRedemption(f.gateway, await signRedemption(ledger, redemption, cafe.terminals[0], consumers[1].key))).wait();
  const action = voidAction(ledger, { cardId: consumers[2].cardId, merchantId: shop.id, points: 1n, creditPoints: 0n, reasonCode: 7 });
  const proposal = await proposeAndGetId(ledger, accounts.bank, action);
  await (await dual(ledger, accounts.creditCenter).approve(proposal, action)).wait();
  const replaceAction = registry.interface.encodeFunctionData("replaceCard", [consumers[3].cardId, cardIdFor("consumer-3-new"), keyFor("consumer-3-new").address]);
  const replacement = await proposeAndGetId(registry, accounts.creditCenter, replaceAction);
  await (await dual(registry, accounts.bank).approve(replacement, replaceAction)).wait();
  return { ...f, slips: [...atShop.slips, ...atCafe.slips] };
}

describe("auditor", function () {
  describe("on an honest ledger", function () {
    it("finds no discrepancy and counts what it checked", async function () {
      const f = await loadFixture(activeLedger);
      const report = await audit(f.deployment, { slipDir: slipArchive(f.slips) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts).to.deep.include({
        settlements: 18,
        batches: 2,
        refunds: 1,
        redemptions: 1,
        corrections: 1,
        signaturesChecked: 18 * 2 + 1 + 2,
        slipsRead: 18,
        slipsMatched: 18,
        slipsUnsettled: 0,
      });
      // 3 merchant cards, 4 consumer cards and the replacement; 7 issued + 1 replaced + 1 voiding.
      expect(report.counts.cards).to.equal(8);
      expect(report.counts.dualControlActions).to.equal(9);
      expect(report.counts.stateValuesCompared).to.be.greaterThan(100);
    });

    it("finds no discrepancy when passkeys sign, an outsider relays, and a credential is removed afterwards", async function () {
      const f = await loadFixture(deployAuditedLedger);
      const { operators, registry, accounts } = f;
      const ana = await enrolHolder(operators, ROLES.BANK, "audit:bank-ana", { passkey: passkeyFor("audit:bank-ana") }, [accounts.bank, accounts.bank2]);
      const action = registry.interface.encodeFunctionData("issueCard", [cardIdFor("audit:passkey"), CardKind.Consumer, keyFor("audit:passkey").address, id("c")]);
      await (await dual(registry, ana, accounts.outsider).propose(action)).wait();
      await (await dual(registry, accounts.creditCenter2, accounts.outsider).approve(await registry.proposalCount(), action)).wait();
      await removeAccountCredential(operators, accounts.creditCenter2);
      const report = await audit(f.deployment);
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.dualControlActions).to.equal(8);
    });

    it("audits the state as of --to-block, ignoring later blocks", async function () {
      const f = await loadFixture(deployAuditedLedger);
      const first = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 5, 0n, "early");
      await settleRecorded(f, first.items);
      const audited = await ethers.provider.getBlockNumber();
      const later = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 5, 5n, "late");
      await settleRecorded(f, later.items);
      const report = await audit(f.deployment, { toBlock: audited, slipDir: slipArchive(first.slips) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.toBlock).to.equal(audited);
      expect(report.counts.settlements).to.equal(5);
    });

    it("recovers signatures in worker threads with the same result", async function () {
      const f = await loadFixture(activeLedger);
      const report = await audit(f.deployment, { workers: 2 });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.signaturesChecked).to.equal(18 * 2 + 1 + 2);
    });

    it("finds no discrepancy in a refund of an order a correction voided, which reverses only what the correction left", async function () {
      const f = await loadFixture(deployAuditedLedger);
      const { ledger, shop, consumers, accounts } = f;
      const settled = await slipSettlements(ledger, shop.terminals[0], consumers, 4, 0n, "voided");
      const batch = await settleRecorded(f, settled.items);
      const order = locate(batch, settled.items[0].settlement.orderId);
      const voidOrder = voidAction(ledger, {
        cardId: order.order.cardId,
        merchantId: shop.id,
        points: order.order.points / 2n,
        creditPoints: order.order.creditPoints,
        reasonCode: 7,
        order,
      });
      const proposal = await proposeAndGetId(ledger, accounts.bank, voidOrder);
      await (await dual(ledger, accounts.creditCenter).approve(proposal, voidOrder)).wait();
      await (await submitRefund(f.gateway, await refundAt(ledger, shop.terminals[0], { nonce: 100n, order: order.order, amount: order.order.amount }), order)).wait();
      const report = await audit(f.deployment);
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts).to.deep.include({ refunds: 1, corrections: 1 });
    });
  });

  describe("with a slip archive", function () {
    it("names a slip altered in the archive", async function () {
      const f = await loadFixture(activeLedger);
      const dir = slipArchive(f.slips);
      const file = path.join(dir, "shop-3.json");
      const slip = JSON.parse(fs.readFileSync(file, "utf8"));
      slip.lines[0].description = "Something else";
      fs.writeFileSync(file, JSON.stringify(slip));
      const report = await audit(f.deployment, { slipDir: dir });
      expect(codes(report)).to.deep.equal(["slip.altered"]);
      const [d] = report.discrepancies;
      expect(d.card).to.equal(f.consumers[3].cardId);
      expect(d.expected).to.equal(slipHash(f.slips[3]));
      expect(d.tx).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("names a settled order whose slip is missing", async function () {
      const f = await loadFixture(activeLedger);
      const dir = slipArchive(f.slips);
      fs.rmSync(path.join(dir, "cafe-2.json"));
      const report = await audit(f.deployment, { slipDir: dir });
      expect(codes(report)).to.deep.equal(["slip.missing"]);
      expect(report.discrepancies[0]).to.deep.include({ card: f.consumers[2].cardId, merchant: Number(f.cafe.id) });
    });

    it("counts slips of orders never settled without calling them discrepancies", async function () {
      const f = await loadFixture(activeLedger);
      const extra = { ...f.slips[0], orderNumber: "never-settled" };
      const report = await audit(f.deployment, { slipDir: slipArchive([...f.slips, extra]) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.slipsUnsettled).to.equal(1);
    });
  });

  describe("dual control", function () {
    it("checks a card issued by two distinct roles as clean", async function () {
      const f = await loadFixture(deployAuditedLedger);
      await issueCard(f.registry, f.accounts.creditCenter, f.accounts.bank2, cardIdFor("late"), CardKind.Consumer, keyFor("late").address);
      const report = await audit(f.deployment);
      expect(report.discrepancies).to.deep.equal([]);
    });
  });
});
