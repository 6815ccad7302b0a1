/**
 * An operator with a software-authenticator passkey, talking to the gateway's HTTP API only:
 * enrol (by the institution's one-time code or signed by an existing operator), sign in, draft a
 * decision, sign its challenge and submit it, and sign a credential's removal. For automation, demos and tests: the key file is
 * as sensitive as any private key (mode 0600, refused when others may read it).
 *
 * Beside the key file, `<key file>.operator.json` (0600) remembers the credential ID and
 * operator ID the gateway enrolled it as, so later sign-ins need nothing else.
 */
import fs from "node:fs";
import { Wallet, getBytes } from "ethers";
import { SoftwareAuthenticator } from "../../src/auth/software-authenticator";
import { encodeSecp256k1Signature, enrolmentCodePrivateKey } from "../../src/domain/operator-steps";

export interface OperatorIdentity {
  institution: "bank" | "credit_center";
  credentialId: string;
  operatorId: string;
}

export interface ClientOptions {
  /** The gateway's base URL. */
  gateway: string;
  /** The gateway's configured public origin (PUBLIC_ORIGIN): what a browser would put in client data. */
  origin: string;
  /** WebAuthn relying party ID (RP_ID). */
  rpId: string;
}

/** A problem answer from the gateway, with its stable code. */
export class GatewayProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(`${status} ${code}${detail ? `: ${detail}` : ""}`);
  }
}

const identityFile = (keyFile: string) => `${keyFile}.operator.json`;

export class PasskeyOperator {
  private cookie?: string;

  private constructor(
    private readonly options: ClientOptions,
    readonly passkey: SoftwareAuthenticator,
    private readonly keyFile: string,
    public identity?: OperatorIdentity,
  ) {}

  /** The passkey in `keyFile`, created (mode 0600) when the file does not exist yet. */
  static open(options: ClientOptions, keyFile: string): PasskeyOperator {
    if (!fs.existsSync(keyFile)) SoftwareAuthenticator.generate().save(keyFile);
    const passkey = SoftwareAuthenticator.load(keyFile);
    const saved = fs.existsSync(identityFile(keyFile)) ? (JSON.parse(fs.readFileSync(identityFile(keyFile), "utf8")) as OperatorIdentity) : undefined;
    return new PasskeyOperator(options, passkey, keyFile, saved);
  }

  /**
   * Enrol this passkey for `institution`: with the institution's one-time `code` while it is
   * open, else signed by `sponsor` (a signed-in operator of the same institution).
   */
  async enrol(institution: OperatorIdentity["institution"], label: string, by: { code: string } | { sponsor: PasskeyOperator }): Promise<OperatorIdentity> {
    const sponsor = "sponsor" in by ? by.sponsor : undefined;
    if (sponsor) await sponsor.signIn();
    const { challengeId, publicKey } = await this.call<{ challengeId: string; publicKey: { challenge: string } }>(
      "POST",
      "/v1/enrolment/options",
      { institution, operatorLabel: label },
      sponsor?.cookie,
    );
    const response = this.passkey.registrationResponse({ challenge: publicKey.challenge, origin: this.options.origin, rpId: this.options.rpId });
    const draft = await this.call<{ draftId: string; operatorId: string; digest: string; challenge: string }>("POST", "/v1/enrolment/drafts", { challengeId, response });
    const signature =
      "code" in by
        ? { signature: encodeSecp256k1Signature(new Wallet(enrolmentCodePrivateKey(by.code)).signingKey.sign(draft.digest)) }
        : { credentialId: by.sponsor.identity!.credentialId, assertion: by.sponsor.assertion(draft.challenge) };
    const result = await this.call<{ status: string; credentialId?: string }>("POST", `/v1/enrolment/drafts/${draft.draftId}/signatures`, signature);
    if (result.status !== "enrolled" || !result.credentialId) throw new Error(`enrolment ${result.status}: more operators must sign draft ${draft.draftId}`);
    this.identity = { institution, credentialId: result.credentialId, operatorId: draft.operatorId };
    fs.writeFileSync(identityFile(this.keyFile), JSON.stringify(this.identity, null, 2) + "\n", { mode: 0o600 });
    return this.identity;
  }

