/**
 * Settled orders and batch proofs: the ledger records each batch as keccak256 of its accepted
 * orders' leaves, in order. A refund proves its original order by passing the batch's leaves.
 * This is the TypeScript twin of PointsLedger's `_leaf` and `_recordBatch`.
 */
import { AbiCoder, keccak256, concat } from "ethers";

export interface SettledOrder {
  cardId: string;
  merchantId: bigint;
  orderId: string;
  amount: bigint;
  points: bigint;
  creditPoints: bigint;
}

const coder = AbiCoder.defaultAbiCoder();

export function settledOrderLeaf(o: SettledOrder): string {
  return keccak256(
    coder.encode(
      ["bytes32", "uint32", "bytes32", "uint64", "uint64", "uint64"],
      [o.cardId, o.merchantId, o.orderId, o.amount, o.points, o.creditPoints],
    ),
  );
}

export function batchDigest(leaves: readonly string[]): string {
  return keccak256(leaves.length === 0 ? "0x" : concat(leaves as string[]));
}
