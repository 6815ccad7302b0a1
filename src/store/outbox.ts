/**
 * The submissions outbox: terminal-signed ledger operations are stored first (durably, replay-
 * keyed by (terminal, nonce)), then claimed in batches by a sender, and finally marked confirmed
 * or rejected, or requeued with a delay. Claims use FOR UPDATE SKIP LOCKED, so several gateways
 * over one PostgreSQL never claim the same row.
 *
 * Status moves: queued -> submitted (lockDue + markSent) -> confirmed | rejected, or back to queued
 * (outbox-outcomes.ts records what the chain answered). Every statement on the outbox's tables
 * (submissions, chain_txs, batches) is here or there.
 */
import type { SubmissionOutcomeCode } from "../domain/submission-outcomes";
import type { CompactSignature } from "../domain/typed-data";
import type { Db } from "./db";

export type SubmissionKind = "settlement" | "refund" | "redemption";
export type SubmissionStatus = "queued" | "submitted" | "confirmed" | "rejected";

/** Two compact signatures: the terminal's and the card's. */
export interface SignaturePair {
  terminal: CompactSignature;
  card: CompactSignature;
}

/** A signed message as stored: its fields, bigints as decimal strings. */
type StoredMessage = Record<string, string | number>;

/** The payload of a stored settlement: the message and both signatures, as submitted. */
export interface SettlementPayload {
  settlement: StoredMessage;
  signatures: SignaturePair;
}

/** The payload of a stored refund: the message and the terminal's signature. */
export interface RefundPayload {
  refund: StoredMessage;
  signature: CompactSignature;
}

/** The payload of a stored redemption: the message and both signatures. */
export interface RedemptionPayload {
  redemption: StoredMessage;
  signatures: SignaturePair;
}

export interface NewSubmission {
  kind: SubmissionKind;
  terminal: string;
  nonce: bigint;
  orderId?: string;
  cardId?: string;
  merchantId?: number;
  /** The signed message and signatures, as submitted (JSON-serialisable; bigints as strings). */
  payload: unknown;
  /** Hash of the canonical payload. */
  requestHash: string;
}

