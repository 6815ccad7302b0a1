/**
 * A small client for the operator API of a bank or credit-center operator who holds a software
 * authenticator (src/auth/software-authenticator.ts): passkey sign-in (the session cookie), JSON
 * calls in that session, and decisions: the gateway drafts a step, the operator's own key signs
 * its challenge here, and POST /v1/decisions relays it. The gateway never signs for the
 * operator. Used by the tests and scripts; a starting point for back-office automation.
 */
import { getBytes } from "ethers";
import type { SoftwareAuthenticator } from "../auth/software-authenticator";
import { GatewayError, json, requestJson, sendJson } from "./http";

export type Institution = "bank" | "credit_center";

/** Who an enrolled credential is: what the gateway answered at enrolment (or the deployment named). */
export interface OperatorIdentity {
  institution: Institution;
  credentialId: string;
  operatorId: string;
}

/** The gateway's WebAuthn settings: its PUBLIC_ORIGIN (what a browser puts in client data) and RP_ID. */
export interface RelyingParty {
  origin: string;
  rpId: string;
}

/** A decision as the gateway drafts it (the fields this client uses; see DecisionDraft in /openapi.json). */
export interface DecisionDraft {
  draftId: string;
  kind: string;
  target: string;
  challenge: string;
  digest: string;
  summary: { function: string; args: Record<string, string> };
}

/** What POST /v1/decisions answers. */
export interface DecisionResult {
  transactionHash: string;
  /** The contract a proposalId belongs to. */
  target: "registry" | "ledger" | "credit";
  proposalId?: string;
  executed: boolean;
  /** An approved identity erasure: the card IDs whose stored records were erased. */
  erasedIdentities?: string[];
  events: { name: string; args: Record<string, string> }[];
}

export class OperatorClient {
  private constructor(
    readonly gatewayUrl: string,
    readonly identity: OperatorIdentity,
    private readonly passkey: SoftwareAuthenticator,
    private readonly rp: RelyingParty,
    /** The session cookie ("credence_operator=..."), for raw requests in this session. */
    readonly cookie: string,
  ) {}

  /** Sign in at `gatewayUrl` with the credential's passkey; the session lasts 15 minutes idle. */
  static async signIn(gatewayUrl: string, passkey: SoftwareAuthenticator, identity: OperatorIdentity, rp: RelyingParty): Promise<OperatorClient> {
    const headers = { origin: rp.origin };
    const { challengeId, publicKey } = await requestJson<{ challengeId: string; publicKey: { challenge: string } }>(gatewayUrl, "POST", "/v1/operator-session/options", {}, headers);
    const response = assertionOf(passkey, identity, rp, publicKey.challenge);
    const res = await sendJson(new URL("/v1/operator-session", gatewayUrl), "POST", json({ challengeId, credentialId: identity.credentialId, response }), undefined, headers);
    if (res.status !== 200) {
      const problem = (res.text ? JSON.parse(res.text) : {}) as { code?: string; detail?: string };
      throw new GatewayError(res.status, problem.code ?? "unknown", problem.detail ?? "sign-in refused");
    }
    const cookie = [res.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("credence_operator="));
    if (!cookie) throw new GatewayError(res.status, "unknown", "the gateway set no session cookie");
    return new OperatorClient(gatewayUrl, identity, passkey, rp, cookie.split(";")[0]);
  }

  get institution(): Institution {
    return this.identity.institution;
  }

  /** A JSON call in this operator's session. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(this.gatewayUrl, method, path, body, { origin: this.rp.origin, cookie: this.cookie });
  }

  /** The body of POST /v1/decisions for a draft: the passkey's assertion over its challenge. */
  submission(draft: Pick<DecisionDraft, "draftId" | "challenge">) {
    return { draftId: draft.draftId, credentialId: this.identity.credentialId, assertion: assertionOf(this.passkey, this.identity, this.rp, draft.challenge) };
  }

  /** Sign a drafted decision with the passkey and have the gateway relay it. */
  async sign(draft: DecisionDraft): Promise<DecisionResult> {
    return this.call<DecisionResult>("POST", "/v1/decisions", this.submission(draft));
  }

  /**
   * A decision through one of the endpoints that draft it (POST /v1/cards, PUT
   * /v1/merchants/:id/agreement, POST /v1/proposals/:target/:id/approval, ...), signed and relayed.
   */
  async decide(method: string, path: string, body?: unknown): Promise<{ draft: DecisionDraft; result: DecisionResult }> {
    const draft = await this.call<DecisionDraft>(method, path, body);
    return { draft, result: await this.sign(draft) };
  }

  /** A decision by function and arguments (POST /v1/decisions/drafts), signed and relayed. */
  async decideCall(request: Record<string, unknown>): Promise<{ draft: DecisionDraft; result: DecisionResult }> {
    return this.decide("POST", "/v1/decisions/drafts", request);
  }
}

/** A passkey's assertion over a base64url challenge, with the operator ID as its userHandle. */
function assertionOf(passkey: SoftwareAuthenticator, identity: OperatorIdentity, rp: RelyingParty, challenge: string) {
  return passkey.authenticationResponse({ challenge: Buffer.from(challenge, "base64url"), origin: rp.origin, rpId: rp.rpId, userHandle: getBytes(identity.operatorId) });
}

/** The first event named `name` in a decision's result (e.g. MerchantRegistered), or an error. */
export function eventOf(result: DecisionResult, name: string): Record<string, string> {
  const event = result.events.find((e) => e.name === name);
  if (!event) throw new Error(`the decision emitted no ${name} (events: ${result.events.map((e) => e.name).join(", ") || "none"})`);
  return event.args;
}

/**
 * Issue a card under dual control: `proposer` proposes, `approver` (the other institution)
 * approves, each signing their own step. Returns the new card ID.
 */
export async function issueCardJointly(
  proposer: OperatorClient,
  approver: OperatorClient,
  card: { kind: "consumer" | "merchant"; key: string; holder: { name: string; nationalId: string } },
): Promise<string> {
  const { draft, result } = await proposer.decide("POST", "/v1/cards", card);
  await approver.decide("POST", `/v1/proposals/registry/${result.proposalId}/approval`);
  return draft.summary.args.cardId;
}
