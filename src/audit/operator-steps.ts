/**
 * Every operator step re-verified from the chain alone (ADR 0001 section 12): for each
 * transaction whose top-level call performs steps (DualControl's propose, approveProposal, reject,
 * withdraw and act on the registry, the ledger and CreditGrants; CreditGrants' confirmFreeze;
 * CredenceOperators' enrol, remove, vetoRecovery and redeemEnrolmentCode), the auditor decodes the step's fields from the calldata,
 * recomputes its EIP-712 digest under the domain of the contract that consumed it, verifies the
 * signature itself (step-signatures.ts), and checks, against the credentials replayed to the
 * block before the transaction (credentials.ts), that the credential was Active and of the
 * institution the step needs, that the enrolment or removal met its quorum, that notAfter had not
 * passed at the block's time and that no digest was consumed twice. Every OperatorStepVerified
 * event of the credentials contract must be matched by such a verified signature; an event
 * without a decodable top-level call (a step relayed through another contract) is reported, not
 * skipped. A recovery must have waited RECOVERY_DELAY after it was proposed.
 *
 * A new step-consuming function is one entry of STEP_FUNCTIONS: its name, which contract has it,
 * and how its arguments (and the replayed state) give the step's kind, subject, actionHash,
 * salt, notAfter, signatures, and who must sign.
 */
import { AbiCoder, keccak256, type Interface, type Result } from "ethers";
import {
  CredenceOperators__factory,
  ICardRegistry__factory,
  ICreditGrants__factory,
  IDualControl__factory,
  IMerchantRegistry__factory,
  IPointsLedger__factory,
} from "../../typechain-types";
import { ROLES } from "../chain/roles";
import {
  StepKind,
  enrolmentHash,
  keyHash,
  type CredentialKey,
  type OperatorStep,
} from "../domain/operator-steps";
import type { CredentialBook, CredentialRecord } from "./credentials";
import type { DecodedLog } from "./events";
import type { Discrepancy } from "./report";
import { StepSignatureVerifier, secp256k1Fault } from "./step-signatures";
import { StepHasher } from "./step-digests";

/** IOperatorCredentials.RECOVERY_DELAY: seconds a recovery waits before it may complete. */
export const RECOVERY_DELAY = 7n * 24n * 3600n;

/** The transaction that performed steps, as the node returns it, and its block's timestamp. */
export interface StepTransaction {
  to: string | null;
  input: string;
  blockTime: bigint;
}

/** Who must sign a step: a credential of either institution, of `institution`, or of the other one. */
export type SignerRule = { either: true } | { of: string } | { notOf: string };

/** A step a call performs, as the auditor recomputes it from the call's arguments. */
export interface PerformedStep {
  step: OperatorStep;
  /** The contract under whose EIP-712 domain the step is signed (the one that consumed it). */
  verifyingContract: string;
  /** Credentials' signatures over the step (each anchored by an OperatorStepVerified event). */
  signatures: { credentialId: bigint; signature: string }[];
  signers: SignerRule;
  /** For enrol and remove: why the signing credentials are not a quorum (undefined when they are). */
  quorum?: (signers: readonly CredentialRecord[]) => string | undefined;
  /** For redeemEnrolmentCode: the code key's signature, and the code key the contract held (lower-case). */
  codeSignature?: { signature: string; code: string | undefined };
}

/** What a step-performing function's entry may read: the replayed state before the call. */
export interface StepCallContext {
  /** The called contract (lower-case). */
  contract: string;
  credentials: CredentialBook;
  /** A proposal of the called contract, as its ProposalCreated event and the credentials say. */
  proposal(proposalId: bigint): ProposalRecord | undefined;
  /** The latest emergency freeze of a card's credit, as its CreditFrozen event says. */
  freeze(cardId: string): FreezeRecord | undefined;
}

export interface FreezeRecord {
  account: bigint;
  credentialId: bigint;
  /** The freezing institution (lower-case). */
  institution: string;
  lapsesAt: bigint;
}

export interface StepFunction {
  /** Where the function is: on every DualControl contract, or on the credentials contract. */
  on: "dual-control" | "operators";
  /** The function's name in that contract's ABI. */
  name: string;
  /** The steps the call performs; throws StepCallError when the replayed state cannot give them. */
  steps(args: Result, context: StepCallContext): PerformedStep[];
}

