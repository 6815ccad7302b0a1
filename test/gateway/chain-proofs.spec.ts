/**
 * Refund and correction proofs against the ledger's batch chain (ADR 0014), on a real gateway.
 * The ledger holds the chain values of its last CHAIN_RING batches in a ring, and seals every
 * CHAIN_RING-th batch's (and each batch `sealChain` seals) for good. Here: a refund of an order
 * whose batch has left the ring is still confirmed, its proof ending at the sealed batch covering
 * it; a ring proof goes stale and a proof built again is sealed; and a correction naming a recent
 * order has the relayer seal the chain first, so that its proposal, approved after the ring moved
 * on, still voids the points.
 *
 * The suite runs on the embedded store and, when TEST_DATABASE_URL's server answers, on
 * PostgreSQL (a database of its own, dropped after; REQUIRE_POSTGRES=1 fails without one): a
 * refund's proof is built inside the submitter's claim transaction, on either store.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { ZeroHash, type Result } from "ethers";
import type { Client } from "pg";
import type { SubmissionStatus } from "../../src/sdk/terminal-client";
import { Corrections } from "../../src/api/operations/corrections";
import { everyRingBatch, ledgerHead, proveThrough, sealedEnd, settledOrder } from "../../src/worker/refund-proof";
import { CHAIN_RING, batchChainStep, batchDigest } from "../../src/domain/settled-order";
import { connectAdmin, createDatabase } from "./helpers/postgres-server";
import {
  decided,
  firstOperators,
  issueConsumer,
  openMerchant,
  readCard,
  startGatewayFixture,
  startTempGateway,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";

const LINES = [{ description: "Kettle", quantity: 1, unitPrice: "12000" }];

/** A SettlementProof as ethers decodes it from calldata or a proposal's action. */
interface DecodedProof {
  batchId: bigint;
  chainBefore: string;
  batchLeaves: string[];
  index: bigint;
  laterDigests: string[];
}

