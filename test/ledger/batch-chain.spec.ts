import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";
import { batchChainStep, batchDigest } from "../../src/domain/settled-order";
import { latestTime } from "../helpers/suite";
import {
  deployLedgerFixture,
  locate,
  locateThrough,
  refundAt,
  settleRecorded,
  signItem,
  submitRefund,
  type LocatedOrder,
} from "../helpers/ledger-ops";

const RING = 16n;

/** The cafe's order of consumer 0 settled in batch 1, and a way to record more batches after it. */
async function orderInFirstBatchFixture() {
  const f = await deployLedgerFixture();
  const { ledger, cafe, consumers } = f;
  const item = await signItem(ledger, cafe.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
  const batch = await settleRecorded(f, [item]);
  let nonce = 1_000n;
  /** Record `count` more batches of one settlement each (consumer 1 at the cafe). */
  const recordBatches = async (count: bigint) => {
    for (let i = 0n; i < count; i++) {
      const filler = await signItem(ledger, cafe.terminals[0], consumers[1], { nonce: nonce++, time: await latestTime() });
      await settleRecorded(f, [filler]);
    }
  };
  let refundNonce = 500n;
  /** Refund 100 of `located`'s order through the gateway, with `located`'s proof. */
  const refund = async (located: LocatedOrder) =>
    submitRefund(f.gateway, await refundAt(ledger, cafe.terminals[0], { nonce: refundNonce++, order: located.order, amount: 100n }), located);
  return { ...f, batch, located: locate(batch, item.settlement.orderId), recordBatches, refund };
}

describe("PointsLedger: batch chain", function () {
  describe("recording batches", function () {
    it("folds each batch's digest into the chain, announcing the value before it", async function () {
      const { ledger, batch, recordBatches } = await loadFixture(orderInFirstBatchFixture);
      expect(batch.chainBefore).to.equal(ZeroHash);
      await recordBatches(2n);
      const logs = await ledger.queryFilter(ledger.filters.BatchRecorded);
      let chain = ZeroHash;
      for (const log of logs) {
        expect(log.args.chainBefore).to.equal(chain);
        chain = batchChainStep(chain, log.args.digest);
        expect(await ledger.batchChain(log.args.batchId)).to.equal(chain);
      }
      expect(logs.map((l) => l.args.batchId)).to.deep.equal([1n, 2n, 3n]);
      expect(batch.digest).to.equal(batchDigest(batch.leaves));
    });

    it("holds the last CHAIN_RING values and every CHAIN_RING-th for good, nothing else", async function () {
      const { ledger, recordBatches } = await loadFixture(orderInFirstBatchFixture);
      expect(await ledger.CHAIN_RING()).to.equal(RING);
      const one = await ledger.batchChain(1n);
      await recordBatches(2n * RING + 1n); // batches 2..34
      expect(await ledger.batchCount()).to.equal(2n * RING + 2n);
      expect(await ledger.batchChain(1n)).to.equal(ZeroHash);
      expect(await ledger.batchChain(RING + 1n)).to.equal(ZeroHash);
      expect(await ledger.batchChain(RING)).to.not.equal(ZeroHash);
      expect(await ledger.batchChain(2n * RING)).to.not.equal(ZeroHash);
      for (let b = RING + 3n; b <= 2n * RING + 2n; b++) expect(await ledger.batchChain(b)).to.not.equal(ZeroHash);
      expect(await ledger.batchChain(2n * RING + 3n)).to.equal(ZeroHash);
      expect(one).to.not.equal(ZeroHash);
    });
  });

  describe("proving an order", function () {
    it("accepts a proof against the batch itself while the ring holds it", async function () {
      const { ledger, located, recordBatches, refund } = await loadFixture(orderInFirstBatchFixture);
      await recordBatches(RING - 1n);
      await expect(refund(located)).to.emit(ledger, "PointsReversed");
    });

    it("refuses that proof once CHAIN_RING later batches overwrote its word, and accepts one through the sealed batch", async function () {
      const { ledger, batch, located, recordBatches, refund } = await loadFixture(orderInFirstBatchFixture);
      await recordBatches(RING);
      await expect(refund(located)).to.be.revertedWithCustomError(ledger, "LedgerProofInvalid").withArgs(batch.batchId);
      const sealed = await locateThrough(ledger, batch, located.order.orderId, RING);
      expect(sealed.proof.laterDigests).to.have.length(Number(RING - 1n));
      await expect(refund(sealed)).to.emit(ledger, "PointsReversed");
      // The same leaf's refund record bars refunds beyond the order however it is proven.
      expect(await ledger.refundedAmount(located.leaf)).to.equal(100n);
    });

    it("accepts a proof through any later batch the ring still holds", async function () {
      const { ledger, batch, located, recordBatches, refund } = await loadFixture(orderInFirstBatchFixture);
      await recordBatches(5n);
      await expect(refund(await locateThrough(ledger, batch, located.order.orderId, 4n))).to.emit(ledger, "PointsReversed");
    });

    it("refuses a proof whose chain value before the batch, later digests or end are not the ledger's", async function () {
      const { ledger, batch, located, recordBatches, refund } = await loadFixture(orderInFirstBatchFixture);
      await recordBatches(RING);
      const sealed = await locateThrough(ledger, batch, located.order.orderId, RING);
      const later = [...sealed.proof.laterDigests];
      const forged: LocatedOrder["proof"][] = [
        { ...sealed.proof, chainBefore: batchChainStep(ZeroHash, ZeroHash) },
        { ...sealed.proof, laterDigests: [...later.slice(0, -1), ZeroHash] },
        // Batch 2's digest left out: the fold skips a batch.
        { ...sealed.proof, laterDigests: later.slice(1) },
        // The same fold claimed for batch 2: it would end past the ledger's last batch's value.
        { ...sealed.proof, batchId: 2n },
      ];
      for (const proof of forged) {
        await expect(refund({ ...sealed, proof })).to.be.revertedWithCustomError(ledger, "LedgerProofInvalid").withArgs(proof.batchId);
      }
      await expect(refund(sealed)).to.emit(ledger, "PointsReversed");
    });

    it("refuses a proof ending past the last batch", async function () {
      const { ledger, batch, located, refund } = await loadFixture(orderInFirstBatchFixture);
      const past = { ...located, proof: { ...located.proof, laterDigests: [batch.digest] } };
      await expect(refund(past)).to.be.revertedWithCustomError(ledger, "LedgerProofInvalid").withArgs(batch.batchId);
    });
  });

  describe("sealChain", function () {
    it("keeps the latest batch's chain value for good, so a proof ending there never goes stale", async function () {
      const { ledger, batch, located, recordBatches, refund, accounts } = await loadFixture(orderInFirstBatchFixture);
      await recordBatches(2n); // batches 2 and 3
      const value = await ledger.batchChain(3n);
      // Anyone may seal: the value is the ledger's own.
      await expect(ledger.connect(accounts.outsider).sealChain()).to.emit(ledger, "ChainSealed").withArgs(3n, value);
      const throughSeal = await locateThrough(ledger, batch, located.order.orderId, 3n);
      await recordBatches(RING + 1n);
      expect(await ledger.batchChain(3n)).to.equal(value);
      expect(await ledger.batchChain(2n)).to.equal(ZeroHash);
      await expect(refund(throughSeal)).to.emit(ledger, "PointsReversed");
    });

    it("seals the same value again without change, and refuses to seal before any batch", async function () {
      const { ledger, recordBatches } = await loadFixture(orderInFirstBatchFixture);
      const value = await ledger.batchChain(1n);
      await expect(ledger.sealChain()).to.emit(ledger, "ChainSealed").withArgs(1n, value);
      await expect(ledger.sealChain()).to.emit(ledger, "ChainSealed").withArgs(1n, value);
      await recordBatches(RING);
      expect(await ledger.batchChain(1n)).to.equal(value);
      const { ledger: fresh } = await deployLedgerFixture();
      await expect(fresh.sealChain()).to.be.revertedWithCustomError(fresh, "LedgerNothingToSeal");
    });
  });
});