export interface ProposalRecord {
  actionHash: string;
  /** The proposer's institution: its credential's, as replayed (lower-case). */
  institution: string;
}

/** A call whose steps cannot be recomputed (say, on a proposal the replay never saw). */
export class StepCallError extends Error {}

/** The step fields a DualControl function takes (IDualControl.StepSignature). */
function signedBy(step: Result): Pick<PerformedStep, "signatures"> & Pick<OperatorStep, "salt" | "notAfter"> {
  return { salt: String(step.salt), notAfter: BigInt(step.notAfter), signatures: [{ credentialId: BigInt(step.credentialId), signature: String(step.signature) }] };
}

/** A DualControl step on an existing proposal, signed as `rule` of the proposer's institution says. */
function onProposal(kind: StepKind, args: Result, c: StepCallContext, rule: (proposer: string) => SignerRule): PerformedStep[] {
  const proposalId = BigInt(args.proposalId);
  const p = c.proposal(proposalId);
  if (!p) throw new StepCallError(`proposal ${proposalId} was never created`);
  const { salt, notAfter, signatures } = signedBy(args.step);
  return [{ step: { kind, subject: proposalId, actionHash: p.actionHash, salt, notAfter }, verifyingContract: c.contract, signatures, signers: rule(p.institution) }];
}

/**
 * Which institution may act alone on a function, by selector (each contract's
 * `_actingInstitution`): the bank's merchant, terminal, agreement, card-status and pause
 * functions; the emergency credit freeze, either institution.
 */
const ACTING_INSTITUTIONS: ReadonlyMap<string, SignerRule> = (() => {
  const bank: SignerRule = { of: ROLES.BANK.toLowerCase() };
  const rules = new Map<string, SignerRule>();
  const merchants = IMerchantRegistry__factory.createInterface();
  for (const f of ["registerMerchant", "setMerchantActive", "registerTerminal", "setTerminalEnabled", "setAgreement", "setCreditPointRule"] as const) {
    rules.set(merchants.getFunction(f).selector, bank);
  }
  const cards = ICardRegistry__factory.createInterface();
  for (const f of ["freezeCard", "unfreezeCard", "closeCard"] as const) rules.set(cards.getFunction(f).selector, bank);
  const ledger = IPointsLedger__factory.createInterface();
  for (const f of ["pause", "unpause"] as const) rules.set(ledger.getFunction(f).selector, bank);
  rules.set(ICreditGrants__factory.createInterface().getFunction("freezeCredit").selector, { either: true });
  return rules;
})();

/** The credentials contract's own steps: signatures as OperatorSignature[] (or one). */
function ownStep(c: StepCallContext, step: OperatorStep, signatures: Result[], rest: Omit<PerformedStep, "step" | "verifyingContract" | "signatures">): PerformedStep {
  return { step, verifyingContract: c.contract, signatures: signatures.map((s) => ({ credentialId: BigInt(s.credentialId), signature: String(s.signature) })), ...rest };
}

function keyArg(key: Result): CredentialKey {
  return { kind: Number(key.kind) as CredentialKey["kind"], qx: String(key.qx), qy: String(key.qy), signer: String(key.signer) };
}

/** Distinct operators among the signers, or why not. */
function duplicateOperator(signers: readonly CredentialRecord[]): string | undefined {
  const operators = new Set(signers.map((s) => s.operatorId));
  return operators.size < signers.length ? "two signatures come from one operator" : undefined;
}

