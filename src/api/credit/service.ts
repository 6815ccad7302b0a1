/**
 * The credit center's service: scores, eligibility and grants read from CreditGrants (one view
 * call per card or per page), dual-controlled changes proposed with the operator role's key
 * through the operations service (same key queues, same proposal routes for approval), and the
 * emergency freeze: an `Act` step of either institution, which lapses unless the other
 * institution confirms it (a `Confirm` step).
 */
import type { LedgerClient } from "../../chain/ledger-client";
import type { CreditGrants, CreditScores } from "../../../typechain-types";
import type { ICreditGrants } from "../../../typechain-types/contracts/credit/CreditGrants";
import { DomainError } from "../../http/problem";
import { StepKind } from "../../domain/operator-steps";
import type { ControllerRole, OperationsService } from "../operations/service";
import type { CreditProposal } from "./schemas";
import type { Tier } from "../../credit/policy";
import { policyProblem } from "../../credit/policy";

const KIND = ["consumer", "merchant"] as const;
const STATUS = ["none", "active", "frozen", "closed"] as const;

export type CreditLine = ReturnType<typeof toCreditLine>;

/** A CreditGrants.CreditLine as the API shows it: amounts as decimal strings, no grant as null. */
export function toCreditLine(line: ICreditGrants.CreditLineStructOutput, scoreVersion: number) {
  const { card, grant } = line;
  return {
    cardId: card.cardId,
    account: card.account.toString(),
    kind: KIND[Number(card.kind)],
    status: STATUS[Number(card.status)],
    merchantId: card.merchantId === 0n ? null : Number(card.merchantId),
    score: Number(card.score),
    scoreVersion,
    points: card.points.toString(),
    eligibleLimit: line.eligibleLimit.toString(),
    grant:
      grant.limit === 0n
        ? null
        : { limit: grant.limit.toString(), expiresAt: Number(grant.expiresAt), policyVersion: Number(grant.policyVersion), frozen: grant.frozen },
    availableLimit: line.availableLimit.toString(),
  };
}

export class CreditService {
  private readonly grants: CreditGrants;
  private readonly scores: CreditScores;
  private scoreVersion: number | undefined;

  constructor(
    private readonly chain: LedgerClient,
    private readonly ops: OperationsService,
  ) {
    if (!chain.creditGrants || !chain.creditScores) throw new Error("the deployment record names no credit contracts");
    this.grants = chain.creditGrants;
    this.scores = chain.creditScores;
  }

  /** A card's score, eligible limit and grant. */
  async card(cardId: string): Promise<CreditLine> {
    await this.existingCard(cardId);
    const [line, version] = await Promise.all([this.grants.creditOf(cardId), this.version()]);
    return toCreditLine(line, version);
  }

  /** One page of every account's credit line, for exports. */
  async page(from: number, limit: number) {
    const [[records, next], total, version] = await Promise.all([
      this.grants.creditPage(from, limit),
      this.scores.accountCount(),
      this.version(),
    ]);
    return { scoreVersion: version, total: total.toString(), next: next === 0n ? null : Number(next), records: records.map((r) => toCreditLine(r, version)) };
  }

  async policy() {
    const [version, consumer, merchant] = await Promise.all([this.grants.policyVersion(), this.grants.policy(0), this.grants.policy(1)]);
    const tiers = (ts: ICreditGrants.TierStructOutput[]) =>
      ts.map((t) => ({ minScore: Number(t.minScore), minPoints: t.minPoints.toString(), limit: t.limit.toString() }));
    return { version: Number(version), scoreVersion: await this.version(), consumer: tiers(consumer), merchant: tiers(merchant) };
  }

  /** Propose a grant, decrease, revocation or unfreeze for a card; the other role approves it. */
  async propose(role: ControllerRole, cardId: string, p: CreditProposal) {
    await this.existingCard(cardId);
    return this.proposed(await this.ops.propose(role, "credit", this.encode(cardId, p)));
  }

  private encode(cardId: string, p: CreditProposal): string {
    const i = this.grants.interface;
    switch (p.action) {
      case "grant":
        return i.encodeFunctionData("grantCredit", [cardId, p.limit, p.expiresAt]);
      case "decrease":
        return i.encodeFunctionData("decreaseLimit", [cardId, p.limit]);
      case "revoke":
        return i.encodeFunctionData("revokeCredit", [cardId]);
      case "unfreeze":
        return i.encodeFunctionData("unfreezeCredit", [cardId]);
    }
  }

  /** Propose new tiers for one card kind. */
  async proposePolicy(role: ControllerRole, kind: "consumer" | "merchant", tiers: Tier[]) {
    const problem = policyProblem(tiers);
    if (problem) throw new DomainError({ code: "credit.policy_invalid", status: 400, title: "Invalid credit policy", detail: problem });
    const action = this.grants.interface.encodeFunctionData("setPolicy", [kind === "consumer" ? 0 : 1, tiers]);
    return this.proposed(await this.ops.propose(role, "credit", action));
  }

  /**
   * Emergency freeze of a card's grant by one institution alone (an act). It lapses after
   * CreditGrants.FREEZE_LAPSE unless the other institution confirms it.
   */
  async freeze(role: ControllerRole, cardId: string) {
    await this.existingCard(cardId);
    await this.ops.act(role, "credit", this.grants.interface.encodeFunctionData("freezeCredit", [cardId]));
    return this.card(cardId);
  }

  /** Confirm the other institution's freeze of a card's grant: it then holds until unfrozen (dual control). */
  async confirmFreeze(role: ControllerRole, cardId: string) {
    await this.existingCard(cardId);
    const [subject, actionHash] = await this.grants.freezeConfirmation(cardId);
    const step = await this.ops.signStep(role, "credit", StepKind.Confirm, subject, actionHash);
    await this.ops.send(role, (o) => this.grants.connect(this.ops.signerOf(role)).confirmFreeze(cardId, step, o));
    return this.card(cardId);
  }

  private proposed(proposalId: string) {
    return { proposalId, approveAt: `/v1/proposals/credit/${proposalId}/approval` };
  }

  private async version(): Promise<number> {
    this.scoreVersion ??= Number(await this.scores.SCORE_VERSION());
    return this.scoreVersion;
  }

  private async existingCard(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (card.status === 0n) throw new DomainError({ code: "card.unknown", status: 404, title: "Not found", detail: "no such card" });
  }
}
