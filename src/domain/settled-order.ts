/**
 * Settled orders and batch proofs: the ledger digests each batch as keccak256 of its accepted
 * orders' leaves, in order, and folds the digests into its batch chain (ADR 0014). A refund proves
 * its original order by passing the batch's leaves, the chain value before the batch and the
 * digests of later batches up to a chain value the ledger holds. This is the TypeScript twin of
 * PointsLedger's `_leaf`, `_recordBatch` and `_chainStep`.
 */
import { keccak256Hex } from "./keccak";

export interface SettledOrder {
  cardId: string;
  merchantId: bigint;
  orderId: string;
  /** The settlement's terminal and nonce: they make each settlement's leaf its own. */
  terminal: string;
  nonce: bigint;
  amount: bigint;
  points: bigint;
  creditPoints: bigint;
}

/**
 * keccak256(abi.encode(cardId, merchantId, orderId, terminal, nonce, amount, points,
 * creditPoints)): eight static words, written directly (the generic ABI encoder is the slow part
 * on the gateway's and the auditor's hot paths).
 */
export function settledOrderLeaf(o: SettledOrder): string {
  const words = Buffer.alloc(256);
  Buffer.from(o.cardId.slice(2), "hex").copy(words, 0);
  words.writeUInt32BE(Number(o.merchantId), 60);
  Buffer.from(o.orderId.slice(2), "hex").copy(words, 64);
  Buffer.from(o.terminal.slice(2), "hex").copy(words, 108);
  words.writeBigUInt64BE(o.nonce, 152);
  words.writeBigUInt64BE(o.amount, 184);
  words.writeBigUInt64BE(o.points, 216);
  words.writeBigUInt64BE(o.creditPoints, 248);
  return keccak256Hex(words);
}

export function batchDigest(leaves: readonly string[]): string {
  return keccak256Hex(Buffer.from(leaves.map((l) => l.slice(2)).join(""), "hex"));
}

/**
 * PointsLedger.CHAIN_RING: the ledger holds the batch chain's value after each of its last this
 * many batches, and keeps every this-many-th for good (the auditor's state check compares the
 * contract's constant with it).
 */
export const CHAIN_RING = 16n;

/** The batch chain's value after a batch of digest `digest`: keccak256(chainBefore, digest). */
export function batchChainStep(chainBefore: string, digest: string): string {
  return keccak256Hex(Buffer.from(chainBefore.slice(2) + digest.slice(2), "hex"));
}
