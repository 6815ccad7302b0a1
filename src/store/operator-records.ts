/**
 * What passkey sign-in, enrolment and relayed decisions keep between requests (migration 004):
 * single-use WebAuthn challenges, server-side operator sessions and drafts of operator steps.
 * Every change of their state happens here.
 */
import type { Db } from "./db";

export type ChallengePurpose = "sign_in" | "enrolment";

/** Remember a challenge for `ttlMs`; answer it once with `takeChallenge`. */
export async function saveChallenge(db: Db, c: { id: string; purpose: ChallengePurpose; challenge: string; payload?: object; ttlMs: number }): Promise<void> {
  // Challenges nobody answered go with the next one issued.
  await db.query("delete from operator_challenges where expires_at < now()");
  await db.query(
    "insert into operator_challenges (id, purpose, challenge, payload, expires_at) values ($1, $2, $3, $4::jsonb, now() + $5 * interval '1 millisecond')",
    [c.id, c.purpose, c.challenge, JSON.stringify(c.payload ?? {}), c.ttlMs],
  );
}

/** Take a live challenge of `purpose` (deleting it: a challenge is answered once), or undefined. */
export async function takeChallenge<P = Record<string, unknown>>(
  db: Db,
  id: string,
  purpose: ChallengePurpose,
): Promise<{ challenge: string; payload: P } | undefined> {
  const [row] = await db.query<{ challenge: string; payload: P; live: boolean }>(
    "delete from operator_challenges where id = $1 and purpose = $2 returning challenge, payload, expires_at > now() as live",
    [id, purpose],
  );
  return row?.live ? { challenge: row.challenge, payload: row.payload } : undefined;
}

export interface SessionRecord {
  credentialId: string;
  institution: "bank" | "credit_center";
  operatorId: string;
  kind: "passkey" | "hsm";
}

export async function createSession(db: Db, tokenHash: string, s: SessionRecord, maxMs: number): Promise<void> {
  await db.query(
    `insert into operator_sessions (token_hash, credential_id, institution, operator_id, kind, expires_at)
     values ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond')`,
    [tokenHash, s.credentialId, s.institution, s.operatorId, s.kind, maxMs],
  );
}

/**
 * The live session with this token hash, its idle clock restarted; undefined when unknown,
 * ended, past its maximum or idle longer than `idleMs`.
 */
export async function touchSession(db: Db, tokenHash: string, idleMs: number): Promise<SessionRecord | undefined> {
  const [row] = await db.query<{ credential_id: string; institution: SessionRecord["institution"]; operator_id: string; kind: SessionRecord["kind"] }>(
    `update operator_sessions set last_seen_at = now()
     where token_hash = $1 and ended_at is null and expires_at > now() and last_seen_at > now() - $2 * interval '1 millisecond'
     returning credential_id, institution, operator_id, kind`,
    [tokenHash, idleMs],
  );
  return row ? { credentialId: String(row.credential_id), institution: row.institution, operatorId: row.operator_id, kind: row.kind } : undefined;
}

/** End one session (sign-out). */
export async function endSession(db: Db, tokenHash: string): Promise<void> {
  await db.query("update operator_sessions set ended_at = now() where token_hash = $1 and ended_at is null", [tokenHash]);
}

/** End every session of a credential (removed on chain). */
export async function endSessionsOfCredential(db: Db, credentialId: string): Promise<void> {
  await db.query("update operator_sessions set ended_at = now() where credential_id = $1 and ended_at is null", [credentialId]);
}

export type DraftPurpose = "decision" | "enrolment" | "removal";

export async function saveDraft(db: Db, d: { id: string; purpose: DraftPurpose; payload: object; expiresAt: Date }): Promise<void> {
  await db.query("delete from operator_drafts where expires_at < now()");
  await db.query("insert into operator_drafts (id, purpose, payload, expires_at) values ($1, $2, $3::jsonb, $4)", [
    d.id,
    d.purpose,
    JSON.stringify(d.payload),
    d.expiresAt,
  ]);
}

/** A draft not past its expiry, with the signatures collected for it. */
export async function getDraft<P, S = unknown>(db: Db, id: string, purpose: DraftPurpose): Promise<{ payload: P; signatures: S[] } | undefined> {
  const [row] = await db.query<{ payload: P; signatures: S[] }>(
    "select payload, signatures from operator_drafts where id = $1 and purpose = $2 and expires_at > now()",
    [id, purpose],
  );
  return row;
}

/** Add one signature to a draft's collection (replacing one of the same credential); returns them all. */
export async function addDraftSignature<S extends { credentialId: string }>(db: Db, id: string, signature: S): Promise<S[]> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ signatures: S[] }>("select signatures from operator_drafts where id = $1 for update", [id]);
    const signatures = [...(row?.signatures ?? []).filter((s) => s.credentialId !== signature.credentialId), signature];
    await tx.query("update operator_drafts set signatures = $2::jsonb where id = $1", [id, JSON.stringify(signatures)]);
    return signatures;
  });
}
