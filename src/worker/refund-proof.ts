/**
 * The proof a refund carries: the refunded order as the ledger settled it, and the leaves of its
 * batch, so PointsLedger can check the order against the batch digest it recorded.
 */
import type { Db } from "../store/db";
import { settledOrderLeaf, type SettledOrder } from "../domain/settled-order";
import { settlementCall } from "./calls";
import { confirmedSettlementOfOrder, getBatch, liveSettlement, type RefundPayload, type StoredSettlement } from "../store/outbox";
import type { SubmissionOutcomeCode } from "../domain/submission-outcomes";

export interface RefundProof {
  order: SettledOrder;
  proof: { batchId: bigint; batchLeaves: string[]; index: bigint };
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

/**
 * The proof for refund `p` (of the settlement it names by terminal and nonce); "wait" while that
 * settlement is on its way to the ledger; or why no proof can be made.
 */
export async function refundProof(tx: Db, p: RefundPayload): Promise<RefundProof | "wait" | RefundUnprovable> {
  const original = await liveSettlement(tx, String(p.refund.settlementTerminal), String(p.refund.settlementNonce));
  if (!original) return { rejected: "refund.order_not_settled" };
  if (original.status !== "confirmed") return "wait";
  return (await proofOf(tx, original)) ?? { rejected: "refund.order_unprovable" };
}

/**
 * The proof of the confirmed settlement of order `orderId` at merchant `merchantId` (the first,
 * if the order was settled more than once), as a correction naming the order carries it; none if
 * no such settlement is confirmed here or it cannot be proven.
 */
export async function settledOrderProof(tx: Db, merchantId: bigint, orderId: string): Promise<RefundProof | undefined> {
  const original = await confirmedSettlementOfOrder(tx, merchantId, orderId);
  return original ? proofOf(tx, original) : undefined;
}

/** The order a confirmed settlement recorded and its batch proof, if its batch is known. */
async function proofOf(tx: Db, original: StoredSettlement): Promise<RefundProof | undefined> {
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
  return { order, proof: { batchId: batch.batchId, batchLeaves: batch.leaves, index: BigInt(index) } };
}
