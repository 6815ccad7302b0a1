/**
 * What the submitter writes once the chain has answered for one of its ledger transactions:
 * each carried submission's final status (or its return to the queue), in one database
 * transaction with the ledger transaction's own status. Each write first moves the transaction
 * out of 'sent' and writes nothing when it was no longer there: two gateways that both see the
 * answer (a slow one and its adopter, ADR 0007) record it once.
 */
import type { Db } from "./db";
import type { DueSubmission, StoredLedgerTx } from "./outbox";
import { settlementKey } from "../chain/settlement-calldata";
import type { SubmissionOutcomeCode } from "../domain/submission-outcomes";

/** What the ledger said about one item of a recorded batch. */
export type ItemOutcome =
  | { kind: "confirmed"; points: bigint; creditPoints: bigint; leaf: string }
  | { kind: "rejected"; reason: SubmissionOutcomeCode };

/** A mined batch as its logs tell it (worker/calls.ts reads them). */
export interface BatchOutcome {
  batchId: bigint;
  leaves: string[];
  /** Keyed by `settlementKey(terminal, nonce)`. */
  items: Map<string, ItemOutcome>;
}

/** What a refund or redemption moved: points (and credit points, for a refund) per item, keyed as `settlementKey`. */
export type SingleOutcome = Map<string, { points: bigint; creditPoints: bigint | null }>;

/** What the ledger decided for a submission: the fields of its status that a final status adds. */
export interface FinalOutcome {
  id: string;
  status: "confirmed" | "rejected";
  reason: SubmissionOutcomeCode | null;
  txHash: string | null;
  blockNumber: number | null;
  batchId: string | null;
  points: string | null;
  creditPoints: string | null;
}

/** A signed ledger transaction, stored before it was broadcast, and the submissions it carries. */
export interface SentTx extends StoredLedgerTx {
  rows: DueSubmission[];
  /** Set when this gateway finishes it for a dead sender whose lease it adopted (ADR 0007): that sender. */
  adoptedFrom?: string;
}

/** A settlement of a mined batch whose logs say nothing about it: it was not recorded. */
const NO_OUTCOME: ItemOutcome = { kind: "rejected", reason: "ledger.no_outcome" };

/**
 * A settlement batch was mined: records the batch and each item's outcome from its logs
 * (confirmed with points and leaf, or rejected with the ledger's reason). Returns the outcomes.
 */
export async function recordBatch(db: Db, sent: SentTx, blockNumber: number, outcome: BatchOutcome): Promise<FinalOutcome[]> {
  const finals: FinalOutcome[] = [];
  const leaves: (string | null)[] = [];
  for (const row of sent.rows) {
    const o = outcome.items.get(settlementKey(row.terminal, row.nonce)) ?? NO_OUTCOME;
    const confirmed = o.kind === "confirmed" ? o : undefined;
    finals.push({
      id: row.id,
      status: o.kind,
      reason: o.kind === "rejected" ? o.reason : null,
      txHash: sent.hash,
      blockNumber,
      batchId: outcome.batchId.toString(),
      points: confirmed ? confirmed.points.toString() : null,
      creditPoints: confirmed ? confirmed.creditPoints.toString() : null,
    });
    leaves.push(confirmed ? confirmed.leaf : null);
  }
  await db.transaction(async (tx) => {
    if (!(await markMined(tx, sent.hash, blockNumber))) return;
    await tx.query("insert into batches (tx_hash, batch_id, block_number, leaves) values ($1, $2, $3, $4::jsonb) on conflict do nothing", [
      sent.hash,
      outcome.batchId.toString(),
      blockNumber,
      JSON.stringify(outcome.leaves),
    ]);
    await tx.query(
      `update submissions s set status = v.status, reason = v.reason, points = v.points, credit_points = v.credit_points,
         leaf = v.leaf, block_number = $2, batch_id = $3,
         confirmed_at = case when v.status = 'confirmed' then now() end, updated_at = now()
       from json_to_recordset($1::json) as v(id bigint, status text, reason text, points numeric, credit_points numeric, leaf text)
       where s.id = v.id`,
      [
        JSON.stringify(
          finals.map((f, i) => ({ id: f.id, status: f.status, reason: f.reason, points: f.points, credit_points: f.creditPoints, leaf: leaves[i] })),
        ),
        blockNumber,
        outcome.batchId.toString(),
      ],
    );
  });
  return finals;
}

