/**
 * Passkey sign-in and server-side operator sessions (ADR 0001, section 10). The public key an
 * assertion is verified with is the one on chain (CredenceOperators.credential), and the
 * credential must be Active: at sign-in and on EVERY request after it (one local eth_call), so a
 * credential removed on chain ends its sessions at once, with no event watcher that could lag or
 * miss a block. Sessions last 15 minutes idle and 8 hours at most; sign-out ends one. Signing in
 * decides nothing: every decision is a fresh signature over its step.
 */
import { createHash, randomBytes } from "node:crypto";
import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { hexlify } from "ethers";
import type { LedgerClient } from "../../chain/ledger-client";
import { ROLES } from "../../chain/roles";
import { CredentialKind, CredentialStatus } from "../../domain/operator-steps";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { createSession, endSession, endSessionsOfCredential, saveChallenge, takeChallenge, touchSession, type SessionRecord } from "../../store/operator-records";
import { coseKeyOf } from "../../auth/passkeys";
import type { Institution } from "./schemas";

export const SESSION_IDLE_MS = 15 * 60_000;
export const SESSION_MAX_MS = 8 * 3600_000;
/** How long a sign-in or enrolment challenge may be answered. */
export const CHALLENGE_TTL_MS = 2 * 60_000;

export interface PasskeySettings {
  /** WebAuthn relying party ID (a host name). */
  rpId: string;
  /** The origin browsers reach the gateway at (client data's `origin`). */
  origin: string;
}

/** The signed-in operator: one on-chain credential. */
export type Operator = SessionRecord;

/** A credential as the chain holds it, in the API's words. */
export interface ChainCredential extends Operator {
  status: "active" | "removed";
  qx: string;
  qy: string;
}

export const INSTITUTION_ROLES: Record<Institution, string> = { bank: ROLES.BANK, credit_center: ROLES.CREDIT_CENTER };

export function institutionOfRole(role: string): Institution | undefined {
  return role === ROLES.BANK ? "bank" : role === ROLES.CREDIT_CENTER ? "credit_center" : undefined;
}

const unauthorised = (code: "session.challenge_unknown" | "session.assertion_refused", detail?: string) => new DomainError({ code, detail });

export class OperatorSessions {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    readonly settings: PasskeySettings,
  ) {}

  /** A sign-in challenge: any discoverable passkey of this RP, user verification required. */
  async signInOptions() {
    const publicKey = await generateAuthenticationOptions({ rpID: this.settings.rpId, userVerification: "required", timeout: CHALLENGE_TTL_MS });
    const challengeId = randomBytes(16).toString("base64url");
    await saveChallenge(this.db, { id: challengeId, purpose: "sign_in", challenge: publicKey.challenge, ttlMs: CHALLENGE_TTL_MS });
    return { challengeId, publicKey };
  }

  /**
   * Verify an assertion over the challenge with the credential's on-chain key and open a session.
   * The credential is the one named, or found by the assertion's userHandle (the operator ID the
   * passkey was created with) among the operator's active credentials. Returns the session token.
   */
  async signIn(challengeId: string, response: AuthenticationResponseJSON, credentialId?: string): Promise<{ operator: Operator; token: string }> {
    const challenge = await takeChallenge(this.db, challengeId, "sign_in");
    if (!challenge) throw unauthorised("session.challenge_unknown", "ask for new options");
    const candidates = credentialId ? [await this.credential(BigInt(credentialId))] : await this.candidatesFor(response);
    for (const c of candidates) {
      if (!c || c.status !== "active" || c.kind !== "passkey") continue;
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.settings.origin,
        expectedRPID: this.settings.rpId,
        credential: { id: response.id, publicKey: coseKeyOf(c.qx, c.qy), counter: 0 },
        requireUserVerification: true,
      }).catch(() => ({ verified: false }));
      if (!verified.verified) continue;
      const operator: Operator = { credentialId: c.credentialId, institution: c.institution, operatorId: c.operatorId, kind: c.kind };
      const token = randomBytes(32).toString("base64url");
      await createSession(this.db, tokenHash(token), operator, SESSION_MAX_MS);
      return { operator, token };
    }
    throw unauthorised("session.assertion_refused", "no active credential of this passkey verifies the assertion");
  }

  /** The operator of a live session whose credential is still Active on chain; undefined otherwise. */
  async resolve(token: string): Promise<Operator | undefined> {
    const hash = tokenHash(token);
    const session = await touchSession(this.db, hash, SESSION_IDLE_MS);
    if (!session) return undefined;
    const status = (await this.chain.operators!.credential(BigInt(session.credentialId))).status;
    if (Number(status) !== CredentialStatus.Active) {
      await endSessionsOfCredential(this.db, session.credentialId);
      return undefined;
    }
    return session;
  }

  async signOut(token: string): Promise<void> {
    await endSession(this.db, tokenHash(token));
  }

  /** One credential as the chain holds it (undefined when never enrolled). */
  async credential(id: bigint): Promise<ChainCredential | undefined> {
    const c = await this.chain.operators!.credential(id);
    const institution = institutionOfRole(c.institution);
    if (Number(c.status) === CredentialStatus.None || !institution) return undefined;
    return {
      credentialId: id.toString(),
      institution,
      operatorId: c.operatorId,
      kind: Number(c.kind) === CredentialKind.WebAuthnP256 ? "passkey" : "hsm",
      status: Number(c.status) === CredentialStatus.Active ? "active" : "removed",
      qx: c.qx,
      qy: c.qy,
    };
  }

  /** Every credential ever enrolled for an institution, in enrolment order. */
  async credentialsOf(institution: Institution): Promise<ChainCredential[]> {
    const count = await this.chain.operators!.credentialCount();
    const all = await Promise.all(Array.from({ length: Number(count) }, (_, i) => this.credential(BigInt(i + 1))));
    return all.filter((c): c is ChainCredential => c?.institution === institution);
  }

  /** The active passkeys of the operator the assertion's userHandle names. */
  private async candidatesFor(response: AuthenticationResponseJSON): Promise<(ChainCredential | undefined)[]> {
    const handle = response.response.userHandle;
    if (!handle) return [];
    const bytes = isoBase64URL.toBuffer(handle);
    if (bytes.length !== 32) return [];
    const operatorId = hexlify(bytes);
    const institution = institutionOfRole(await this.chain.operators!.institutionOfOperator(operatorId));
    if (!institution) return [];
    const ids = await this.chain.operators!.activeCredentials(INSTITUTION_ROLES[institution]);
    const credentials = await Promise.all(ids.map((id) => this.credential(id)));
    return credentials.filter((c) => c?.operatorId === operatorId);
  }
}

function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
