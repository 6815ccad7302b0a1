import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { id, type Interface } from "ethers";
import { LaxCreditGrants__factory } from "../../typechain-types";
import { ROLES } from "../../src/chain/roles";
import { settlementPoints } from "../../src/domain/points";
import type { DualControlSubject } from "../../src/audit/dual-control";
import { LedgerModel } from "../../src/audit/ledger-model";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";
import { DEFAULT_AGREEMENT, cardIdFor, keyFor, removeAccountCredential } from "../helpers/suite";
import { settleRecorded } from "../helpers/ledger-ops";
import { audit, codes, deployAuditedLedger, deployFaultyLedger, forgeBatchChain, slipArchive, slipFor, settlementOfSlip, slipSettlements } from "./helpers/audit-fixture";
import { latestTime } from "../helpers/suite";
import { acting } from "../helpers/dual-control";

/** The suite's credentials (test/helpers/suite.ts): the bank, the credit center, the bank 2. */
const BANK_CREDENTIAL = 1n;
const CREDIT_CENTER_CREDENTIAL = 2n;
const BANK2_CREDENTIAL = 3n;

/** One settlement per batch at the shop's first terminal, batch after batch (nonces from `firstNonce`). */
async function settleBatches(f: Awaited<ReturnType<typeof deployAuditedLedger>>, batches: number, firstNonce: bigint, label: string, afterEach?: (batchId: bigint) => Promise<void>) {
  for (let i = 0; i < batches; i++) {
    const { items } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 1, firstNonce + BigInt(i), `${label}-${i}`);
    const batch = await settleRecorded(f, items);
    await afterEach?.(batch.batchId);
  }
}

/** 33 batches, batch 3 sealed by `sealChain`: the ledger's ring holds batches 18..33; 3, 16 and 32 it keeps for good. */
async function longChainLedger() {
  const f = await deployAuditedLedger();
  await settleBatches(f, 33, 0n, "long", async (batchId) => {
    if (batchId === 3n) await (await f.ledger.sealChain()).wait();
  });
  return f;
}

