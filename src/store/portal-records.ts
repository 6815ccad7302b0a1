/**
 * What the consumers' and merchants' portal keeps (migration 006, ADR 0006): accounts with their
 * activation code and password hashes, failure counts per account and per client address,
 * server-side sessions, holders' passkeys and WebAuthn challenges. Every change of their state
 * happens here.
 */
import type { Db } from "./db";

export type PortalKind = "consumer" | "merchant";

/** A portal account: a card's points account (consumer) or a merchant, by number. */
export interface PortalSubject {
  kind: PortalKind;
  subject: string;
}

export interface PortalAccountRecord extends PortalSubject {
  passwordHash: string | null;
  failures: number;
  lockedUntil: Date | null;
}

/** Store a new activation code (its hash) for an account, replacing any earlier one; returns its expiry. */
export async function putActivationCode(db: Db, a: PortalSubject, codeHash: string, ttlMs: number): Promise<Date> {
  const [row] = await db.query<{ code_expires_at: Date }>(
    `insert into portal_accounts (kind, subject, code_hash, code_expires_at)
     values ($1, $2, $3, now() + $4 * interval '1 millisecond')
     on conflict (kind, subject) do update set code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at
     returning code_expires_at`,
    [a.kind, a.subject, codeHash, ttlMs],
  );
  return row.code_expires_at;
}

export async function getPortalAccount(db: Db, a: PortalSubject): Promise<PortalAccountRecord | undefined> {
  const [row] = await db.query<{ password_hash: string | null; failures: number; locked_until: Date | null }>(
    "select password_hash, failures, locked_until from portal_accounts where kind = $1 and subject = $2",
    [a.kind, a.subject],
  );
  return row && { ...a, passwordHash: row.password_hash, failures: row.failures, lockedUntil: row.locked_until };
}

/**
 * Use a live activation code: set the password, forget the code, clear the failures, end the
 * account's sessions and remove its passkeys, in one transaction. False when the code is not the account's live one.
 */
export async function activatePortalAccount(db: Db, a: PortalSubject, codeHash: string, passwordHash: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      `update portal_accounts set password_hash = $4, code_hash = null, code_expires_at = null, failures = 0, locked_until = null, activated_at = now()
       where kind = $1 and subject = $2 and code_hash = $3 and code_expires_at > now()
       returning subject`,
      [a.kind, a.subject, codeHash, passwordHash],
    );
    if (rows.length === 0) return false;
    await tx.query("update portal_sessions set ended_at = now() where kind = $1 and subject = $2 and ended_at is null", [a.kind, a.subject]);
    await tx.query("delete from portal_passkeys where kind = $1 and subject = $2", [a.kind, a.subject]);
    return true;
  });
}

/** Count one failure against an account; `delayMs(failures)` says how long it is then locked (0: not). */
export async function recordAccountFailure(db: Db, a: PortalSubject, delayMs: (failures: number) => number): Promise<void> {
  const [row] = await db.query<{ failures: number }>(
    "update portal_accounts set failures = failures + 1 where kind = $1 and subject = $2 returning failures",
    [a.kind, a.subject],
  );
  if (!row) return;
  const delay = delayMs(row.failures);
  if (delay > 0) {
    await db.query("update portal_accounts set locked_until = now() + $3 * interval '1 millisecond' where kind = $1 and subject = $2", [a.kind, a.subject, delay]);
  }
}

export async function clearAccountFailures(db: Db, a: PortalSubject): Promise<void> {
  await db.query("update portal_accounts set failures = 0, locked_until = null where kind = $1 and subject = $2 and failures > 0", [a.kind, a.subject]);
}

/** When a client address may try again (null: now). */
export async function clientLockedUntil(db: Db, client: string): Promise<Date | null> {
  const [row] = await db.query<{ locked_until: Date | null }>("select locked_until from portal_client_failures where client = $1 and locked_until > now()", [client]);
  return row?.locked_until ?? null;
}

/**
 * Count one failure against a client address. Its count starts afresh once its last failure is
 * older than `windowMs`; `delayMs(failures)` says how long it is then slowed (0: not).
 */