/** The step-performing functions, and how each one's steps are recomputed from its arguments. */
export const STEP_FUNCTIONS: readonly StepFunction[] = [
  {
    on: "dual-control",
    name: "propose",
    steps: (a, c) => {
      const { salt, notAfter, signatures } = signedBy(a.step);
      const step = { kind: StepKind.Propose, subject: 0n, actionHash: keccak256(a.action), salt, notAfter };
      return [{ step, verifyingContract: c.contract, signatures, signers: { either: true } }];
    },
  },
  {
    on: "dual-control",
    name: "act",
    steps: (a, c) => {
      const action = String(a.action);
      const signers = ACTING_INSTITUTIONS.get(action.slice(0, 10).toLowerCase());
      if (!signers) throw new StepCallError(`its act runs ${action.slice(0, 10)}, which no institution may run alone`);
      const { salt, notAfter, signatures } = signedBy(a.step);
      const step = { kind: StepKind.Act, subject: 0n, actionHash: keccak256(action), salt, notAfter };
      return [{ step, verifyingContract: c.contract, signatures, signers }];
    },
  },
  {
    on: "dual-control",
    name: "confirmFreeze",
    steps: (a, c) => {
      const f = c.freeze(String(a.cardId).toLowerCase());
      if (!f) throw new StepCallError(`no freeze of card ${a.cardId} was placed`);
      // CreditGrants._freezeHash: the card, the freezing credential and when the freeze lapses.
      const actionHash = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint64", "uint64"], [a.cardId, f.credentialId, f.lapsesAt]));
      const { salt, notAfter, signatures } = signedBy(a.step);
      const step = { kind: StepKind.Confirm, subject: f.account, actionHash, salt, notAfter };
      return [{ step, verifyingContract: c.contract, signatures, signers: { notOf: f.institution } }];
    },
  },
  { on: "dual-control", name: "approveProposal", steps: (a, c) => onProposal(StepKind.Approve, a, c, (p) => ({ notOf: p })) },
  { on: "dual-control", name: "reject", steps: (a, c) => onProposal(StepKind.Reject, a, c, (p) => ({ notOf: p })) },
  { on: "dual-control", name: "withdraw", steps: (a, c) => onProposal(StepKind.Withdraw, a, c, (p) => ({ of: p })) },
  {
    on: "operators",
    name: "enrol",
    steps: (a, c) => {
      const institution = String(a.institution).toLowerCase();
      const step = { kind: StepKind.Enrol, subject: 0n, actionHash: enrolmentHash(institution, a.operatorId, keyArg(a.key)), salt: String(a.salt), notAfter: BigInt(a.notAfter) };
      // Two operators of the institution, or the only one while it has one (ADR 0001 section 4).
      const required = c.credentials.activeOperatorCount(institution) >= 2 ? 2 : 1;
      const quorum = (signers: readonly CredentialRecord[]) =>
        signers.length !== required ? `${signers.length} signatures, the institution's quorum is ${required}` : duplicateOperator(signers);
      return [ownStep(c, step, a.signatures, { signers: { of: institution }, quorum })];
    },
  },
  {
    on: "operators",
    name: "remove",
    steps: (a, c) => {
      const target = c.credentials.get(BigInt(a.credentialId));
      if (!target?.active) throw new StepCallError(`credential ${a.credentialId} was not active`);
      const step = { kind: StepKind.Remove, subject: target.credentialId, actionHash: keyHash(target.key), salt: String(a.salt), notAfter: BigInt(a.notAfter) };
      // The removed credential's own operator alone, or two other operators (one when only one other is active).
      const required = c.credentials.activeOperatorCount(target.institution) - 1 >= 2 ? 2 : 1;
      const quorum = (signers: readonly CredentialRecord[]) => {
        const others = signers.filter((s) => s.operatorId !== target.operatorId).length;
        const byOwnOperator = signers.length === 1 && others === 0;
        if (!byOwnOperator && (others !== required || signers.length !== required)) {
          return `${others} signatures of other operators, the removal needs ${required} (or the credential's own operator alone)`;
        }
        return duplicateOperator(signers);
      };
      return [ownStep(c, step, a.signatures, { signers: { of: target.institution }, quorum })];
    },
  },
  {
    on: "operators",
    name: "vetoRecovery",
    steps: (a, c) => {
      const institution = String(a.institution).toLowerCase();
      const recovery = c.credentials.pendingRecovery(institution);
      if (!recovery) throw new StepCallError(`no recovery of ${institution} was pending`);
      const step = { kind: StepKind.VetoRecovery, subject: recovery.recoveryId, actionHash: keyHash(recovery.key), salt: String(a.salt), notAfter: BigInt(a.notAfter) };
      return [ownStep(c, step, [a.signature], { signers: { of: institution } })];
    },
  },
  {
    on: "operators",
    name: "redeemEnrolmentCode",
    steps: (a, c) => {
      const institution = String(a.institution).toLowerCase();
      const step = { kind: StepKind.RedeemEnrolmentCode, subject: 0n, actionHash: enrolmentHash(institution, a.operatorId, keyArg(a.key)), salt: String(a.salt), notAfter: BigInt(a.notAfter) };
      return [{ step, verifyingContract: c.contract, signatures: [], signers: { of: institution }, codeSignature: { signature: String(a.codeSignature), code: c.credentials.enrolmentCode(institution) } }];
    },
  },
];

