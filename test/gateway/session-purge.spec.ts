/**
 * The session purge (src/api/operations/session-purge.ts) on the embedded PGlite: operator and
 * portal sessions dead (ended, past their maximum or idle too long) for longer than the retention
 * are deleted; live ones and those dead for less are kept, and a kept one still does not resolve.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SESSION_RETENTION_MS, SessionPurge } from "../../src/api/operations/session-purge";
import { createMetrics } from "../../src/http/observability";
import { openDb, type Db } from "../../src/store";
import { createSession, touchSession } from "../../src/store/operator-records";
import { createPortalSession, touchPortalSession } from "../../src/store/portal-records";

const operator = { credentialId: "18446744073709551615", institution: "bank" as const, operatorId: "op-1", kind: "passkey" as const };
const account = { kind: "consumer" as const, subject: "42" };
const HOUR = 3600_000;
/** The services' idle limit (SESSION_IDLE_MS, PORTAL_SESSION_IDLE_MS). */
const IDLE_MS = 15 * 60_000;
const idleMs = { operator: IDLE_MS, portal: IDLE_MS };

describe("session purge", function () {
  this.timeout(60_000);
  let dir: string;
  let db: Db;
  const logged: object[] = [];
  const log = { info: (o: object) => void logged.push(o), warn: (o: object) => void logged.push(o) };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-session-purge-"));
    db = await openDb({ dataDir: dir });
  });
  after(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sets a session's clocks (`set`, an SQL assignment list) back in time. */
  async function age(table: string, token: string, set: string): Promise<void> {
    await db.query(`update ${table} set ${set} where token_hash = $1`, [token]);
  }

  async function tokens(table: string): Promise<string[]> {
    return (await db.query<{ token_hash: string }>(`select token_hash from ${table} order by token_hash`)).map((r) => r.token_hash);
  }

  it("deletes the sessions dead longer than the retention and keeps the live and the recently dead", async () => {
    for (const t of ["live", "ended-old", "ended-recent", "max-old", "max-recent", "idle-old", "idle-recent"]) {
      await createSession(db, `op-${t}`, operator, 8 * HOUR);
      await createPortalSession(db, `po-${t}`, account, 8 * HOUR);
    }
    for (const [table, p] of [["operator_sessions", "op"], ["portal_sessions", "po"]]) {
      await age(table, `${p}-ended-old`, "ended_at = now() - interval '25 hours'");
      await age(table, `${p}-ended-recent`, "ended_at = now() - interval '23 hours'");
      await age(table, `${p}-max-old`, "expires_at = now() - interval '25 hours', last_seen_at = now() - interval '25 hours 10 minutes'");
      await age(table, `${p}-max-recent`, "expires_at = now() - interval '1 hour', last_seen_at = now() - interval '1 hour 10 minutes'");
      // Idle for 15 minutes from last_seen_at: dead 24 h 5 min ago, and 23 h 45 min ago.
      await age(table, `${p}-idle-old`, "last_seen_at = now() - interval '24 hours 20 minutes'");
      await age(table, `${p}-idle-recent`, "last_seen_at = now() - interval '24 hours'");
    }
    const metrics = createMetrics();
    const result = await new SessionPurge({ db, log, idleMs, purgedTotal: metrics.sessionsPurged }).run();

    expect(result).to.deep.equal({ operator_sessions: 3, portal_sessions: 3 });
    const kept = ["ended-recent", "idle-recent", "live", "max-recent"];
    expect(await tokens("operator_sessions")).to.deep.equal(kept.map((t) => `op-${t}`));
    expect(await tokens("portal_sessions")).to.deep.equal(kept.map((t) => `po-${t}`));
    const counted = (await metrics.sessionsPurged.get()).values.map((v) => [v.labels.table, v.value]);
    expect(counted).to.have.deep.members([["operator_sessions", 3], ["portal_sessions", 3]]);
    expect(logged.at(-1), "counts only, no token").to.deep.equal({ operator_sessions: 3, portal_sessions: 3 });
    expect(await new SessionPurge({ db, log, idleMs }).run(), "a second run finds nothing").to.deep.equal({ operator_sessions: 0, portal_sessions: 0 });
  });

  it("leaves a dead session that is kept dead: it does not resolve, and resolving does not revive it", async () => {
    for (const t of ["ended-recent", "max-recent", "idle-recent"]) {
      expect(await touchSession(db, `op-${t}`, IDLE_MS), `op-${t}`).to.equal(undefined);
      expect(await touchPortalSession(db, `po-${t}`, IDLE_MS), `po-${t}`).to.equal(undefined);
    }
    expect(await touchSession(db, "op-live", IDLE_MS)).to.deep.equal(operator);
    expect(await touchPortalSession(db, "po-live", IDLE_MS)).to.deep.equal(account);
    // With two hours less retention the idle one goes too: the touches above did not restart its clock.
    expect(await new SessionPurge({ db, log, idleMs, retentionMs: SESSION_RETENTION_MS - 2 * HOUR }).run()).to.deep.equal({ operator_sessions: 2, portal_sessions: 2 });
    expect(await tokens("operator_sessions")).to.deep.equal(["op-live", "op-max-recent"]);
    expect(await tokens("portal_sessions")).to.deep.equal(["po-live", "po-max-recent"]);
  });
});
