/**
 * The proof a refund (or a correction naming an order) carries: the order as the ledger settled
 * it, and where its batch stands in the ledger's batch chain (ADR 0014). PointsLedger folds the
 * chain value before the batch, the digest of the batch's leaves and the digests of the batches
 * after it, and takes the proof when the fold ends at a chain value it still holds: one of the
 * last CHAIN_RING batches' (the ring), or a sealed one (every CHAIN_RING-th batch, and each batch
 * `sealChain` sealed), which it keeps for good.
 *
 * The leaves come from the store (`batches`); the chain value before the batch and the later
 * digests from the ledger's BatchRecorded logs, which every gateway's batches emit (the ledger's
 * batches are not all this gateway's).
 */
import { toBeHex, zeroPadValue } from "ethers";
import type { Db } from "../store/db";
import type { LedgerClient } from "../chain/ledger-client";
import { settledOrderLeaf, type SettledOrder } from "../domain/settled-order";
import { settlementCall } from "./calls";
import { confirmedSettlementOfOrder, getBatch, liveSettlement, type RefundPayload, type StoredSettlement } from "../store/outbox";
import type { SubmissionOutcomeCode } from "../domain/submission-outcomes";

import { CHAIN_RING } from "../domain/settled-order";

/** Blocks one eth_getLogs request spans at most (nodes cap the range of a request). */
const LOG_BLOCKS = 2_000;

/** IPointsLedger.SettlementProof, as the gateway passes it. */
export interface SettlementProof {
  batchId: bigint;
  /** The chain value before the batch (BatchRecorded.chainBefore). */
  chainBefore: string;
  batchLeaves: string[];
  index: bigint;
  /** The digests of the batches after the order's, up to the batch the proof ends at. */
  laterDigests: string[];
}

export interface RefundProof {
  order: SettledOrder;
  proof: SettlementProof;
}

/** Why a refund cannot be sent: the reason it is rejected with. */
export interface RefundUnprovable {
  /**
   * `refund.order_not_settled`: the order's settlement was rejected (nothing to refund).
   * `refund.order_unprovable`: the settlement is on the ledger, but the transaction that carried
   * it is not known here (its receipt was lost), so neither its points nor its batch are.
   */
  rejected: Extract<SubmissionOutcomeCode, "refund.order_not_settled" | "refund.order_unprovable">;
}

/** A confirmed settlement's order, and its batch as the store recorded it. */
export interface ProvableOrder {
  order: SettledOrder;
  batchId: bigint;
  /** The block that recorded the batch: its BatchRecorded log is searched for from there. */
  blockNumber: number;
  leaves: string[];
  index: bigint;
}

/** Where the ledger stands: a block, and the number of batches recorded as of that block. */
export interface LedgerHead {
  block: number;
  batchCount: bigint;
}

/**
 * The proof for refund `p` (of the settlement it names by terminal and nonce); "wait" while that
 * settlement is on its way to the ledger (or the node has not seen its batch yet); or why no
 * proof can be made.
 *
 * It ends at the sealed batch covering the order's (`sealedEnd`) once that is recorded, else at
 * the order's own batch (a ring proof). A sealed proof never goes stale; a ring proof does once
 * CHAIN_RING more batches are recorded, and by then the sealed batch is recorded, so a proof
 * built again is sealed (see the submitter's dry run).
 */
export async function refundProof(tx: Db, chain: LedgerClient, p: RefundPayload): Promise<RefundProof | "wait" | RefundUnprovable> {
  const original = await liveSettlement(tx, String(p.refund.settlementTerminal), String(p.refund.settlementNonce));
  if (!original) return { rejected: "refund.order_not_settled" };
  if (original.status !== "confirmed") return "wait";
  const provable = await provableOrder(tx, original);
  if (!provable) return { rejected: "refund.order_unprovable" };
  const head = await ledgerHead(chain);
  if (head.batchCount < provable.batchId) return "wait";
  return proveThrough(chain, provable, sealedEnd(provable.batchId, head.batchCount) ?? provable.batchId, head.block);
}

/**
 * The confirmed settlement of order `orderId` at merchant `merchantId` (the first, if the order
 * was settled more than once), as a correction naming the order proves it; none if no such
 * settlement is confirmed here or its batch is not known.
 */
export async function settledOrder(tx: Db, merchantId: bigint, orderId: string): Promise<ProvableOrder | undefined> {
  const original = await confirmedSettlementOfOrder(tx, merchantId, orderId);
  return original ? provableOrder(tx, original) : undefined;
}

