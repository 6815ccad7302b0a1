/**
 * Portal accounts and their sessions (ADR 0006): activation codes the bank asks for (shown
 * once, stored as a SHA-256, expiring, a new one replacing the old: also the reset path),
 * activation with a password of the policy's (argon2id), sign-in with growing delays after
 * failures counted per account and per client address, and server-side sessions.
 */
import { createHash, randomBytes } from "node:crypto";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { hashPassword, verifyPassword } from "../../auth/passwords";
import { passwordProblem, type PasswordProblem } from "../../auth/password-policy";
import type { ErrorCode } from "../../domain/error-catalogue";
import { newEnrolmentCode } from "../../auth/enrolment-codes";
import {
  activatePortalAccount,
  clearAccountFailures,
  clientLockedUntil,
  createPortalSession,
  endPortalSession,
  getPortalAccount,
  putActivationCode,
  recordAccountFailure,
  recordClientFailure,
  touchPortalSession,
  type PortalSubject,
} from "../../store/portal-records";
import { accountName, parseAccountName } from "./schemas";

export const PORTAL_SESSION_IDLE_MS = 15 * 60_000;
export const PORTAL_SESSION_MAX_MS = 8 * 3600_000;
/** How long an activation code may be used: the bank hands it over with the card. */
export const ACTIVATION_CODE_TTL_MS = 7 * 24 * 3600_000;

/**
 * Growing delays: an account is locked after its 3rd consecutive failure for 30 s, doubling with
 * each further failure up to 15 minutes; a client address after its 10th failure in 15 minutes
 * (across accounts) likewise. A success clears the account's count, not the client's.
 */
export interface LockoutPolicy {
  accountFreeFailures: number;
  clientFreeFailures: number;
  clientWindowMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  accountFreeFailures: 2,
  clientFreeFailures: 9,
  clientWindowMs: 15 * 60_000,
  firstDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
};

/** The delay after `failures` failures when the first `free` cost nothing. */
export function lockoutDelayMs(policy: LockoutPolicy, free: number, failures: number): number {
  if (failures <= free) return 0;
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(failures - free - 1, 30));
}

/** Refused for a while: the router turns `retryAfterSeconds` into a Retry-After header. */
export class PortalLocked extends DomainError {
  constructor(
    code: "portal.account_locked" | "portal.client_locked",
    readonly retryAfterSeconds: number,
  ) {
    super({ code, detail: `try again in ${retryAfterSeconds} s` });
  }
}

/** The catalogue's code of each reason a password is refused. */
const PASSWORD_CODES: Readonly<Record<PasswordProblem, ErrorCode>> = {
  too_short: "portal.password_too_short",
  too_long: "portal.password_too_long",
  common: "portal.password_common",
};

const secondsUntil = (until: Date) => Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
/** Codes are compared as lower-case hex without separators. */
const codeHash = (code: string) => sha256(code.toLowerCase().replace(/[^0-9a-f]/g, ""));

let dummyHash: Promise<string> | undefined;

export class PortalAccounts {
  constructor(
    private readonly db: Db,
    private readonly lockout: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {}

  /** A new activation code for the account (any earlier code stops working). Shown once. */
  async issueCode(a: PortalSubject): Promise<{ account: string; code: string; expiresAt: string }> {
    const code = newEnrolmentCode();
    const expiresAt = await putActivationCode(this.db, a, codeHash(code), ACTIVATION_CODE_TTL_MS);
    return { account: accountName(a), code, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Set the password with a live activation code, ending the account's sessions. A wrong code
   * counts against the client address only: the holder with the right code is never locked out.
   */
  async activate(name: string, code: string, password: string, client: string): Promise<{ account: string }> {
    await this.checkClient(client);
    const problem = passwordProblem(password);
    if (problem) throw new DomainError({ code: PASSWORD_CODES[problem], detail: problem.replace("_", " ") });
    const a = parseAccountName(name);
    if (!(await activatePortalAccount(this.db, a, codeHash(code), await hashPassword(password)))) {
      await this.clientFailed(client);
      throw new DomainError({ code: "portal.code_refused", detail: "unknown, used or expired code: ask the bank for a new one" });
    }
    return { account: accountName(a) };
  }

  /** Check the password and open a session; returns its token (for the cookie). */
  async signIn(name: string, password: string, client: string): Promise<{ account: PortalSubject; token: string }> {
    await this.checkClient(client);
    const a = parseAccountName(name);
    const account = await getPortalAccount(this.db, a);
    if (account?.lockedUntil && account.lockedUntil.getTime() > Date.now()) throw new PortalLocked("portal.account_locked", secondsUntil(account.lockedUntil));
    // An unknown or unactivated account costs the same time as a wrong password.
    dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
    const ok = await verifyPassword(account?.passwordHash ?? (await dummyHash), password);
    if (!ok || !account?.passwordHash) {
      if (account) await recordAccountFailure(this.db, a, (n) => lockoutDelayMs(this.lockout, this.lockout.accountFreeFailures, n));
      await this.clientFailed(client);
      throw new DomainError({ code: "portal.invalid_credentials", detail: "wrong account name or password" });
    }
    await clearAccountFailures(this.db, a);
    return { account: a, token: await this.openSession(a) };
  }

  /** A new session of the account; returns its token (for the cookie). */
  async openSession(a: PortalSubject): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await createPortalSession(this.db, sha256(token), a, PORTAL_SESSION_MAX_MS);
    return token;
  }

  /** The account of a live session, undefined when it ended. */
  resolve(token: string): Promise<PortalSubject | undefined> {
    return touchPortalSession(this.db, sha256(token), PORTAL_SESSION_IDLE_MS);
  }

  signOut(token: string): Promise<void> {
    return endPortalSession(this.db, sha256(token));
  }

  /** Refuses a client address that failed too often, for now. */
  async checkClient(client: string): Promise<void> {
    const until = await clientLockedUntil(this.db, client);
    if (until) throw new PortalLocked("portal.client_locked", secondsUntil(until));
  }

  /** Count one failure against a client address. */
  clientFailed(client: string): Promise<void> {
    return recordClientFailure(this.db, client, this.lockout.clientWindowMs, (n) => lockoutDelayMs(this.lockout, this.lockout.clientFreeFailures, n));
  }
}