export async function recordClientFailure(db: Db, client: string, windowMs: number, delayMs: (failures: number) => number): Promise<void> {
  const [row] = await db.query<{ failures: number }>(
    `insert into portal_client_failures (client, failures, last_failure) values ($1, 1, now())
     on conflict (client) do update set
       failures = case when portal_client_failures.last_failure < now() - $2 * interval '1 millisecond' then 1 else portal_client_failures.failures + 1 end,
       last_failure = now()
     returning failures`,
    [client, windowMs],
  );
  const delay = delayMs(row.failures);
  if (delay > 0) await db.query("update portal_client_failures set locked_until = now() + $2 * interval '1 millisecond' where client = $1", [client, delay]);
}

export async function createPortalSession(db: Db, tokenHash: string, a: PortalSubject, maxMs: number): Promise<void> {
  await db.query(
    "insert into portal_sessions (token_hash, kind, subject, expires_at) values ($1, $2, $3, now() + $4 * interval '1 millisecond')",
    [tokenHash, a.kind, a.subject, maxMs],
  );
}

/** The live session's account, its idle clock restarted; undefined when unknown, ended, expired or idle too long. */
export async function touchPortalSession(db: Db, tokenHash: string, idleMs: number): Promise<PortalSubject | undefined> {
  const [row] = await db.query<{ kind: PortalKind; subject: string }>(
    `update portal_sessions set last_seen_at = now()
     where token_hash = $1 and ended_at is null and expires_at > now() and last_seen_at > now() - $2 * interval '1 millisecond'
     returning kind, subject`,
    [tokenHash, idleMs],
  );
  return row ? { kind: row.kind, subject: String(row.subject) } : undefined;
}

export async function endPortalSession(db: Db, tokenHash: string): Promise<void> {
  await db.query("update portal_sessions set ended_at = now() where token_hash = $1 and ended_at is null", [tokenHash]);
}

export type PortalChallengePurpose = "add_passkey" | "sign_in";

/** Remember a WebAuthn challenge (for `a` when adding a passkey) for `ttlMs`. */
export async function savePortalChallenge(db: Db, c: { id: string; purpose: PortalChallengePurpose; challenge: string; account?: PortalSubject; ttlMs: number }): Promise<void> {
  await db.query("delete from portal_challenges where expires_at < now()");
  await db.query(
    "insert into portal_challenges (id, purpose, challenge, kind, subject, expires_at) values ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond')",
    [c.id, c.purpose, c.challenge, c.account?.kind ?? null, c.account?.subject ?? null, c.ttlMs],
  );
}

/** Take (delete) a live challenge of `purpose`; undefined when unknown, taken or expired. */
export async function takePortalChallenge(db: Db, id: string, purpose: PortalChallengePurpose): Promise<{ challenge: string; account?: PortalSubject } | undefined> {
  const [row] = await db.query<{ challenge: string; kind: PortalKind | null; subject: string | null; live: boolean }>(
    "delete from portal_challenges where id = $1 and purpose = $2 returning challenge, kind, subject, expires_at > now() as live",
    [id, purpose],
  );
  if (!row?.live) return undefined;
  return { challenge: row.challenge, account: row.kind && row.subject !== null ? { kind: row.kind, subject: String(row.subject) } : undefined };
}

export async function addPortalPasskey(db: Db, a: PortalSubject, credentialId: string, publicKey: string): Promise<boolean> {
  const rows = await db.query(
    "insert into portal_passkeys (credential_id, kind, subject, public_key) values ($1, $2, $3, $4) on conflict (credential_id) do nothing returning credential_id",
    [credentialId, a.kind, a.subject, publicKey],
  );
  return rows.length === 1;
}

/** A passkey by its WebAuthn credential ID: its account and COSE public key (base64url). */
export async function getPortalPasskey(db: Db, credentialId: string): Promise<{ account: PortalSubject; publicKey: string } | undefined> {
  const [row] = await db.query<{ kind: PortalKind; subject: string; public_key: string }>("select kind, subject, public_key from portal_passkeys where credential_id = $1", [credentialId]);
  return row && { account: { kind: row.kind, subject: String(row.subject) }, publicKey: row.public_key };
}

/** How many passkeys an account has. */
export async function countPortalPasskeys(db: Db, a: PortalSubject): Promise<number> {
  const [row] = await db.query<{ n: number }>("select count(*)::int as n from portal_passkeys where kind = $1 and subject = $2", [a.kind, a.subject]);
  return row.n;
}
