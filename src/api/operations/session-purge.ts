/**
 * The session purge: on a schedule, delete the operator and portal sessions that have been dead
 * (ended, past their maximum or idle too long) for longer than a retention, so the session tables
 * stop growing. Within the retention a dead session's cookie answers as it did (session.ended,
 * portal.session_ended). Each run logs one line of counts and adds them to
 * sessions_purged_total{table}: never a token hash or an account.
 */
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import type { Db } from "../../store/db";
import { purgeDeadSessions } from "../../store/dead-sessions";

/** How long a dead session is kept by default: a day. */
export const SESSION_RETENTION_MS = 24 * 3600_000;

export interface SessionPurgeResult {
  operator_sessions: number;
  portal_sessions: number;
}

export interface SessionPurgeOptions {
  db: Db;
  log: Pick<Logger, "info" | "warn">;
  /** The idle limits the session services apply (SESSION_IDLE_MS, PORTAL_SESSION_IDLE_MS). */
  idleMs: { operator: number; portal: number };
  purgedTotal?: Counter<"table">;
  /** A dead session is deleted once dead this long (default SESSION_RETENTION_MS). */
  retentionMs?: number;
}

export class SessionPurge {
  constructor(private readonly o: SessionPurgeOptions) {}

  async run(): Promise<SessionPurgeResult> {
    const retentionMs = this.o.retentionMs ?? SESSION_RETENTION_MS;
    const result: SessionPurgeResult = {
      operator_sessions: await purgeDeadSessions(this.o.db, "operator_sessions", this.o.idleMs.operator, retentionMs),
      portal_sessions: await purgeDeadSessions(this.o.db, "portal_sessions", this.o.idleMs.portal, retentionMs),
    };
    for (const [table, count] of Object.entries(result)) this.o.purgedTotal?.inc({ table }, count);
    this.o.log.info(result, "session purge");
    return result;
  }
}