  /** Sign in with the passkey; the session cookie is kept for the calls that follow. */
  async signIn(): Promise<void> {
    const identity = this.enrolled();
    const { challengeId, publicKey } = await this.call<{ challengeId: string; publicKey: { challenge: string } }>("POST", "/v1/operator-session/options", {});
    const res = await this.fetch("POST", "/v1/operator-session", { challengeId, credentialId: identity.credentialId, response: this.assertion(publicKey.challenge) });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("credence_operator="));
    if (!cookie) throw new Error("the gateway set no session cookie");
    this.cookie = cookie.split(";")[0];
  }

  /** Draft a decision, sign its challenge with the passkey and submit it. */
  async decide(request: Record<string, unknown>): Promise<{ draft: { summary: unknown; draftId: string }; result: { transactionHash: string; proposalId?: string; executed: boolean } }> {
    if (!this.cookie) await this.signIn();
    const draft = await this.call<{ draftId: string; challenge: string; summary: unknown }>("POST", "/v1/decisions/drafts", request, this.cookie);
    const result = await this.call<{ transactionHash: string; proposalId?: string; executed: boolean }>(
      "POST",
      "/v1/decisions",
      { draftId: draft.draftId, credentialId: this.enrolled().credentialId, assertion: this.assertion(draft.challenge) },
      this.cookie,
    );
    return { draft, result };
  }

  /**
   * Sign the removal of credential `credentialId` (of this operator's institution): a new draft,
   * or the draft `draftId` another operator started. The gateway relays it once the signatures
   * make the contract's quorum (this operator's own credential alone, or two other operators).
   */
  async remove(credentialId: string, draftId?: string): Promise<{ draftId: string; status: string; credentialId: string; transactionHash?: string }> {
    const draft = draftId
      ? { draftId, challenge: (await this.request<{ challenge: string }>("GET", `/v1/operators/removals/${draftId}`)).challenge }
      : await this.request<{ draftId: string; challenge: string }>("POST", `/v1/operators/${credentialId}/removal`, {});
    const result = await this.request<{ status: string; credentialId: string; transactionHash?: string }>("POST", `/v1/operators/removals/${draft.draftId}/signatures`, {
      credentialId: this.enrolled().credentialId,
      assertion: this.assertion(draft.challenge),
    });
    return { draftId: draft.draftId, ...result };
  }

  /** The most recent proposals on `target`. */
  async proposals(target: string): Promise<unknown> {
    return this.request("GET", `/v1/proposals/${target}`);
  }

  /** A JSON call of the operator API in this operator's session (signed in first if need be). */
  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.cookie) await this.signIn();
    return this.call<T>(method, path, body, this.cookie);
  }

  /** An assertion over a base64url challenge, with the operator ID as its userHandle. */
  assertion(challenge: string) {
    return this.passkey.authenticationResponse({
      challenge: Buffer.from(challenge, "base64url"),
      origin: this.options.origin,
      rpId: this.options.rpId,
      ...(this.identity ? { userHandle: getBytes(this.identity.operatorId) } : {}),
    });
  }

  private enrolled(): OperatorIdentity {
    if (!this.identity) throw new Error(`${this.keyFile} is not enrolled yet: run enrol first`);
    return this.identity;
  }

  private async call<T>(method: string, path: string, body?: unknown, cookie?: string): Promise<T> {
    const res = await this.fetch(method, path, body, cookie);
    return (await res.json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown, cookie?: string): Promise<Response> {
    const headers: Record<string, string> = { origin: this.options.origin };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (cookie) headers.cookie = cookie;
    const res = await fetch(new URL(path, this.options.gateway), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
      throw new GatewayProblem(res.status, problem.code ?? "http_error", problem.detail ?? "");
    }
    return res;
  }
}