export interface Submission {
  /** Opaque row id (a bigserial, as a string). */
  id: string;
  kind: SubmissionKind;
  terminal: string;
  nonce: bigint;
  orderId: string | null;
  cardId: string | null;
  merchantId: number | null;
  requestHash: string;
  status: SubmissionStatus;
  reason: string | null;
  txHash: string | null;
  blockNumber: number | null;
  batchId: bigint | null;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

interface SubmissionRow {
  id: string;
  kind: SubmissionKind;
  terminal: string;
  nonce: string;
  order_id: string | null;
  card_id: string | null;
  merchant_id: string | null;
  request_hash: string;
  status: SubmissionStatus;
  reason: string | null;
  tx_hash: string | null;
  block_number: string | null;
  batch_id: string | null;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  updated_at: Date;
}

/**
 * The columns a Submission is read from: all but the payload, which only the submitter reads
 * (lockDue). Returning it from every insert cost about a third of the insert in PGlite.
 */
const SUBMISSION_COLUMNS =
  "id, kind, terminal, nonce, order_id, card_id, merchant_id, request_hash, status, reason, tx_hash, block_number, batch_id, attempts, next_attempt_at, created_at, updated_at";

function toSubmission(r: SubmissionRow): Submission {
  return {
    id: String(r.id),
    kind: r.kind,
    terminal: r.terminal,
    nonce: BigInt(r.nonce),
    orderId: r.order_id,
    cardId: r.card_id,
    merchantId: r.merchant_id === null ? null : Number(r.merchant_id),
    requestHash: r.request_hash,
    status: r.status,
    reason: r.reason,
    txHash: r.tx_hash,
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    batchId: r.batch_id === null ? null : BigInt(r.batch_id),
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const jsonText = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

export type EnqueueOutcome =
  /** Stored now. */
  | { outcome: "created"; submission: Submission }
  /** The same request was stored before (an idempotent retry): the stored row. */
  | { outcome: "duplicate"; submission: Submission }
  /** The nonce was already used for a DIFFERENT request: the stored row. */
  | { outcome: "conflict"; submission: Submission }
  /** Not stored: the merchant's order already has a live (not rejected) settlement. */
  | { outcome: "order_taken" };

/** Stores a submission unless its replay key (terminal, nonce) is taken. */
export async function enqueueSubmission(db: Db, s: NewSubmission): Promise<EnqueueOutcome & { outcome: "created" | "duplicate" | "conflict" }> {
  const [result] = await enqueueSubmissions(db, [s]);
  if (result.outcome === "order_taken") {
    throw Object.assign(new Error("the order already has a live settlement"), { code: UNIQUE_VIOLATION });
  }
  return result;
}

const UNIQUE_VIOLATION = "23505";

/**
 * Stores many submissions with one multi-row statement (plus one lookup for those not stored),
 * each unless its replay key (terminal, nonce) or its order is taken. Outcomes are in input
 * order. Run it inside a transaction to make it atomic with other writes.
 */
export async function enqueueSubmissions(db: Db, items: readonly NewSubmission[]): Promise<EnqueueOutcome[]> {
  if (items.length === 0) return [];
  // The rows travel as one JSON array: PostgreSQL parses it once, where text[] parameters were
  // escaped element by element on the way in (in PGlite, about a third of the insert).
  const rows = items.map((s) => ({
    kind: s.kind,
    terminal: s.terminal,
    nonce: s.nonce,
    order_id: s.orderId ?? null,
    card_id: s.cardId ?? null,
    merchant_id: s.merchantId ?? null,
    payload: s.payload,
    request_hash: s.requestHash,
  }));
  const inserted = await db.query<SubmissionRow>(
    `insert into submissions (kind, terminal, nonce, order_id, card_id, merchant_id, payload, request_hash)
     select kind, terminal, nonce, order_id, card_id, merchant_id, payload, request_hash
     from json_to_recordset($1::json) as v(kind text, terminal text, nonce numeric, order_id text, card_id text,
                                           merchant_id bigint, payload jsonb, request_hash text)
     on conflict do nothing
     returning ${SUBMISSION_COLUMNS}`,
    [jsonText(rows)],
  );
  const key = (terminal: string, nonce: string) => `${terminal}/${nonce}`;
  const stored = new Map(inserted.map((r) => [key(r.terminal, String(r.nonce)), r]));
  const created = new Set(stored.keys());
  const missing = items.filter((s) => !stored.has(key(s.terminal, s.nonce.toString())));
  if (missing.length > 0) {
    const existing = await db.query<SubmissionRow>(
      `select ${SUBMISSION_COLUMNS} from submissions
       where (terminal, nonce) in (select k.terminal, k.nonce::numeric from unnest($1::text[], $2::text[]) as k(terminal, nonce))`,
      [missing.map((s) => s.terminal), missing.map((s) => s.nonce.toString())],
    );
    for (const r of existing) stored.set(key(r.terminal, String(r.nonce)), r);
  }
  const claimed = new Set<string>();
  return items.map((s): EnqueueOutcome => {
    const k = key(s.terminal, s.nonce.toString());
    const row = stored.get(k);
    if (!row) return { outcome: "order_taken" };
    // The first item of a key created the row; a repeat of the key in the same call is a retry.
    const first = created.has(k) && !claimed.has(k) && row.request_hash === s.requestHash;
    claimed.add(k);
    if (first) return { outcome: "created", submission: toSubmission(row) };
    return { outcome: row.request_hash === s.requestHash ? "duplicate" : "conflict", submission: toSubmission(row) };
  });
}

/**
 * The namespace of the card locks intake takes (the two-key form of PostgreSQL's advisory
 * locks, which never meets the one-key locks of migrations and deployment).
 */
const CARD_LOCK_NAMESPACE = 0x43524431; // "CRD1"

/**
 * Inside the caller's transaction: takes each card's intake lock, held until the transaction
 * ends, so that on one card the reservation check and the insert of one intake never interleave
 * with another's, whichever gateway runs it. Locks are taken in one order (deadlock-free).
 */
export async function lockCardsForIntake(tx: Db, cardIds: readonly string[]): Promise<void> {
  const cards = [...new Set(cardIds.map((c) => c.toLowerCase()))].sort();
  if (cards.length === 0) return;
  await tx.query(
    `select pg_advisory_xact_lock($1::int, hashtext(c)) from (select c from unnest($2::text[]) as k(c) order by c) as sorted`,
    [CARD_LOCK_NAMESPACE, cards],
  );
}

/**
 * A refund or redemption of a card that may still move its balance after block `sinceBlock`:
 * accepted and not yet decided, or confirmed in a later block. A refund carries the settlement it
 * refunds (its amount, points and where it stands).
 */
export interface UnsettledDebit {
  kind: "refund" | "redemption";
  cardId: string;
  terminal: string;
  nonce: bigint;
  /** Points to redeem, or the amount to refund. */
  value: bigint;
  /** For a confirmed one: the block it was confirmed in. */
  blockNumber: number | null;
  refunded?: { amount: bigint; points: bigint | null; status: SubmissionStatus; blockNumber: number | null };
}

/**
 * Inside the caller's transaction (after lockCardsForIntake): the refunds and redemptions of
 * `cardIds` that are queued or submitted, or were confirmed after block `sinceBlock`.
 */
export async function unsettledDebits(tx: Db, cardIds: readonly string[], sinceBlock: number): Promise<UnsettledDebit[]> {
  if (cardIds.length === 0) return [];
  const rows = await tx.query<{
    kind: "refund" | "redemption";
    card_id: string;
    terminal: string;
    nonce: string;
    value: string;
    block_number: string | null;
    order_amount: string | null;
    order_points: string | null;
    order_status: SubmissionStatus | null;
    order_block: string | null;
  }>(
    `select d.kind, d.card_id, d.terminal, d.nonce, d.block_number,
            coalesce(d.payload->'redemption'->>'points', d.payload->'refund'->>'amount') as value,
            s.payload->'settlement'->>'amount' as order_amount, s.points as order_points,
            s.status as order_status, s.block_number as order_block
     from submissions d
     left join submissions s on d.kind = 'refund' and s.kind = 'settlement'
       and s.terminal = d.payload->'refund'->>'settlementTerminal'
       and s.nonce = (d.payload->'refund'->>'settlementNonce')::numeric
     where d.card_id = any($1::text[]) and d.kind in ('refund', 'redemption')
       and (d.status in ('queued', 'submitted') or (d.status = 'confirmed' and d.block_number > $2))`,
    [[...new Set(cardIds.map((c) => c.toLowerCase()))], sinceBlock],
  );
  return rows.map((r) => ({
    kind: r.kind,
    cardId: r.card_id,
    terminal: r.terminal,
    nonce: BigInt(r.nonce),
    value: BigInt(r.value),
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    refunded:
      r.order_amount === null
        ? undefined
        : {
            amount: BigInt(r.order_amount),
            points: r.order_points === null ? null : BigInt(r.order_points),
            status: r.order_status!,
            blockNumber: r.order_block === null ? null : Number(r.order_block),
          },
  }));
}

/** A settlement as refunds see it: its card, order, merchant, amount, and what refunds not rejected claim of it. */
export interface RefundableSettlement {
  cardId: string;
  orderId: string;
  merchantId: number;
  amount: bigint;
  points: bigint | null;
  status: SubmissionStatus;
  blockNumber: number | null;
  /** The amounts of its refunds that are not rejected (accepted, sent or confirmed). */
  claimed: bigint;
}

/** The live (not rejected) settlement signed under a terminal's nonce, and what its refunds claim of it. */
export async function refundableSettlement(db: Db, terminal: string, nonce: bigint): Promise<RefundableSettlement | undefined> {
  const [row] = await db.query<{
    card_id: string;
    order_id: string;
    merchant_id: string;
    amount: string;
    points: string | null;
    status: SubmissionStatus;
    block_number: string | null;
    claimed: string;
  }>(
    `select s.card_id, s.order_id, s.merchant_id, s.payload->'settlement'->>'amount' as amount, s.points, s.status, s.block_number,
            (select coalesce(sum((r.payload->'refund'->>'amount')::numeric), 0) from submissions r
             where r.card_id = s.card_id and r.kind = 'refund' and r.status <> 'rejected'
               and r.payload->'refund'->>'settlementTerminal' = s.terminal
               and (r.payload->'refund'->>'settlementNonce')::numeric = s.nonce) as claimed
     from submissions s
     where s.kind = 'settlement' and s.terminal = $1 and s.nonce = $2 and s.status <> 'rejected'`,
    [terminal, nonce.toString()],
  );
  return (
    row && {
      cardId: row.card_id,
      orderId: row.order_id,
      merchantId: Number(row.merchant_id),
      amount: BigInt(row.amount),
      points: row.points === null ? null : BigInt(row.points),
      status: row.status,
      blockNumber: row.block_number === null ? null : Number(row.block_number),
      claimed: BigInt(row.claimed),
    }
  );
}

export async function getSubmission(db: Db, id: string): Promise<Submission | undefined> {
  const [row] = await db.query<SubmissionRow>(`select ${SUBMISSION_COLUMNS} from submissions where id = $1`, [id]);
  return row && toSubmission(row);
}

/** The submission stored under a terminal's nonce (the replay key), if any. */
export async function findSubmission(db: Db, terminal: string, nonce: bigint): Promise<Submission | undefined> {
  const [row] = await db.query<SubmissionRow>(`select ${SUBMISSION_COLUMNS} from submissions where terminal = $1 and nonce = $2`, [
    terminal,
    nonce.toString(),
  ]);
  return row && toSubmission(row);
}

/**
 * A due submission the submitter locked, with what it needs to sign it: its payload typed by its
 * kind (intake validated it and stored it as that kind's payload, which only this module reads back).
 */
export type DueSubmission = { id: string; terminal: string; nonce: string; created_at: Date } & (
  | { kind: "settlement"; payload: SettlementPayload }
  | { kind: "refund"; payload: RefundPayload }
  | { kind: "redemption"; payload: RedemptionPayload }
);

/** The payloads of `rows`, which must all be settlements (a batch carries nothing else). */
export function settlementPayloads(rows: readonly DueSubmission[]): SettlementPayload[] {
  return rows.map((r) => {
    if (r.kind !== "settlement") throw new Error(`submission ${r.id} is a ${r.kind}, not a settlement`);
    return r.payload;
  });
}

/**
 * Inside the caller's transaction: locks up to `limit` due, queued submissions of `kinds`, oldest
 * first, skipping rows another transaction holds (FOR UPDATE SKIP LOCKED: several gateways over
 * one PostgreSQL never claim the same row). They are read, payloads included, only when at least
 * `minRows` are due; else none. `markSent` then claims them in the same transaction.
 */
export async function lockDue(tx: Db, o: { kinds: readonly SubmissionKind[]; limit: number; minRows?: number }): Promise<DueSubmission[]> {
  if (!Number.isInteger(o.limit) || o.limit < 1) throw new RangeError(`claim limit must be a positive integer, got ${o.limit}`);
  return tx.query<DueSubmission>(
    `with due as (
       select id from submissions
       where status = 'queued' and kind = any($2::text[]) and next_attempt_at <= now()
       order by id limit $1 for update skip locked
     )
     select id, kind, terminal, nonce, payload, created_at from submissions
     where id in (select id from due) and (select count(*) from due) >= $3
     order by id`,
    [o.limit, o.kinds, o.minRows ?? 1],
  );
}

/** A signed ledger transaction, stored before it is broadcast, and the submissions it carries. */
export interface SignedLedgerTx {
  ids: readonly string[];
  txHash: string;
  sender: string;
  nonce: number;
  kind: SubmissionKind;
  /** The signed transaction, 0x-hex: what a restart broadcasts again, unchanged. */
  raw: string;
}

/** Inside the transaction that locked them: stores the ledger transaction and marks its submissions submitted (one more attempt). */
export async function markSent(tx: Db, t: SignedLedgerTx): Promise<void> {
  await tx.query("insert into chain_txs (tx_hash, sender, nonce, kind, raw) values ($1, $2, $3, $4, $5)", [t.txHash, t.sender, t.nonce, t.kind, t.raw]);
  await tx.query(
    `update submissions set status = 'submitted', tx_hash = $2, attempts = attempts + 1, updated_at = now()
     where id = any($1::bigint[])`,
    [t.ids, t.txHash],
  );
}

/**
 * Inside the claim transaction: a claimed refund whose order is not yet confirmed stays queued,
 * due again in `seconds`.
 */
export async function retryClaimedLater(tx: Db, id: string, seconds: number): Promise<void> {
  await tx.query("update submissions set next_attempt_at = now() + make_interval(secs => $2) where id = $1", [id, seconds]);
}

/** Inside the claim transaction: a claimed submission stays queued, saying why it waits (`ledger.paused`). */
export async function holdClaimed(tx: Db, id: string, reason: SubmissionOutcomeCode): Promise<void> {
  await tx.query("update submissions set reason = $2, updated_at = now() where id = $1", [id, reason]);
}

/** Inside the claim transaction: a claimed refund or redemption its dry run refused is rejected with `reason`. */
export async function rejectClaimed(tx: Db, id: string, reason: SubmissionOutcomeCode): Promise<void> {
  await tx.query("update submissions set status = 'rejected', reason = $2, updated_at = now() where id = $1", [id, reason]);
}

/** A stored ledger transaction of a sender, as the submitter broadcasts and awaits it. */
export interface StoredLedgerTx {
  hash: string;
  raw: string;
  nonce: number;
  /** A submission kind, or 'filler': a transfer to the sender itself at a refused transaction's nonce (ADR 0007). */
  kind: SubmissionKind | "filler";
}

/** `sender`'s transactions stored and not yet answered ('sent'), in nonce order; at most `limit`. */
export async function sentTransactions(db: Db, sender: string, limit?: number): Promise<StoredLedgerTx[]> {
  const rows = await db.query<{ tx_hash: string; raw: string; nonce: string; kind: StoredLedgerTx["kind"] }>(
    "select tx_hash, raw, nonce, kind from chain_txs where status = 'sent' and sender = $1 order by nonce limit $2",
    [sender, limit ?? null],
  );
  return rows.map((r) => ({ hash: r.tx_hash, raw: r.raw, nonce: Number(r.nonce), kind: r.kind }));
}

/** The submissions a stored transaction carries and that still wait for its answer, in claim order. */
export async function submittedIn(db: Db, txHash: string): Promise<DueSubmission[]> {
  return db.query<DueSubmission>(
    "select id, kind, terminal, nonce, payload, created_at from submissions where tx_hash = $1 and status = 'submitted' order by id",
    [txHash],
  );
}

/** A stored transaction's status ('sent', 'mined', 'refused', 'dropped'), or undefined. */
export async function transactionStatus(db: Db, txHash: string): Promise<string | undefined> {
  const [row] = await db.query<{ status: string }>("select status from chain_txs where tx_hash = $1", [txHash]);
  return row?.status;
}

/**
 * A chain that lost its newest blocks no longer holds `sender`'s transactions from nonce
 * `nonceCount` on: each is marked 'sent' again with its submissions, in one transaction, for the
 * submitter to re-broadcast. Returns how many transactions were restored.
 */
export async function restoreLostMined(db: Db, sender: string, nonceCount: number): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(
      `update submissions set status = 'submitted', updated_at = now()
       where tx_hash in (select tx_hash from chain_txs where sender = $1 and status = 'mined' and nonce >= $2)`,
      [sender, nonceCount],
    );
    const rows = await tx.query(
      "update chain_txs set status = 'sent', block_number = null, updated_at = now() where sender = $1 and status = 'mined' and nonce >= $2 returning tx_hash",
      [sender, nonceCount],
    );
    return rows.length;
  });
}