/** The node's latest block and the ledger's batch count there (one block, so its logs hold every batch counted). */
export async function ledgerHead(chain: LedgerClient): Promise<LedgerHead> {
  // Raw eth_blockNumber: the provider's getBlockNumber may answer a block it read a moment ago.
  const block = Number(await chain.provider.send("eth_blockNumber", []));
  return { block, batchCount: await chain.ledger.batchCount({ blockTag: block }) };
}

/** The batch whose chain value the ledger seals for good as it records it (every CHAIN_RING-th): the first at or after `batchId`. */
export function everyRingBatch(batchId: bigint): bigint {
  return ((batchId + CHAIN_RING - 1n) / CHAIN_RING) * CHAIN_RING;
}

/** `everyRingBatch(batchId)` when it is recorded (at most `batchCount`): a proof of `batchId` ending there never goes stale. */
export function sealedEnd(batchId: bigint, batchCount: bigint): bigint | undefined {
  const sealed = everyRingBatch(batchId);
  return sealed <= batchCount ? sealed : undefined;
}

/**
 * The proof of `provable` ending at batch `end` (at least its own batch, recorded by block
 * `headBlock`): the chain value before its batch and the digests of batches after it up to `end`,
 * from the ledger's BatchRecorded logs. Throws if the node's logs lack one of those batches.
 */
export async function proveThrough(chain: LedgerClient, provable: ProvableOrder, end: bigint, headBlock: number): Promise<RefundProof> {
  const { order, batchId, leaves, index } = provable;
  if (end < batchId) throw new RangeError(`a proof of batch ${batchId} cannot end at batch ${end}`);
  let recorded = await recordedBatches(chain, batchId, end, provable.blockNumber, headBlock);
  if (recorded.size <= Number(end - batchId)) {
    // The store's block of the batch is later than the chain's (a chain that lost blocks mined it again earlier).
    recorded = await recordedBatches(chain, batchId, end, chain.deployment.deploymentBlock, headBlock);
  }
  const logOf = (id: bigint) => {
    const log = recorded.get(id);
    if (!log) throw new Error(`the node's logs lack the BatchRecorded of batch ${id} (up to block ${headBlock})`);
    return log;
  };
  const laterDigests: string[] = [];
  for (let id = batchId + 1n; id <= end; id++) laterDigests.push(logOf(id).digest);
  return { order, proof: { batchId, chainBefore: logOf(batchId).chainBefore, batchLeaves: leaves, index, laterDigests } };
}

/**
 * The digest and prior chain value of batches `first`..`last`, from their BatchRecorded logs in
 * blocks `fromBlock`..`toBlock`: a request per LOG_BLOCKS blocks, naming the batches still
 * missing by their indexed ID, until all are found.
 */
async function recordedBatches(
  chain: LedgerClient,
  first: bigint,
  last: bigint,
  fromBlock: number,
  toBlock: number,
): Promise<Map<bigint, { digest: string; chainBefore: string }>> {
  const iface = chain.ledger.interface;
  const event = iface.getEvent("BatchRecorded");
  const found = new Map<bigint, { digest: string; chainBefore: string }>();
  const wanted: bigint[] = [];
  for (let id = first; id <= last; id++) wanted.push(id);
  for (let from = fromBlock; from <= toBlock && found.size < wanted.length; from += LOG_BLOCKS) {
    const missing = wanted.filter((id) => !found.has(id)).map((id) => zeroPadValue(toBeHex(id), 32));
    const logs = await chain.provider.getLogs({
      address: chain.deployment.ledger,
      topics: [event.topicHash, missing],
      fromBlock: from,
      toBlock: Math.min(toBlock, from + LOG_BLOCKS - 1),
    });
    for (const log of logs) {
      const args = iface.decodeEventLog(event, log.data, log.topics);
      found.set(args.batchId as bigint, { digest: args.digest as string, chainBefore: args.chainBefore as string });
    }
  }
  return found;
}

/** The order a confirmed settlement recorded and its batch, if its batch is known and holds the order. */
async function provableOrder(tx: Db, original: StoredSettlement): Promise<ProvableOrder | undefined> {
  const batch = original.txHash === null ? undefined : await getBatch(tx, original.txHash);
  if (!batch || original.points === null || original.creditPoints === null) return undefined;
  const s = settlementCall(original.payload).settlement;
  const order = {
    cardId: String(s.cardId),
    merchantId: original.merchantId,
    orderId: String(s.orderId),
    terminal: String(s.terminal),
    nonce: BigInt(s.nonce),
    amount: BigInt(s.amount),
    points: original.points,
    creditPoints: original.creditPoints,
  };
  const index = batch.leaves.indexOf(settledOrderLeaf(order));
  if (index < 0) return undefined;
  return { order, batchId: batch.batchId, blockNumber: batch.blockNumber, leaves: batch.leaves, index: BigInt(index) };
}
