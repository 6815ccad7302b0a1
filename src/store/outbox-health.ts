/**
 * What an operator needs to see a stranded submission before a terminal gives up on it (ADR 0007):
 * per gateway sender, the submissions its ledger transactions carry and their oldest, and the
 * submissions queued for any sender.
 */
import type { Db } from "./db";

export interface OutboxHealth {
  /** The gateway key whose signed transactions carry the submissions; null for queued ones. */
  sender: string | null;
  status: "queued" | "submitted";
  /** Submissions in this state. */
  items: number;
  /** Ledger transactions of this sender not yet answered by the chain ('sent'; 0 for queued). */
  transactions: number;
  /** Seconds since the oldest of them was accepted. */
  oldestSeconds: number;
}

/** Unanswered submissions (queued, or submitted and not yet recorded), by sender. */
export async function outboxHealth(db: Db): Promise<OutboxHealth[]> {
  const rows = await db.query<{ sender: string | null; status: "queued" | "submitted"; items: number; transactions: number; oldest_seconds: number }>(
    `select c.sender, s.status, count(*)::int as items, count(distinct c.tx_hash)::int as transactions,
            extract(epoch from now() - min(s.created_at))::float8 as oldest_seconds
     from submissions s left join chain_txs c on c.tx_hash = s.tx_hash and s.status = 'submitted'
     where s.status in ('queued', 'submitted')
     group by c.sender, s.status
     order by s.status, c.sender`,
  );
  return rows.map((r) => ({ sender: r.sender, status: r.status, items: r.items, transactions: r.transactions, oldestSeconds: r.oldest_seconds }));
}
