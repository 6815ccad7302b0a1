/**
 * Dual control, checked from events alone, for ANY contract built on contracts/access/DualControl:
 * every "effect" event a subject lists (a card issued, a card replaced, points voided, and after
 * the credit branch a credit grant) must come from a transaction that executed a proposal of
 * that subject whose action calls the matching function, proposed by one controlling role and
 * approved by a different address holding the other role; the proposer held its role when it
 * proposed and still held it when the proposal ran, and the approver held the other then.
 *
 * Logs are fed per transaction: an approval emits the effect first (the action runs inside
 * `approve`) and ProposalExecuted after, so effects are matched when the transaction ends.
 */
import type { Interface } from "ethers";
import { ROLES } from "../chain/roles";
import type { Discrepancy } from "./report";

/** Where a subject's controlling roles live (the registry model, replayed to the same block). */
export interface RoleBook {
  hasRole(role: string, account: string): boolean;
}

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
  roles: RoleBook;
}

interface ProposalRecord {
  proposer: string;
  proposerRole: string;
  /** Selector of the proposed call. */
  selector: string;
  /** Whether the proposer held the role it proposed with, at the proposal's block. */
  proposerHeldRole: boolean;
}

interface TxEffect {
  subject: DualControlSubject;
  effect: DualControlEffect;
  args: Record<string, unknown>;
}

interface TxExecution {
  subject: DualControlSubject;
  proposalId: bigint;
  approver: string;
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

  constructor(subjects: readonly DualControlSubject[]) {
    for (const s of subjects) this.subjects.set(s.address.toLowerCase(), s);
  }

  isSubject(address: string): boolean {
    return this.subjects.has(address.toLowerCase());
  }

  /** Feed one decoded event of a subject (in chain order). */
  onEvent(address: string, name: string, args: Record<string, unknown>): void {
    const subject = this.subjects.get(address.toLowerCase());
    if (!subject) return;
    if (name === "ProposalCreated") {
      const action = String(args.action);
      const proposerRole = String(args.proposerRole).toLowerCase();
      const proposer = String(args.proposer);
      this.proposals.set(`${subject.address.toLowerCase()}:${BigInt(args.proposalId as bigint)}`, {
        proposer: proposer.toLowerCase(),
        proposerRole,
        selector: action.slice(0, 10).toLowerCase(),
        proposerHeldRole: CONTROLLING.includes(proposerRole) && subject.roles.hasRole(proposerRole, proposer),
      });
    } else if (name === "ProposalExecuted") {
      this.executions.push({ subject, proposalId: BigInt(args.proposalId as bigint), approver: String(args.approver).toLowerCase(), used: false });
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
      const counterpart = CONTROLLING.find((r) => r !== p.proposerRole);
      if (p.proposer === execution.approver) {
        found.push({
          code: "dual_control.single_approval",
          message: `${e.subject.name}: ${e.effect.event} by proposal ${execution.proposalId}, proposed and approved by the same address ${execution.approver}`,
          ...where,
        });
      } else if (!p.proposerHeldRole || !e.subject.roles.hasRole(p.proposerRole, p.proposer)) {
        const when = p.proposerHeldRole ? "no longer held the role it proposed with when the proposal ran" : "did not hold a controlling role";
        found.push({
          code: "dual_control.proposer_without_role",
          message: `${e.subject.name}: proposal ${execution.proposalId} proposed by ${p.proposer} who ${when}`,
          ...where,
        });
      } else if (!counterpart || !e.subject.roles.hasRole(counterpart, execution.approver)) {
        found.push({
          code: "dual_control.approver_not_counterpart",
          message: `${e.subject.name}: proposal ${execution.proposalId} approved by ${execution.approver} who did not hold the other controlling role`,
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
