/**
 * The proof a refund carries: the refunded order as the ledger settled it, and the leaves of its
 * batch, so PointsLedger can check the order against the batch digest it recorded.
 */
import type { Db } from "../store/db";
import { settledOrderLeaf, type SettledOrder } from "../domain/settled-order";
import { settlementCall } from "./calls";
import type { RefundPayload, SettlementPayload } from "../store/outbox";
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
  const [original] = await tx.query<SettlementRow & { status: string }>(
    `select s.payload, s.status, s.tx_hash, s.points, s.credit_points, s.merchant_id from submissions s
     where s.kind = 'settlement' and s.terminal = $1 and s.nonce = $2 and s.status <> 'rejected'`,
    [String(p.refund.settlementTerminal), String(p.refund.settlementNonce)],
  );
  if (!original) return { rejected: "refund.order_not_settled" };
  if (original.status !== "confirmed") return "wait";
  return (await proofOf(tx, original)) ?? { rejected: "refund.order_unprovable" };
}

interface SettlementRow {
  payload: SettlementPayload;
  tx_hash: string;
  points: string | null;
  credit_points: string | null;
  merchant_id: string;
}

/**
 * The proof of the confirmed settlement of order `orderId` at merchant `merchantId` (the first,
 * if the order was settled more than once), as a correction naming the order carries it; none if
 * no such settlement is confirmed here or it cannot be proven.
 */
export async function settledOrderProof(tx: Db, merchantId: bigint, orderId: string): Promise<RefundProof | undefined> {
  const [original] = await tx.query<SettlementRow>(
    `select s.payload, s.tx_hash, s.points, s.credit_points, s.merchant_id from submissions s
     where s.kind = 'settlement' and s.merchant_id = $1 and lower(s.order_id) = lower($2) and s.status = 'confirmed'
     order by s.id limit 1`,
    [String(merchantId), orderId],
  );
  return original ? proofOf(tx, original) : undefined;
}

/** The order a confirmed settlement recorded and its batch proof, if its batch is known. */
async function proofOf(tx: Db, original: SettlementRow): Promise<RefundProof | undefined> {
  const [batch] = await tx.query<{ batch_id: string; leaves: string[] }>("select batch_id, leaves from batches where tx_hash = $1", [
    original.tx_hash,
  ]);
  if (!batch || original.points === null || original.credit_points === null) return undefined;
  const s = settlementCall(original.payload).settlement;
  const order = {
    cardId: String(s.cardId),
    merchantId: BigInt(original.merchant_id),
    orderId: String(s.orderId),
    terminal: String(s.terminal),
    nonce: BigInt(s.nonce),
    amount: BigInt(s.amount),
    points: BigInt(original.points),
    creditPoints: BigInt(original.credit_points),
  };
  const index = batch.leaves.indexOf(settledOrderLeaf(order));
  return { order, proof: { batchId: BigInt(batch.batch_id), batchLeaves: batch.leaves, index: BigInt(index) } };
}