/** Events of a DualControl contract that only a step-performing call emits. */
const DUAL_CONTROL_STEP_EVENTS = new Set([
  "ProposalCreated",
  "ProposalExecuted",
  "ProposalRejected",
  "ProposalWithdrawn",
  "ActionPerformed",
  "CreditFrozen",
  "CreditFreezeConfirmed",
]);
/** Events of the credentials contract whose transaction the checker reads. */
const OPERATORS_STEP_EVENTS = new Set(["OperatorStepVerified", "EnrolmentCodeRedeemed", "RecoveryProposed", "RecoveryCompleted"]);

const INSTITUTION_NAMES: Record<string, string> = { [ROLES.BANK.toLowerCase()]: "the bank", [ROLES.CREDIT_CENTER.toLowerCase()]: "the credit center" };
const nameOf = (institution: string) => INSTITUTION_NAMES[institution] ?? institution;

interface Callable {
  iface: Interface;
  functions: Map<string, StepFunction>;
}

export interface OperatorStepCheckerOptions {
  chainId: bigint;
  /** The credentials contract (CredenceOperators). */
  operators: string;
  /** The deployment's DualControl contracts (registry, ledger, CreditGrants). */
  dualControl: readonly string[];
  /** The credentials as replayed to the transaction being checked. */
  credentials: CredentialBook;
  functions?: readonly StepFunction[];
}

export class OperatorStepChecker {
  /** Steps verified so far (one per signature). */
  checked = 0;
  private readonly operators: string;
  private readonly dualControl: Set<string>;
  private readonly byKind: Record<StepFunction["on"], Callable>;
  private readonly consumed = new Set<string>();
  private readonly proposals = new Map<string, ProposalRecord>();
  private readonly freezes = new Map<string, FreezeRecord>();
  private readonly recoveriesProposedAt = new Map<bigint, bigint>();
  private readonly verifier = new StepSignatureVerifier();
  private readonly hasher: StepHasher;

  constructor(private readonly o: OperatorStepCheckerOptions) {
    this.operators = o.operators.toLowerCase();
    this.hasher = new StepHasher(o.chainId);
    this.dualControl = new Set(o.dualControl.map((a) => a.toLowerCase()));
    const callable = (iface: Interface, on: StepFunction["on"]): Callable => {
      const functions = new Map<string, StepFunction>();
      for (const f of o.functions ?? STEP_FUNCTIONS) if (f.on === on) functions.set(iface.getFunction(f.name)!.selector, f);
      return { iface, functions };
    };
    this.byKind = {
      // CreditGrants' ABI holds DualControl's functions and its own confirmFreeze.
      "dual-control": callable(dualControlAbi(), "dual-control"),
      operators: callable(CredenceOperators__factory.createInterface() as unknown as Interface, "operators"),
    };
  }

  /** Whether the auditor must fetch this log's transaction (and its block's time) for `transaction`. */
  needsTransaction(log: DecodedLog): boolean {
    return log.address === this.operators ? OPERATORS_STEP_EVENTS.has(log.name) : DUAL_CONTROL_STEP_EVENTS.has(log.name) && this.dualControl.has(log.address);
  }