/** A stored settlement, as a refund or a correction naming its order proves it. */
export interface StoredSettlement {
  payload: SettlementPayload;
  status: SubmissionStatus;
  /** The transaction that carried it; null while queued. */
  txHash: string | null;
  /** What the ledger's receipt said it earned; null until confirmed (or when the receipt was lost). */
  points: bigint | null;
  creditPoints: bigint | null;
  merchantId: bigint;
}

const STORED_SETTLEMENT_COLUMNS = "payload, status, tx_hash, points, credit_points, merchant_id";

function toStoredSettlement(r: { payload: SettlementPayload; status: SubmissionStatus; tx_hash: string | null; points: string | null; credit_points: string | null; merchant_id: string }): StoredSettlement {
  return {
    payload: r.payload,
    status: r.status,
    txHash: r.tx_hash,
    points: r.points === null ? null : BigInt(r.points),
    creditPoints: r.credit_points === null ? null : BigInt(r.credit_points),
    merchantId: BigInt(r.merchant_id),
  };
}

/** The settlement (not rejected) a terminal signed under `nonce`, if one is stored. */
export async function liveSettlement(db: Db, terminal: string, nonce: string): Promise<StoredSettlement | undefined> {
  const [row] = await db.query<Parameters<typeof toStoredSettlement>[0]>(
    `select ${STORED_SETTLEMENT_COLUMNS} from submissions
     where kind = 'settlement' and terminal = $1 and nonce = $2 and status <> 'rejected'`,
    [terminal, nonce],
  );
  return row && toStoredSettlement(row);
}

/** The first confirmed settlement of order `orderId` at merchant `merchantId`, if one is stored. */
export async function confirmedSettlementOfOrder(db: Db, merchantId: bigint, orderId: string): Promise<StoredSettlement | undefined> {
  const [row] = await db.query<Parameters<typeof toStoredSettlement>[0]>(
    `select ${STORED_SETTLEMENT_COLUMNS} from submissions
     where kind = 'settlement' and merchant_id = $1 and lower(order_id) = lower($2) and status = 'confirmed'
     order by id limit 1`,
    [String(merchantId), orderId],
  );
  return row && toStoredSettlement(row);
}

/** The recorded leaves of a batch, by its transaction hash. */
export async function getBatch(
  db: Db,
  txHash: string,
): Promise<{ txHash: string; batchId: bigint; blockNumber: number; leaves: string[] } | undefined> {
  const [row] = await db.query<{ tx_hash: string; batch_id: string; block_number: string; leaves: string[] }>(
    "select tx_hash, batch_id, block_number, leaves from batches where tx_hash = $1",
    [txHash],
  );
  return row && { txHash: row.tx_hash, batchId: BigInt(row.batch_id), blockNumber: Number(row.block_number), leaves: row.leaves };
}
