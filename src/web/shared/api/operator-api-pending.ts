/**
 * The operator API the console calls (sessions, enrolment, decisions, proposals in words), as
 * agreed with the gateway, in openapi-typescript's shape, for the paths the gateway's OpenAPI
 * document does not describe yet. `PENDING_PATHS` lists them: test/gateway/web-api-types.spec.ts
 * fails once the gateway documents one with a response schema, so it leaves this file and the
 * generated types (`npm run web:api`) take over.
 */
import type { components, paths as GatewayPaths } from "./gateway-api";

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
  /** What the gateway drafted; "confirm" (of an emergency credit freeze) is one the console does not ask for. */
  kind: DecisionKind | "confirm";
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

/** A proposal as GET /v1/proposals/:target(/:id) shows it. */
export type Proposal = components["schemas"]["Proposal"];

// Every path the console calls is now documented with its answer: none is pending.
export type PendingPaths = Record<never, never>;

/** The paths above, at run time (for the test that retires them). */
export const PENDING_PATHS: readonly (keyof PendingPaths)[] = [];

/** What the console's client is typed with: the gateway's document, completed by the pending paths. */
export type paths = Omit<GatewayPaths, keyof PendingPaths> & PendingPaths;
