/**
 * The operator API the console calls (sessions, enrolment, decisions, proposals in words), as
 * agreed with the gateway, in openapi-typescript's shape, for the paths the gateway's OpenAPI
 * document does not describe yet. `PENDING_PATHS` lists them: test/gateway/web-api-types.spec.ts
 * fails once the gateway documents one with a response schema, so it leaves this file and the
 * generated types (`npm run web:api`) take over.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/browser";
import type { paths as GatewayPaths } from "./gateway-api";

export type Institution = "bank" | "credit_center";
export type DecisionKind = "propose" | "act" | "approve" | "reject" | "withdraw";
export type ProposalTarget = "registry" | "ledger" | "credit";

/** The OperatorStep's fields as strings (uint256 and bytes32 travel as decimal or 0x-hex). */
export interface StepJson {
  kind: string;
  subject: string;
  actionHash: string;
  salt: string;
  notAfter: string;
}

export interface Operator {
  credentialId: string;
  institution: Institution;
  operatorId: string;
  kind: "passkey" | "hsm";
}

export interface OperatorListEntry {
  credentialId: string;
  operatorId: string;
  kind: "passkey" | "hsm";
  status: string;
}

export interface EnrolmentState {
  institutions: Record<Institution, { credentials: number; codeOpen: boolean }>;
}

export interface EnrolmentDraft {
  draftId: string;
  institution: Institution;
  operatorId: string;
  key: { qx: string; qy: string };
  step: StepJson;
  digest: string;
  challenge: string;
  method: "code" | "operators";
  signaturesNeeded: number;
}

export interface DecisionDraft {
  draftId: string;
  target: ProposalTarget;
  kind: DecisionKind;
  subject: string;
  action: string;
  summary: { function: string; args: Record<string, unknown> };
  step: StepJson;
  digest: string;
  challenge: string;
  verifyingContract: string;
  chainId: string | number;
  expiresAt: string;
}

export interface Proposal {
  target: ProposalTarget;
  id: string;
  state: string;
  action: string;
  summary?: { function: string; args: Record<string, unknown> };
  proposer?: string;
  proposerCredential?: string;
  proposerInstitution?: Institution;
  proposedAt?: string;
  deadline: string | number;
}

/** WebAuthn options as @simplewebauthn's server makes them (PublicKeyCredential*OptionsJSON). */
type WebAuthnOptions = Record<string, unknown>;
/** A ceremony's response (@simplewebauthn's *ResponseJSON), extension results as a record. */
type WebAuthnResponse<T> = Omit<T, "clientExtensionResults"> & { clientExtensionResults: Record<string, unknown> };
type Assertion = WebAuthnResponse<AuthenticationResponseJSON>;

type Json<T> = { content: { "application/json": T } };
type Reply<T> = { headers: { [name: string]: unknown } } & (T extends undefined ? { content?: never } : Json<T>);
type Operation<Body, Res, PathParams = undefined, Status extends number = 200> = {
  parameters: { query?: never; header?: never; cookie?: never } & (PathParams extends undefined ? { path?: never } : { path: PathParams });
  responses: { [S in Status]: Reply<Res> };
} & (Body extends undefined ? { requestBody?: never } : { requestBody: Json<Body> });
type Methods = { parameters: { query?: never; header?: never; path?: never; cookie?: never } };

export interface PendingPaths {
  "/v1/operator-session/options": Methods & { post: Operation<undefined, { challengeId: string; publicKey: WebAuthnOptions }> };
  "/v1/operator-session": Methods & {
    get: Operation<undefined, Operator>;
    post: Operation<{ challengeId: string; response: Assertion }, Operator>;
    delete: Operation<undefined, undefined, undefined, 204>;
  };
  "/v1/operators": Methods & { get: Operation<undefined, { operators: OperatorListEntry[] }> };
  "/v1/enrolment": Methods & { get: Operation<undefined, EnrolmentState> };
  "/v1/enrolment/options": Methods & {
    post: Operation<{ institution: Institution; operatorLabel: string }, { challengeId: string; publicKey: WebAuthnOptions }>;
  };
  "/v1/enrolment/drafts": Methods & { post: Operation<{ challengeId: string; response: WebAuthnResponse<RegistrationResponseJSON> }, EnrolmentDraft> };
  "/v1/enrolment/drafts/{draftId}/signatures": Methods & {
    post: Operation<
      { credentialId?: string; signature?: string; assertion?: Assertion },
      { status: "awaiting_signatures" | "enrolled"; credentialId?: string },
      { draftId: string }
    >;
  };
  "/v1/decisions/drafts": Methods & {
    post: Operation<
      | { kind: "propose" | "act"; target: ProposalTarget; function: string; args: Record<string, unknown> }
      | { kind: "approve" | "reject" | "withdraw"; target: ProposalTarget; proposalId: string },
      DecisionDraft
    >;
  };
  "/v1/decisions": Methods & {
    post: Operation<
      { draftId: string; credentialId: string; assertion?: Assertion; signature?: string },
      { transactionHash: string; proposalId?: string; executed: boolean }
    >;
  };
  "/v1/proposals/{target}": Methods & { get: Operation<undefined, { proposals: Proposal[] }, { target: ProposalTarget }> };
}

/** The paths above, at run time (for the test that retires them). */
export const PENDING_PATHS: readonly (keyof PendingPaths)[] = [
  "/v1/operator-session/options",
  "/v1/operator-session",
  "/v1/operators",
  "/v1/enrolment",
  "/v1/enrolment/options",
  "/v1/enrolment/drafts",
  "/v1/enrolment/drafts/{draftId}/signatures",
  "/v1/decisions/drafts",
  "/v1/decisions",
  "/v1/proposals/{target}",
];

/** What the console's client is typed with: the gateway's document, completed by the pending paths. */
export type paths = Omit<GatewayPaths, keyof PendingPaths> & PendingPaths;