  /**
   * Check one transaction's steps, before its events are replayed (the credentials are then as
   * the contracts saw them when they checked the steps); called when `needsTransaction` held
   * for one of its logs.
   */
  transaction(logs: readonly DecodedLog[], tx: StepTransaction): Discrepancy[] {
    const where = { block: logs[0].blockNumber, tx: logs[0].transactionHash };
    const found: Discrepancy[] = [];
    const add = (code: string, message: string, extra: Partial<Discrepancy> = {}) => found.push({ code, message, ...where, ...extra });
    const events = logs.filter((l) => l.address === this.operators && l.name === "OperatorStepVerified");
    let performed: PerformedStep[] = [];
    let undecodable: string | undefined;
    try {
      performed = this.decode(tx);
    } catch (err) {
      undecodable = (err as Error).message;
    }
    const unmatched = new Map<string, PerformedStep>();
    for (const p of performed) {
      const digest = this.check(p, tx.blockTime, add);
      for (const s of p.signatures) unmatched.set(`${digest}:${s.credentialId}`, p);
    }
    for (const e of events) {
      const key = `${String(e.args.digest).toLowerCase()}:${BigInt(e.args.credentialId as bigint)}`;
      const p = unmatched.get(key);
      if (p) {
        unmatched.delete(key);
        const { kind, subject, actionHash } = e.args as { kind: bigint; subject: bigint; actionHash: string };
        if (BigInt(kind) !== BigInt(p.step.kind) || BigInt(subject) !== p.step.subject || String(actionHash).toLowerCase() !== p.step.actionHash.toLowerCase()) {
          add("operator_step.event_mismatch", `OperatorStepVerified for digest ${e.args.digest} names kind ${kind}, subject ${subject}, action ${actionHash}; the call's step is kind ${p.step.kind}, subject ${p.step.subject}, action ${p.step.actionHash}`);
        }
      } else if (undecodable !== undefined || performed.length === 0) {
        const why = undecodable ?? (tx.to ? `its top-level call to ${tx.to} performs no step the auditor knows` : "it has no top-level call");
        add("operator_step.undecodable", `a step by credential ${e.args.credentialId} (digest ${e.args.digest}) was verified, but ${why}: its signature could not be re-verified`);
      } else {
        add("operator_step.event_mismatch", `a step by credential ${e.args.credentialId} (digest ${e.args.digest}) was verified that the transaction's call does not perform`);
      }
    }
    if (undecodable !== undefined && events.length === 0) add("operator_step.undecodable", `the transaction's steps could not be recomputed: ${undecodable}`);
    const redemptions = logs.filter((l) => l.address === this.operators && l.name === "EnrolmentCodeRedeemed").length;
    if (redemptions > performed.filter((p) => p.codeSignature).length) {
      add("operator_step.undecodable", "an enrolment code was redeemed, but the transaction's top-level call is no redeemEnrolmentCode: its signature could not be re-verified");
    }
    for (const [key, p] of unmatched) {
      add("operator_step.unverified", `the call performs a ${kindName(p.step.kind)} step signed by credential ${key.split(":")[1]} that no OperatorStepVerified event attributes`);
    }
    this.record(logs, tx.blockTime, add);
    return found;
  }

  /** The steps the transaction's top-level call performs (none for a call that performs none). */
  private decode(tx: StepTransaction): PerformedStep[] {
    const to = tx.to?.toLowerCase();
    const callable = to === this.operators ? this.byKind.operators : to && this.dualControl.has(to) ? this.byKind["dual-control"] : undefined;
    const entry = callable?.functions.get(tx.input.slice(0, 10).toLowerCase());
    if (!callable || !entry) return [];
    let args: Result;
    try {
      args = callable.iface.decodeFunctionData(entry.name, tx.input);
    } catch {
      throw new StepCallError(`its call of ${entry.name} does not decode`);
    }
    return entry.steps(args, {
      contract: to!,
      credentials: this.o.credentials,
      proposal: (id) => this.proposals.get(`${to}:${id}`),
      freeze: (cardId) => this.freezes.get(`${to}:${cardId}`),
    });
  }

