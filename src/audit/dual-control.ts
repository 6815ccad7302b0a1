/**
 * Dual control, checked from events alone, for ANY contract built on contracts/access/DualControl:
 * every "effect" event a subject lists (a card issued, a card replaced, points voided, and after
 * the credit branch a credit grant) must come from a transaction that executed a proposal of
 * that subject whose action calls the matching function, proposed by an operator credential of
 * one institution and approved by a credential of the other; the proposer's credential was
 * Active and of the institution it proposed for when it proposed and still Active when the
 * proposal ran, and the approver's was Active and of the other institution then. Credentials are
 * replayed from the credentials contract's events (credentials.ts); each step's signature is
 * verified by operator-steps.ts.
 *
 * Logs are fed per transaction: an approval emits the effect first (the action runs inside
 * `approveProposal`) and ProposalExecuted after, so effects are matched when the transaction ends.
 */
import type { Interface } from "ethers";
import { ROLES } from "../chain/roles";
import { CredentialBook } from "./credentials";
import type { Discrepancy } from "./report";

export interface DualControlEffect {
  /** Event name on the subject, e.g. "CardIssued". */
  event: string;
  /** The dual-controlled function whose execution emits it, e.g. "issueCard". */
  action: string;
  /** Only events this returns true for are effects (e.g. PointsReversed with reason Correction). */
  applies?: (args: Record<string, unknown>) => boolean;
  /** The card the effect concerns, for the report. */
  cardOf?: (args: Record<string, unknown>) => string | undefined;
}

/** A contract under dual control and the events that must only come out of an approved proposal. */
export interface DualControlSubject {
  name: string;
  address: string;
  /** Decodes the subject's effect events and proposal actions. */
  iface: Interface;
  effects: readonly DualControlEffect[];
}

interface ProposalRecord {
  proposerCredential: bigint;
  institution: string;
  /** Selector of the proposed call. */
  selector: string;
  /** Whether the proposer's credential was Active and of `institution` (BANK or CREDIT_CENTER) when it proposed. */
  proposerValid: boolean;
}

interface TxEffect {
  subject: DualControlSubject;
  effect: DualControlEffect;
  args: Record<string, unknown>;
}

interface TxExecution {
  subject: DualControlSubject;
  proposalId: bigint;
  approverCredential: bigint;
  used: boolean;
}

const CONTROLLING = [ROLES.BANK.toLowerCase(), ROLES.CREDIT_CENTER.toLowerCase()];

export class DualControlChecker {
  private readonly subjects = new Map<string, DualControlSubject>();
  private readonly proposals = new Map<string, ProposalRecord>();
  private effects: TxEffect[] = [];
  private executions: TxExecution[] = [];
  /** Effects checked so far. */
  checked = 0;

  private readonly operatorsAddress: string | undefined;

  /**
   * `operatorsAddress`: the credentials contract (CredenceOperators) whose events name the
   * credentials; this checker replays them into `credentials`, which others may read.
   */
  constructor(
    subjects: readonly DualControlSubject[],
    operatorsAddress?: string,
    readonly credentials = new CredentialBook(),
  ) {
    for (const s of subjects) this.subjects.set(s.address.toLowerCase(), s);
    this.operatorsAddress = operatorsAddress?.toLowerCase();
  }

  isSubject(address: string): boolean {
    return this.subjects.has(address.toLowerCase());
  }

  /** Feed one decoded event of a subject or of the credentials contract (in chain order). */
  onEvent(address: string, name: string, args: Record<string, unknown>): void {
    if (address.toLowerCase() === this.operatorsAddress) {
      this.credentials.apply(name, args);
      return;
    }
    const subject = this.subjects.get(address.toLowerCase());
    if (!subject) return;
    if (name === "ProposalCreated") {
      const action = String(args.action);
      const institution = String(args.institution).toLowerCase();
      const proposerCredential = BigInt(args.proposerCredential as bigint);
      this.proposals.set(`${subject.address.toLowerCase()}:${BigInt(args.proposalId as bigint)}`, {
        proposerCredential,
        institution,
        selector: action.slice(0, 10).toLowerCase(),
        proposerValid: CONTROLLING.includes(institution) && this.credentials.activeInstitution(proposerCredential) === institution,
      });
    } else if (name === "ProposalExecuted") {
      const approverCredential = BigInt(args.approverCredential as bigint);
      this.executions.push({ subject, proposalId: BigInt(args.proposalId as bigint), approverCredential, used: false });
    } else {
      for (const effect of subject.effects) {
        if (effect.event === name && (effect.applies?.(args) ?? true)) this.effects.push({ subject, effect, args });
      }
    }
  }

  /** Match the transaction's effects with its executed proposals; returns what is wrong. */
  endTransaction(block: number, tx: string): Discrepancy[] {
    const found: Discrepancy[] = [];
    for (const e of this.effects) {
      this.checked++;
      const selector = e.subject.iface.getFunction(e.effect.action)!.selector.toLowerCase();
      const where = { block, tx, card: e.effect.cardOf?.(e.args) };
      const execution = this.executions.find(
        (x) => !x.used && x.subject === e.subject && this.proposal(x)?.selector === selector,
      );
      if (!execution) {
        found.push({
          code: "dual_control.missing",
          message: `${e.subject.name}: ${e.effect.event} without an approved ${e.effect.action} proposal in its transaction`,
          ...where,
        });
        continue;
      }
      execution.used = true;
      const p = this.proposal(execution)!;
      const counterpart = CONTROLLING.find((r) => r !== p.institution);
      const approver = execution.approverCredential;
      if (p.proposerCredential === approver) {
        found.push({
          code: "dual_control.single_approval",
          message: `${e.subject.name}: ${e.effect.event} by proposal ${execution.proposalId}, proposed and approved by the same credential ${approver}`,
          ...where,
        });
      } else if (!p.proposerValid || this.credentials.activeInstitution(p.proposerCredential) !== p.institution) {
        const when = p.proposerValid
          ? "was removed before the proposal ran"
          : "was not an active credential of the institution it proposed for";
        found.push({
          code: "dual_control.proposer_without_role",
          message: `${e.subject.name}: proposal ${execution.proposalId} proposed by credential ${p.proposerCredential}, which ${when}`,
          ...where,
        });
      } else if (!counterpart || this.credentials.activeInstitution(approver) !== counterpart) {
        found.push({
          code: "dual_control.approver_not_counterpart",
          message: `${e.subject.name}: proposal ${execution.proposalId} approved by credential ${approver}, not an active credential of the other institution`,
          ...where,
        });
      }
    }
    this.effects = [];
    this.executions = [];
    return found;
  }

  private proposal(x: TxExecution): ProposalRecord | undefined {
    return this.proposals.get(`${x.subject.address.toLowerCase()}:${x.proposalId}`);
  }
}
