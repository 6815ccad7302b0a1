/**
 * The console's own check of what the gateway asks an operator to sign. The gateway sends a
 * draft (the action's calldata, the step, its digest); the browser decodes the action with the
 * contracts' ABI, recomputes the step's digest under the contract's EIP-712 domain and refuses
 * when anything differs from what the operator asked for and is shown. The WebAuthn challenge
 * is then the digest recomputed here, never the gateway's: a compromised gateway cannot obtain a
 * signature for anything but the decision on the screen.
 */
import { Interface, getAddress, getBytes, keccak256, type Result } from "ethers";
import { ICardRegistry__factory } from "../../../../typechain-types/factories/contracts/registry/ICardRegistry__factory";
import { IPointsLedger__factory } from "../../../../typechain-types/factories/contracts/ledger/IPointsLedger__factory";
import { ICreditGrants__factory } from "../../../../typechain-types/factories/contracts/credit/ICreditGrants__factory";
import { StepKind, enrolmentHash, operatorDomain, passkeyKey, stepDigest, type OperatorStep } from "../../../domain/operator-steps";
import { base64url } from "../../../domain/webauthn";
import { ROLES } from "../../../chain/roles";
import type { DecisionDraft, DecisionKind, EnrolmentDraft, Institution, ProposalTarget, StepJson } from "../api/operator-api-pending";

/** Each dual-control contract's functions, from its interface's ABI (typechain). */
const INTERFACES: Record<ProposalTarget, Interface> = {
  registry: new Interface(ICardRegistry__factory.abi),
  ledger: new Interface(IPointsLedger__factory.abi),
  credit: new Interface(ICreditGrants__factory.abi),
};

/** The institutions' IDs on chain (CredenceRoles). */
export const INSTITUTION_IDS: Record<Institution, string> = { bank: ROLES.BANK, credit_center: ROLES.CREDIT_CENTER };

const KIND_OF: Record<DecisionKind, number> = {
  propose: StepKind.Propose,
  act: StepKind.Act,
  approve: StepKind.Approve,
  reject: StepKind.Reject,
  withdraw: StepKind.Withdraw,
};

/** Why the console refused a draft: a key of the translation files' `refused` section. */
export class DraftRefused extends Error {
  constructor(readonly reason: string) {
    super(`draft refused: ${reason}`);
  }
}

/** A decoded action: the function's name and its arguments by name, as display strings. */
export interface DecodedAction {
  function: string;
  args: Record<string, string>;
}

/** Decode a dual-controlled action's calldata with its contract's ABI; undefined when unknown. */
export function decodeAction(target: ProposalTarget, action: string): DecodedAction | undefined {
  let call;
  try {
    call = INTERFACES[target].parseTransaction({ data: action });
  } catch {
    return undefined;
  }
  if (!call) return undefined;
  const args: Record<string, string> = {};
  call.fragment.inputs.forEach((input, i) => (args[input.name] = display(call.args[i])));
  return { function: call.name, args };
}

function display(value: unknown): string {
  if (Array.isArray(value)) return (value as Result).map(display).join(", ");
  return String(value);
}

function parseStep(step: StepJson): OperatorStep {
  return {
    kind: Number(step.kind) as OperatorStep["kind"],
    subject: BigInt(step.subject),
    actionHash: step.actionHash,
    salt: step.salt,
    notAfter: BigInt(step.notAfter),
  };
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** What the operator asked for: the decision's kind, target and either its function or its proposal. */
export interface ExpectedDecision {
  kind: DecisionKind;
  target: ProposalTarget;
  /** The contract's address for `target`, as /v1/info gives it. */
  contract: string;
  chainId: bigint;
  proposalId?: string;
  /** For propose and act: the function, and the arguments the operator typed (by name, as display strings). */
  call?: { function: string; args: Record<string, string> };
}

/**
 * Checks a decision draft against what the operator asked for and returns the challenge to sign
 * (base64url of the digest recomputed here) and the action in words. Throws `DraftRefused`.
 */
export function checkDecisionDraft(draft: DecisionDraft, expected: ExpectedDecision): { challenge: string; action: DecodedAction } {
  if (draft.kind !== expected.kind || draft.target !== expected.target) throw new DraftRefused("other_decision");
  if (!same(draft.verifyingContract, expected.contract) || BigInt(draft.chainId) !== expected.chainId) throw new DraftRefused("other_contract");
  const step = parseStep(draft.step);
  if (step.kind !== KIND_OF[expected.kind]) throw new DraftRefused("other_decision");
  const subject = expected.proposalId === undefined ? 0n : BigInt(expected.proposalId);
  if (step.subject !== subject || BigInt(draft.subject) !== subject) throw new DraftRefused("other_proposal");
  if (!same(keccak256(draft.action), step.actionHash)) throw new DraftRefused("action_mismatch");
  const action = decodeAction(expected.target, draft.action);
  if (!action) throw new DraftRefused("action_unknown");
  if (expected.call) {
    if (action.function !== expected.call.function) throw new DraftRefused("action_mismatch");
    for (const [name, value] of Object.entries(expected.call.args)) {
      if (!same(action.args[name] ?? "", value)) throw new DraftRefused("action_mismatch");
    }
  }
  return { challenge: checkedChallenge(draft, step, expected.chainId, expected.contract), action };
}

/** The new passkey's public key, from the registration response's SubjectPublicKeyInfo (P-256: x ‖ y last). */
export function passkeyPublicKey(spkiBase64url: string): { qx: string; qy: string } {
  const der = Uint8Array.from(atob(spkiBase64url.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  if (der.length !== 91 || der[26] !== 0x04) throw new DraftRefused("key_mismatch");
  const hex = (bytes: Uint8Array) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return { qx: hex(der.subarray(27, 59)), qy: hex(der.subarray(59, 91)) };
}

/**
 * Checks an enrolment draft: the institution chosen, the passkey just created (its public key),
 * the step (RedeemEnrolmentCode for the code, Enrol for operators) binding exactly that key, and
 * the digest under the credentials contract's domain. Returns the digest recomputed here.
 */
export function checkEnrolmentDraft(
  draft: EnrolmentDraft,
  expected: { institution: Institution; key: { qx: string; qy: string }; operators: string; chainId: bigint },
): string {
  if (draft.institution !== expected.institution) throw new DraftRefused("other_institution");
  if (!same(draft.key.qx, expected.key.qx) || !same(draft.key.qy, expected.key.qy)) throw new DraftRefused("key_mismatch");
  const step = parseStep(draft.step);
  const kind = draft.method === "code" ? StepKind.RedeemEnrolmentCode : StepKind.Enrol;
  if (step.kind !== kind || step.subject !== 0n) throw new DraftRefused("other_decision");
  const binds = enrolmentHash(INSTITUTION_IDS[expected.institution], draft.operatorId, passkeyKey(expected.key.qx, expected.key.qy));
  if (!same(binds, step.actionHash)) throw new DraftRefused("key_mismatch");
  checkedChallenge(draft, step, expected.chainId, expected.operators);
  return stepDigest(operatorDomain(expected.chainId, getAddress(expected.operators)), step);
}

/** The digest recomputed here must be the draft's, and its challenge the digest's base64url. */
function checkedChallenge(draft: { digest: string; challenge: string }, step: OperatorStep, chainId: bigint, contract: string): string {
  const digest = stepDigest(operatorDomain(chainId, getAddress(contract)), step);
  const challenge = base64url(getBytes(digest));
  if (!same(digest, draft.digest) || challenge !== draft.challenge) throw new DraftRefused("digest_mismatch");
  return challenge;
}