  /** Check one performed step; returns its digest. */
  private check(p: PerformedStep, blockTime: bigint, add: (code: string, message: string) => void): string {
    const digest = this.hasher.digest(p.verifyingContract, p.step);
    const what = `${kindName(p.step.kind)} step ${digest}`;
    this.checked += Math.max(p.signatures.length, 1);
    if (this.consumed.has(digest)) add("operator_step.replayed", `${what} was consumed before`);
    this.consumed.add(digest);
    if (blockTime > p.step.notAfter) add("operator_step.expired", `${what} was performed at ${blockTime}, after its notAfter ${p.step.notAfter}`);
    if (p.codeSignature) {
      const { code, signature } = p.codeSignature;
      const fault = code ? secp256k1Fault(digest, code, signature) : "the institution had no enrolment code";
      if (fault) add("operator_step.bad_signature", `${what}: ${fault}`);
    }
    const signers: CredentialRecord[] = [];
    for (const s of p.signatures) {
      const c = this.o.credentials.get(s.credentialId);
      if (!c?.active) {
        add("operator_step.inactive_credential", `${what} is signed by credential ${s.credentialId}, ${c ? "removed" : "never enrolled"} by then`);
        continue;
      }
      signers.push(c);
      const rule = p.signers;
      if (("of" in rule && c.institution !== rule.of) || ("notOf" in rule && c.institution === rule.notOf)) {
        const needed = "of" in rule ? nameOf(rule.of) : "notOf" in rule ? `the other institution than ${nameOf(rule.notOf)}` : "either";
        add("operator_step.wrong_institution", `${what} is signed by credential ${s.credentialId} of ${nameOf(c.institution)}; it needs ${needed}`);
      }
      const fault = this.verifier.fault(digest, c.key, s.signature);
      if (fault) add("operator_step.bad_signature", `${what} by credential ${s.credentialId}: ${fault}`);
    }
    const short = p.quorum?.(signers);
    if (short && signers.length === p.signatures.length) add("operator_step.quorum_not_met", `${what}: ${short}`);
    return digest;
  }

  /** Record what later steps are checked against: proposals and when recoveries were proposed. */
  private record(logs: readonly DecodedLog[], blockTime: bigint, add: (code: string, message: string) => void): void {
    for (const l of logs) {
      if (l.name === "ProposalCreated" && this.dualControl.has(l.address)) {
        const credential = BigInt(l.args.proposerCredential as bigint);
        const institution = this.o.credentials.activeInstitution(credential) ?? String(l.args.institution).toLowerCase();
        this.proposals.set(`${l.address}:${BigInt(l.args.proposalId as bigint)}`, { actionHash: keccak256(String(l.args.action)).toLowerCase(), institution });
      } else if (l.name === "CreditFrozen" && this.dualControl.has(l.address)) {
        const a = l.args as { cardId: string; account: bigint; credentialId: bigint; institution: string; lapsesAt: bigint };
        this.freezes.set(`${l.address}:${String(a.cardId).toLowerCase()}`, {
          account: BigInt(a.account),
          credentialId: BigInt(a.credentialId),
          institution: String(a.institution).toLowerCase(),
          lapsesAt: BigInt(a.lapsesAt),
        });
      } else if (l.address === this.operators && l.name === "RecoveryProposed") {
        this.recoveriesProposedAt.set(BigInt(l.args.recoveryId as bigint), blockTime);
      } else if (l.address === this.operators && l.name === "RecoveryCompleted") {
        const recoveryId = BigInt(l.args.recoveryId as bigint);
        const proposedAt = this.recoveriesProposedAt.get(recoveryId);
        if (proposedAt === undefined || blockTime < proposedAt + RECOVERY_DELAY) {
          const when = proposedAt === undefined ? "never proposed" : `proposed at ${proposedAt}, due at ${proposedAt + RECOVERY_DELAY}`;
          add("operator_step.recovery_not_due", `recovery ${recoveryId} completed at ${blockTime}, ${when}`);
        }
      }
    }
  }
}

/** DualControl's step-performing functions and CreditGrants' confirmFreeze, in one ABI. */
function dualControlAbi(): Interface {
  const dual = IDualControl__factory.createInterface() as unknown as Interface;
  const credit = ICreditGrants__factory.createInterface() as unknown as Interface;
  return new (dual.constructor as typeof Interface)([...dual.fragments, credit.getFunction("confirmFreeze")!]);
}

function kindName(kind: number): string {
  return Object.entries(StepKind).find(([, v]) => v === kind)?.[0] ?? `kind ${kind}`;
}