/** A gateway fixture over a fresh database of TEST_DATABASE_URL's server (skips the suite without one). */
async function postgresFixture(suite: Mocha.Context, admin: { client?: Client; databases: string[] }): Promise<GatewayFixture> {
  admin.client = await connectAdmin(suite);
  const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
  const env = { DATABASE_URL: await createDatabase(admin.client, admin.databases), IDENTITY_KEY: hex32(), ID_KEY: hex32() };
  const { dataDir, gateway, chain, stop } = await startTempGateway(env, { print: () => undefined });
  try {
    return { url: gateway.url, gateway, dataDir, chain, operators: await firstOperators(gateway.url, dataDir), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

for (const store of ["embedded", "PostgreSQL"] as const) describe(`gateway: proofs against the ledger's batch chain (${store} store)`, function () {
  const admin: { client?: Client; databases: string[] } = { databases: [] };
  let f: GatewayFixture;
  let shop: Merchant;
  let filler: Consumer;
  let orders = 0;

  const ledger = () => f.chain.ledger;

  /** `card` settles a new order at the shop, in a batch of its own (each is awaited); its confirmed status. */
  const settle = async (card: Consumer): Promise<SubmissionStatus & { batchId: string | null }> => {
    const slip = shop.terminal.slip({ orderNumber: `CP-${++orders}`, cardId: card.cardId, currency: "CNY", category: 1, lines: LINES });
    const status = await waitForFinal(f, (await shop.terminal.settle(slip, card.signer)).id);
    expect(status.status, String(status.reason)).to.equal("confirmed");
    return status as SubmissionStatus & { batchId: string | null };
  };

  /** Settles filler orders, one batch each, until the ledger counts `count` batches. */
  const recordBatchesUntil = async (count: bigint) => {
    while ((await ledger().batchCount()) < count) await settle(filler);
  };

  /**
   * `card` settles an order in a batch that is not a CHAIN_RING-th one (so that a proof ending at
   * a sealed batch carries later digests, and the ring alone holds the batch's own chain value);
   * its status and batch.
   */
  const settleOffSeal = async (card: Consumer) => {
    if ((await ledger().batchCount()) % CHAIN_RING === CHAIN_RING - 1n) await settle(filler);
    const status = await settle(card);
    const batchId = BigInt(status.batchId!);
    expect(batchId % CHAIN_RING).to.not.equal(0n);
    return { status, batchId };
  };

  /** The proof a mined refund carried, read back from its calldata. */
  const refundProofOf = async (txHash: string): Promise<DecodedProof> => {
    const tx = await f.chain.provider.getTransaction(txHash);
    const call = ledger().interface.parseTransaction({ data: tx!.data });
    expect(call?.name).to.equal("refund");
    return proofFrom(call!.args.proof as Result);
  };

  /** The proof in the action of ledger proposal `proposalId` (a voidPoints call), from its ProposalCreated event. */
  const proposedProof = async (proposalId: string): Promise<DecodedProof> => {
    const [created] = await ledger().queryFilter(ledger().filters.ProposalCreated(BigInt(proposalId)), f.chain.deployment.deploymentBlock);
    const action = ledger().interface.parseTransaction({ data: created.args.action });
    expect(action?.name).to.equal("voidPoints");
    return proofFrom(action!.args.proof as Result);
  };

  /** The chain value `proof` folds to: the ledger takes it when this is a value it holds after batch batchId + laterDigests.length. */
  const foldOf = (proof: DecodedProof) => [batchDigest(proof.batchLeaves), ...proof.laterDigests].reduce((chain, digest) => batchChainStep(chain, digest), proof.chainBefore);

  before(async function () {
    f = store === "embedded" ? await startGatewayFixture() : await postgresFixture(this, admin);
    shop = await openMerchant(f, "chain-proof-shop");
    filler = await issueConsumer(f, "chain-proof-filler");
  });

  after(async function () {
    await f?.stop();
    for (const name of admin.databases) await admin.client?.query(`drop database if exists ${name} with (force)`);
    await admin.client?.end();
  });

  it("rings and seals as the ledger does: CHAIN_RING batches, sealed at every CHAIN_RING-th", async function () {
    expect(await ledger().CHAIN_RING()).to.equal(CHAIN_RING);
    expect([1n, 15n, 16n, 17n, 32n].map(everyRingBatch)).to.deep.equal([16n, 16n, 16n, 32n, 32n]);
    expect(sealedEnd(17n, 31n)).to.equal(undefined);
    expect(sealedEnd(17n, 32n)).to.equal(32n);
  });

  it("proves a refund of an order still in the ring by its own batch", async function () {
    const card = await issueConsumer(f, "ring-refund");
    const { status, batchId } = await settleOffSeal(card);
    const refund = await waitForFinal(f, (await shop.terminal.refund(status, 1200n)).id);
    expect(refund.status, String(refund.reason)).to.equal("confirmed");
    const proof = await refundProofOf(refund.txHash!);
    expect(proof.batchId).to.equal(batchId);
    expect(proof.laterDigests).to.have.length(0);
  });

  it("confirms a refund of an order with more than CHAIN_RING later batches, by a proof ending at the sealed batch covering it", async function () {
    const card = await issueConsumer(f, "sealed-refund");
    const { status, batchId } = await settleOffSeal(card);
    await recordBatchesUntil(batchId + CHAIN_RING + 1n);
    // The ring moved on: the batch's own chain value is gone.
    expect(await ledger().batchChain(batchId)).to.equal(ZeroHash);

    const refund = await waitForFinal(f, (await shop.terminal.refund(status, 1200n)).id);
    expect(refund.status, String(refund.reason)).to.equal("confirmed");
    expect(BigInt(refund.points!)).to.be.greaterThan(0n);
    const proof = await refundProofOf(refund.txHash!);
    const sealed = everyRingBatch(batchId);
    expect(proof.batchId).to.equal(batchId);
    expect(proof.laterDigests).to.have.length(Number(sealed - batchId));
    expect(foldOf(proof)).to.equal(await ledger().batchChain(sealed));
    expect((await readCard(f, card.cardId)).points.balance).to.equal((BigInt(status.points!) - BigInt(refund.points!)).toString());
  });

  it("builds a ring proof that goes stale once CHAIN_RING more batches are recorded; built again, it ends at the sealed batch and is taken", async function () {
    const card = await issueConsumer(f, "stale-ring");
    const { status, batchId } = await settleOffSeal(card);
    const found = await settledOrder(f.gateway.db, BigInt(shop.merchantId), status.orderId!);
    expect(found?.batchId).to.equal(batchId);
    let head = await ledgerHead(f.chain);
    expect(sealedEnd(batchId, head.batchCount)).to.equal(undefined);
    const ring = await proveThrough(f.chain, found!, batchId, head.block);
    const voidOne = (proof: typeof ring) => ledger().voidPoints.staticCall(card.cardId, shop.merchantId, 1n, 0n, 7, proof.order, proof.proof, { from: f.chain.deployment.ledger });
    await voidOne(ring);

    await recordBatchesUntil(batchId + CHAIN_RING);
    await expectProofInvalid(voidOne(ring), batchId);
    head = await ledgerHead(f.chain);
    const end = sealedEnd(batchId, head.batchCount);
    expect(end).to.equal(everyRingBatch(batchId));
    const sealed = await proveThrough(f.chain, found!, end!, head.block);
    expect(sealed.proof.chainBefore).to.equal(ring.proof.chainBefore);
    await voidOne(sealed);
  });

  describe("a correction naming an order", function () {
    const correction = (orderId: string) => ({ merchantId: shop.merchantId, points: 10n, creditPoints: 0n, reasonCode: 7, orderId });

    it("of the current unsealed segment has the relayer seal the chain, and its proposal, approved after the ring moved on, voids the points", async function () {
      const card = await issueConsumer(f, "sealed-correction");
      // The order's batch and one more in the same unsealed segment: the sealed batch is the later one.
      while ((await ledger().batchCount()) % CHAIN_RING >= CHAIN_RING - 3n) await settle(filler);
      const { status, batchId } = await settleOffSeal(card);
      await settle(filler);
      expect(sealedEnd(batchId, await ledger().batchCount())).to.equal(undefined);
      const fromBlock = await f.chain.provider.getBlockNumber();

      const proposed = await decided(f, "bank", "post", `/v1/cards/${card.cardId}/corrections`, { ...correction(status.orderId!), points: "10", creditPoints: "0" });
      const seals = await ledger().queryFilter(ledger().filters.ChainSealed(), fromBlock);
      expect(seals).to.have.length(1);
      const sealedAt = seals[0].args.batchId;
      expect(sealedAt).to.equal(batchId + 1n);

      const proof = await proposedProof(proposed.result.proposalId!);
      expect(proof.batchId).to.equal(batchId);
      expect(proof.laterDigests).to.have.length(Number(sealedAt - batchId));

      // Approved once the ring moved on: only the sealed value at the proof's end holds.
      await recordBatchesUntil(sealedAt + CHAIN_RING + 1n);
      expect(await ledger().batchChain(batchId)).to.equal(ZeroHash);
      expect(await ledger().batchChain(sealedAt)).to.equal(foldOf(proof));

      await decided(f, "credit_center", "post", `/v1/proposals/ledger/${proposed.result.proposalId}/approval`);
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: (BigInt(status.points!) - 10n).toString(), reversed: "10" });
    });

    it("of a sealed segment seals nothing: its proof ends at the CHAIN_RING-th batch covering its own", async function () {
      const card = await issueConsumer(f, "covered-correction");
      const { status, batchId } = await settleOffSeal(card);
      await recordBatchesUntil(everyRingBatch(batchId));
      const fromBlock = await f.chain.provider.getBlockNumber();
      const proposed = await decided(f, "bank", "post", `/v1/cards/${card.cardId}/corrections`, { ...correction(status.orderId!), points: "10", creditPoints: "0" });
      expect(await ledger().queryFilter(ledger().filters.ChainSealed(), fromBlock)).to.have.length(0);
      const proof = await proposedProof(proposed.result.proposalId!);
      expect([proof.batchId, proof.laterDigests.length]).to.deep.equal([batchId, Number(everyRingBatch(batchId) - batchId)]);
    });

    it("without a relayer falls back to a proof ending at the order's own batch", async function () {
      const card = await issueConsumer(f, "ring-correction");
      const { status, batchId } = await settleOffSeal(card);
      const fromBlock = await f.chain.provider.getBlockNumber();
      const args = await new Corrections(f.gateway.db, f.chain).args(card.cardId, correction(status.orderId!));
      expect(await ledger().queryFilter(ledger().filters.ChainSealed(), fromBlock)).to.have.length(0);
      const proof = args.proof as DecodedProof;
      expect([proof.batchId, proof.laterDigests.length]).to.deep.equal([batchId, 0]);
      expect(foldOf(proof)).to.equal(await ledger().batchChain(batchId));
    });
  });
});

/** A decoded SettlementProof as plain values. */
function proofFrom(r: Result): DecodedProof {
  return { batchId: r.batchId, chainBefore: r.chainBefore, batchLeaves: [...r.batchLeaves], index: r.index, laterDigests: [...r.laterDigests] };
}

/** `call` reverts with LedgerProofInvalid(batchId). */
async function expectProofInvalid(call: Promise<unknown>, batchId: bigint): Promise<void> {
  const err = await call.then(
    () => expect.fail("the ledger took a stale proof"),
    (e: unknown) => e as { revert?: { name: string; args: unknown[] } },
  );
  expect(err.revert?.name).to.equal("LedgerProofInvalid");
  expect(err.revert?.args[0]).to.equal(batchId);
}