/** A refund or redemption was mined: its submissions are confirmed with the points its events say it reversed or spent. */
export async function recordSingle(db: Db, sent: SentTx, blockNumber: number, outcome: SingleOutcome): Promise<void> {
  const moved = sent.rows.map((r) => {
    const o = outcome.get(settlementKey(r.terminal, r.nonce));
    return { id: r.id, points: o ? o.points.toString() : null, credit_points: o?.creditPoints == null ? null : o.creditPoints.toString() };
  });
  await db.transaction(async (tx) => {
    if (!(await markMined(tx, sent.hash, blockNumber))) return;
    await tx.query(
      `update submissions s set status = 'confirmed', block_number = $2, confirmed_at = now(), reason = null, updated_at = now(),
         points = v.points, credit_points = v.credit_points
       from json_to_recordset($1::json) as v(id bigint, points numeric, credit_points numeric)
       where s.id = v.id`,
      [JSON.stringify(moved), blockNumber],
    );
  });
}

/** The whole call reverted (paused ledger, lost role): nothing was recorded; its items are due again in 2 s. */
export async function requeueReverted(db: Db, sent: SentTx, blockNumber: number, reason: SubmissionOutcomeCode): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await leaveSent(tx, sent.hash, "reverted", blockNumber))) return;
    await tx.query(
      `update submissions set status = 'queued', tx_hash = null, reason = $2, updated_at = now(),
         next_attempt_at = now() + interval '2 seconds'
       where tx_hash = $1 and status = 'submitted'`,
      [sent.hash, reason],
    );
  });
}

/**
 * Sending is held (the ledger paused, or the gateway's key without its role): every queued
 * submission is marked as waiting for it (`reason`), nothing else changes. Returns how many were
 * newly marked.
 */
export async function holdQueued(db: Db, reason: SubmissionOutcomeCode): Promise<number> {
  const rows = await db.query("update submissions set reason = $1, updated_at = now() where status = 'queued' and reason is distinct from $1 returning id", [
    reason,
  ]);
  return rows.length;
}

/**
 * The transaction can never be mined (its nonce was taken): `recorded` settlements (the ledger
 * used their terminal nonces) are confirmed with reason 'ledger.receipt_lost', the rest queued again.
 */
export async function recordDropped(db: Db, sent: SentTx, recorded: readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await leaveSent(tx, sent.hash, "dropped", null))) return;
    const receiptLost: SubmissionOutcomeCode = "ledger.receipt_lost";
    await tx.query(
      `update submissions set status = 'confirmed', reason = $2, confirmed_at = now(), updated_at = now()
       where id = any($1::bigint[]) and status = 'submitted'`,
      [recorded, receiptLost],
    );
    await tx.query("update submissions set status = 'queued', tx_hash = null, updated_at = now() where tx_hash = $1 and status = 'submitted'", [
      sent.hash,
    ]);
  });
}

/**
 * The node refused `refused` for good: it is marked 'refused' and `filler` is stored at its nonce,
 * in one transaction, before the filler is broadcast. Its submissions stay with it until the
 * filler is mined (`recordFillerMined`). False when `refused` was no longer 'sent' (recorded meanwhile),
 * or when `fence` says the sender's lease is no longer held (an adopter may have dropped it).
 */