describe("auditor: faults it names", function () {
  describe("a faulty ledger (a real PointsLedger behind a misreporting registry front)", function () {
    it("is clean while the front tells the truth", async function () {
      const f = await loadFixture(deployFaultyLedger);
      const { items, slips } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 6, 0n, "honest");
      await settleRecorded(f, items);
      const report = await audit(f.deployment, { slipDir: slipArchive(slips) });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.settlements).to.equal(6);
    });

    it("names a settlement whose points disagree with the agreement it recorded", async function () {
      const f = await loadFixture(deployFaultyLedger);
      await (await f.front.setBaseRateFactor(3)).wait();
      const { items } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 1, 0n, "inflated");
      await settleRecorded(f, items);
      const report = await audit(f.deployment);
      const expected = settlementPoints(items[0].settlement.amount, DEFAULT_AGREEMENT, items[0].settlement.category);
      const mismatch = report.discrepancies.find((d) => d.code === "settlement.points_mismatch");
      expect(mismatch).to.deep.include({ card: f.consumers[0].cardId, merchant: Number(f.shop.id), expected: expected.toString(), actual: (expected * 3n).toString() });
      // The recomputed state then differs from the contract's: the card's balance says so too.
      expect(codes(report)).to.include.members(["settlement.points_mismatch", "settlement.credit_points_mismatch", "state.balance", "state.merchant"]);
      expect(report.discrepancies.find((d) => d.code === "state.balance")).to.deep.include({ card: f.consumers[0].cardId, expected: expected.toString() });
    });

    it("names a settlement signed by a key that was not a registered terminal at that time, even once registered later", async function () {
      const f = await loadFixture(deployFaultyLedger);
      const rogue = keyFor("rogue-terminal");
      await (await f.front.impersonate(rogue.address, f.shop.terminals[0].address)).wait();
      const slip = slipFor(rogue, f.consumers[1], "rogue-1", await latestTime());
      await settleRecorded(f, [await settlementOfSlip(f.ledger, rogue, f.consumers[1], slip, 0n)]);
      await (await acting(f.registry, f.accounts.bank).registerTerminal(rogue.address, f.shop.id)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["settlement.terminal_not_registered"]);
      expect(report.discrepancies[0]).to.deep.include({ card: f.consumers[1].cardId, merchant: Number(f.shop.id) });
      expect(report.discrepancies[0].message).to.contain(rogue.address);
    });

    it("names a settlement at a merchant whose card was frozen at that time", async function () {
      const f = await loadFixture(deployFaultyLedger);
      await (await f.front.reportMerchantCardsActive()).wait();
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.shop.cardId)).wait();
      const { items } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 1, 0n, "frozen-merchant");
      await settleRecorded(f, items);
      await (await acting(f.registry, f.accounts.bank).unfreezeCard(f.shop.cardId)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["settlement.merchant_card_not_active"]);
      expect(report.discrepancies[0]).to.deep.include({ card: f.consumers[0].cardId, merchant: Number(f.shop.id) });
    });

    it("names a settlement whose card signature is not from the card's key", async function () {
      const f = await loadFixture(deployFaultyLedger);
      const thief = keyFor("card-thief");
      await (await f.front.substituteCardKey(f.consumers[2].cardId, thief.address)).wait();
      const slip = slipFor(f.shop.terminals[0], f.consumers[2], "stolen-1", await latestTime());
      await settleRecorded(f, [await settlementOfSlip(f.ledger, f.shop.terminals[0], { cardId: f.consumers[2].cardId, key: thief }, slip, 0n)]);
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["signature.card_invalid"]);
      expect(report.discrepancies[0]).to.deep.include({ card: f.consumers[2].cardId, expected: f.consumers[2].key.address, actual: thief.address.toLowerCase() });
    });

    it("names a card whose copy in the ledger disagrees with the registry", async function () {
      const f = await loadFixture(deployFaultyLedger);
      // The real registry records the freezing in its own ledger, not in the one under audit.
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.consumers[1].cardId)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["state.card_copy"]);
      expect(report.discrepancies[0]).to.deep.include({ card: f.consumers[1].cardId, expected: String(CardStatus.Frozen), actual: String(CardStatus.Active) });
    });
  });

  describe("on the production ledger", function () {
    it("names an order settled twice under two nonces", async function () {
      const f = await loadFixture(deployAuditedLedger);
      const slip = slipFor(f.shop.terminals[0], f.consumers[0], "twice", await latestTime());
      await settleRecorded(f, [await settlementOfSlip(f.ledger, f.shop.terminals[0], f.consumers[0], slip, 0n)]);
      await settleRecorded(f, [await settlementOfSlip(f.ledger, f.shop.terminals[0], f.consumers[0], slip, 1n)]);
      const report = await audit(f.deployment, { slipDir: slipArchive([slip]) });
      expect(codes(report)).to.deep.equal(["order.settled_twice"]);
    });

    describe("whose batch chain disagrees with its batches' orders (a chain word overwritten in its storage)", function () {
      it("names the batch whose chainBefore parts from the recomputed chain, the seal after it and every chain value the ledger holds", async function () {
        const f = await loadFixture(deployAuditedLedger);
        await settleBatches(f, 2, 0n, "parted");
        const honest = await f.ledger.batchChain(2n);
        const forged = id("a chain value no batches lead to");
        await forgeBatchChain(f.ledger, 2n, forged);
        // Batch 3 starts from the forged value; batch 4 carries on from there.
        await settleBatches(f, 2, 2n, "after");
        await (await f.ledger.sealChain()).wait();
        const report = await audit(f.deployment);
        expect(codes(report)).to.deep.equal(["batch.chain_mismatch", "batch.sealed_chain_mismatch", "state.batch_chain"]);
        const parted = report.discrepancies.filter((d) => d.code === "batch.chain_mismatch");
        expect(parted, "named where the chain parts, not again for batch 4").to.have.length(1);
        expect(parted[0]).to.deep.include({ expected: honest, actual: forged });
        expect(parted[0].message).to.match(/^batch 3's chainBefore /);
        const sealed = report.discrepancies.find((d) => d.code === "batch.sealed_chain_mismatch")!;
        expect(sealed.actual).to.equal(await f.ledger.batchChain(4n));
        expect(sealed.message).to.contain("batch 4");
        const held = report.discrepancies.filter((d) => d.code === "state.batch_chain");
        expect(held.map((d) => d.message.match(/after batch (\d+)/)![1])).to.deep.equal(["2", "3", "4"]);
        expect(held[0]).to.deep.include({ expected: honest, actual: forged });
      });

      it("names a chain value the ledger keeps for good, sealed or every CHAIN_RING-th, after its ring moved on", async function () {
        const f = await loadFixture(longChainLedger);
        const clean = await audit(f.deployment);
        expect(clean.discrepancies).to.deep.equal([]);
        expect(clean.counts.batches).to.equal(33);
        const [sealed3, kept16] = [await f.ledger.batchChain(3n), await f.ledger.batchChain(16n)];
        await forgeBatchChain(f.ledger, 3n, id("forged seal of batch 3"));
        await forgeBatchChain(f.ledger, 16n, id("forged seal of batch 16"));
        const report = await audit(f.deployment);
        expect(report.discrepancies.map((d) => [d.code, d.expected, d.actual])).to.deep.equal([
          ["state.batch_chain", sealed3, id("forged seal of batch 3")],
          ["state.batch_chain", kept16, id("forged seal of batch 16")],
        ]);
        // The batches compared are exactly those the ledger holds a chain value for: 3, 16 and 18..33.
        const model = new LedgerModel();
        for (let b = 1n; b <= 33n; b++) model.recordBatch(b, id(`digest ${b}`));
        model.recordSeal(3n);
        const holds: bigint[] = [];
        for (let b = 1n; b <= 34n; b++) if (BigInt(await f.ledger.batchChain(b)) !== 0n) holds.push(b);
        expect(model.heldChains()).to.deep.equal(holds);
        expect(holds).to.have.length(18);
      });
    });
  });

  describe("dual control of a credit-grant contract (contracts/testing/LaxCreditGrants.sol)", function () {
    async function laxGrants() {
      const f = await deployAuditedLedger();
      const grants = await new LaxCreditGrants__factory(f.accounts.governance).deploy();
      const address = await grants.getAddress();
      const iface = grants.interface as unknown as Interface;
      const subject = (): DualControlSubject[] => [
        { name: "creditGrants", address, iface, effects: [{ event: "CreditLimitGranted", action: "grantCreditLimit", cardOf: (a) => String(a.cardId) }] },
      ];
      const grant = (cardId: string) => grants.interface.encodeFunctionData("grantCreditLimit", [cardId, 50_000n]);
      const auditGrants = () => audit(f.deployment, { extraSubjects: subject, extraInterfaces: [iface] });
      return { ...f, grants, grant, auditGrants };
    }

    it("accepts a grant proposed by the bank and approved by the credit center", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.propose(f.grant(f.consumers[0].cardId), BANK_CREDENTIAL, ROLES.BANK)).wait();
      await (await f.grants.approveProposal(1n, CREDIT_CENTER_CREDENTIAL)).wait();
      const report = await f.auditGrants();
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.dualControlActions).to.equal(7 + 1);
    });

    it("names a grant with a single approval (the proposer approved it)", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.propose(f.grant(f.consumers[0].cardId), BANK_CREDENTIAL, ROLES.BANK)).wait();
      await (await f.grants.approveProposal(1n, BANK_CREDENTIAL)).wait();
      const report = await f.auditGrants();
      expect(codes(report)).to.deep.equal(["dual_control.single_approval"]);
      expect(report.discrepancies[0].card).to.equal(f.consumers[0].cardId);
    });

    it("names a grant approved by a second credential of the proposer's own institution", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.propose(f.grant(f.consumers[1].cardId), BANK_CREDENTIAL, ROLES.BANK)).wait();
      await (await f.grants.approveProposal(1n, BANK2_CREDENTIAL)).wait();
      expect(codes(await f.auditGrants())).to.deep.equal(["dual_control.approver_not_counterpart"]);
    });

    it("names a grant whose proposer's credential was removed by the time it was approved", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.propose(f.grant(f.consumers[1].cardId), BANK2_CREDENTIAL, ROLES.BANK)).wait();
      await removeAccountCredential(f.operators, f.accounts.bank2);
      await (await f.grants.approveProposal(1n, CREDIT_CENTER_CREDENTIAL)).wait();
      const report = await f.auditGrants();
      expect(codes(report)).to.deep.equal(["dual_control.proposer_without_role"]);
      expect(report.discrepancies[0].message).to.match(/was removed before the proposal ran/);
    });

    it("names a grant proposed by a credential that does not exist", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.propose(f.grant(f.consumers[1].cardId), 99n, ROLES.BANK)).wait();
      await (await f.grants.approveProposal(1n, CREDIT_CENTER_CREDENTIAL)).wait();
      const report = await f.auditGrants();
      expect(codes(report)).to.deep.equal(["dual_control.proposer_without_role"]);
      expect(report.discrepancies[0].message).to.match(/was not an active credential of the institution it proposed for/);
    });

    it("names a grant that no proposal covered", async function () {
      const f = await loadFixture(laxGrants);
      await (await f.grants.grantWithoutProposal(cardIdFor("consumer-2"), 1n)).wait();
      const report = await f.auditGrants();
      expect(codes(report)).to.deep.equal(["dual_control.missing"]);
      expect(report.discrepancies[0].card).to.equal(cardIdFor("consumer-2"));
    });
  });
});
