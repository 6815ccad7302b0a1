/**
 * Deleting dead sessions: operator_sessions (migration 004) and portal_sessions (migration 006)
 * share their shape, and a session of either is dead from the first of its sign-out (ended_at),
 * its maximum (expires_at) and its idle limit after last_seen_at. The statements that create,
 * touch and end them are in operator-records.ts and portal-records.ts.
 */
import type { Db } from "./db";

export type SessionTable = "operator_sessions" | "portal_sessions";

/**
 * Delete the sessions of `table` dead for more than `retentionMs`, `idleMs` being the idle limit
 * its service applies; returns how many. Until then a dead session's cookie still answers as ended.
 */
export async function purgeDeadSessions(db: Db, table: SessionTable, idleMs: number, retentionMs: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `with gone as (
       delete from ${table}
       where least(ended_at, expires_at, last_seen_at + $1 * interval '1 millisecond') < now() - $2 * interval '1 millisecond'
       returning 1)
     select count(*)::int as n from gone`,
    [idleMs, retentionMs],
  );
  return Number(row.n);
}