export async function storeFiller(db: Db, refused: SentTx, filler: SentTx, sender: string, fence?: (tx: Db) => Promise<boolean>): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (fence && !(await fence(tx))) return false;
    const marked = await tx.query("update chain_txs set status = 'refused', updated_at = now() where tx_hash = $1 and status = 'sent' returning tx_hash", [
      refused.hash,
    ]);
    if (marked.length === 0) return false;
    await tx.query("insert into chain_txs (tx_hash, sender, nonce, kind, raw, replaces) values ($1, $2, $3, 'filler', $4, $5)", [
      filler.hash,
      sender,
      filler.nonce,
      filler.raw,
      refused.hash,
    ]);
    return true;
  });
}

/**
 * A filler was mined: the transaction it replaced can never be (its nonce is used), so that one
 * is dropped and its submissions are due again in 2 s. Returns how many were requeued.
 */
export async function recordFillerMined(db: Db, filler: SentTx, blockNumber: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ replaces: string | null }>(
      "update chain_txs set status = 'mined', block_number = $2, updated_at = now() where tx_hash = $1 and status = 'sent' returning replaces",
      [filler.hash, blockNumber],
    );
    if (!row?.replaces) return 0;
    await tx.query("update chain_txs set status = 'dropped', updated_at = now() where tx_hash = $1 and status = 'refused'", [row.replaces]);
    const requeued = await tx.query(
      `update submissions set status = 'queued', tx_hash = null, updated_at = now(), next_attempt_at = now() + interval '2 seconds'
       where tx_hash = $1 and status = 'submitted' returning id`,
      [row.replaces],
    );
    return requeued.length;
  });
}

/**
 * An adopted sender's transactions that can never be mined (ADR 0007): the node refused the one
 * at `refused.nonce` for good, the sender's key is retired, so no transaction will ever take that
 * nonce, and none after it can be mined. Each of them still 'sent' is dropped and its items are
 * due again in 2 s, provided the chain's nonce count for the sender (`nonceCount`) is still at or
 * below the refused nonce (none of them was mined). Returns the IDs requeued.
 */
export async function dropUnminable(db: Db, sender: string, refused: SentTx, nonceCount: number): Promise<string[]> {
  if (nonceCount > refused.nonce) return [];
  return db.transaction(async (tx) => {
    const dropped = await tx.query<{ tx_hash: string }>(
      "update chain_txs set status = 'dropped', updated_at = now() where sender = $1 and status = 'sent' and nonce >= $2 returning tx_hash",
      [sender, refused.nonce],
    );
    const requeued = await tx.query<{ id: string }>(
      `update submissions set status = 'queued', tx_hash = null, updated_at = now(), next_attempt_at = now() + interval '2 seconds'
       where tx_hash = any($1::text[]) and status = 'submitted' returning id`,
      [dropped.map((d) => d.tx_hash)],
    );
    return requeued.map((r) => String(r.id));
  });
}

/**
 * The filler's nonce was taken: the refused transaction was mined after all (the block gas limit
 * rose again before the filler replaced it). The filler is dropped and the refused one is 'sent'
 * again, for `recover` to record from its receipt.
 */
export async function restoreRefused(db: Db, filler: SentTx): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ replaces: string | null }>(
      "update chain_txs set status = 'dropped', updated_at = now() where tx_hash = $1 and status = 'sent' returning replaces",
      [filler.hash],
    );
    if (row?.replaces) await tx.query("update chain_txs set status = 'sent', updated_at = now() where tx_hash = $1 and status = 'refused'", [row.replaces]);
  });
}

function markMined(tx: Db, hash: string, blockNumber: number): Promise<boolean> {
  return leaveSent(tx, hash, "mined", blockNumber);
}

/** Moves a 'sent' transaction to `status`; false when it was not 'sent' (recorded already). */
async function leaveSent(tx: Db, hash: string, status: "mined" | "reverted" | "dropped", blockNumber: number | null): Promise<boolean> {
  const rows = await tx.query(
    "update chain_txs set status = $2, block_number = coalesce($3, block_number), updated_at = now() where tx_hash = $1 and status = 'sent' returning tx_hash",
    [hash, status, blockNumber],
  );
  return rows.length > 0;
}
