/**
 * Holders' passkeys (ADR 0006): a signed-in holder adds one (WebAuthn registration, ES256, user
 * verification required) and later signs in with it instead of the password. A passkey never
 * activates or resets an account, and using a new activation code removes the account's
 * passkeys. A refused passkey sign-in counts against the client address, as a wrong password.
 */
import { randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { verifiedRegistration } from "../../auth/passkeys";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { addPortalPasskey, getPortalPasskey, savePortalChallenge, takePortalChallenge, type PortalSubject } from "../../store/portal-records";
import type { PasskeySettings } from "../operator-session/service";
import type { PortalAccounts } from "./accounts";
import { accountName } from "./schemas";

export const PORTAL_CHALLENGE_TTL_MS = 2 * 60_000;

const refused = (code: "portal.challenge_unknown" | "portal.passkey_refused", detail: string) => new DomainError({ code, detail });

export class PortalPasskeys {
  constructor(
    private readonly db: Db,
    private readonly accounts: PortalAccounts,
    private readonly settings: PasskeySettings,
  ) {}

  /** Creation options for a new passkey of the signed-in account. */
  async addOptions(a: PortalSubject) {
    const publicKey = await generateRegistrationOptions({
      rpName: "Credence portal",
      rpID: this.settings.rpId,
      userName: accountName(a),
      userID: new TextEncoder().encode(accountName(a)),
      attestationType: "none",
      supportedAlgorithmIDs: [-7],
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      timeout: PORTAL_CHALLENGE_TTL_MS,
    });
    const challengeId = randomBytes(16).toString("base64url");
    await savePortalChallenge(this.db, { id: challengeId, purpose: "add_passkey", challenge: publicKey.challenge, account: a, ttlMs: PORTAL_CHALLENGE_TTL_MS });
    return { challengeId, publicKey };
  }

  /** Verify the new passkey over the signed-in account's own challenge and keep its public key. */
  async add(a: PortalSubject, challengeId: string, response: RegistrationResponseJSON): Promise<{ credentialId: string }> {
    const taken = await takePortalChallenge(this.db, challengeId, "add_passkey");
    if (!taken || taken.account?.kind !== a.kind || taken.account.subject !== a.subject) throw refused("portal.challenge_unknown", "ask for new options");
    const registration = await verifiedRegistration(response, taken.challenge, this.settings);
    if ("refused" in registration) throw new DomainError({ code: "portal.passkey_registration_refused" });
    const { id, publicKey } = registration.credential;
    if (!(await addPortalPasskey(this.db, a, id, isoBase64URL.fromBuffer(publicKey)))) {
      throw new DomainError({ code: "portal.passkey_registered" });
    }
    return { credentialId: id };
  }

  /** A sign-in challenge any of the relying party's discoverable passkeys may answer. */
  async signInOptions() {
    const publicKey = await generateAuthenticationOptions({ rpID: this.settings.rpId, userVerification: "required", timeout: PORTAL_CHALLENGE_TTL_MS });
    const challengeId = randomBytes(16).toString("base64url");
    await savePortalChallenge(this.db, { id: challengeId, purpose: "sign_in", challenge: publicKey.challenge, ttlMs: PORTAL_CHALLENGE_TTL_MS });
    return { challengeId, publicKey };
  }

  /** Verify an assertion with the stored key of the passkey it names and open a session. */
  async signIn(challengeId: string, response: AuthenticationResponseJSON, client: string): Promise<{ account: PortalSubject; token: string }> {
    await this.accounts.checkClient(client);
    const taken = await takePortalChallenge(this.db, challengeId, "sign_in");
    if (!taken) throw refused("portal.challenge_unknown", "ask for new options");
    const passkey = await getPortalPasskey(this.db, response.id);
    const verified = passkey
      ? await verifyAuthenticationResponse({
          response,
          expectedChallenge: taken.challenge,
          expectedOrigin: this.settings.origin,
          expectedRPID: this.settings.rpId,
          credential: { id: response.id, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0 },
          requireUserVerification: true,
        }).catch(() => ({ verified: false }))
      : { verified: false };
    if (!passkey || !verified.verified) {
      await this.accounts.clientFailed(client);
      throw refused("portal.passkey_refused", "no passkey of the portal verifies this assertion");
    }
    return { account: passkey.account, token: await this.accounts.openSession(passkey.account) };
  }
}
