/**
 * The credit center's service: scores, eligibility and grants read from CreditGrants (one view
 * call per card or per page), and the calls of the decisions operators draft on credit: grants,
 * decreases, revocations, unfreezes and policies (dual control), the emergency freeze (an `Act`
 * step of either institution, which lapses unless the other confirms it with a `Confirm` step).
 */
import type { LedgerClient } from "../../chain/ledger-client";
import type { CreditGrants, CreditScores } from "../../../typechain-types";
import type { ICreditGrants } from "../../../typechain-types/contracts/credit/CreditGrants";
import { DomainError } from "../../domain/domain-error";
import type { CreditProposal } from "./schemas";
import type { Tier } from "../../credit/policy";
import { policyProblem } from "../../credit/policy";
import { CARD_KINDS, CARD_STATUSES, CardStatus } from "../../../packages/terminal-sdk/src/constants";

export type CreditLine = ReturnType<typeof toCreditLine>;

/** A CreditGrants.CreditLine as the API shows it: amounts as decimal strings, no grant as null. */
export function toCreditLine(line: ICreditGrants.CreditLineStructOutput, scoreVersion: number) {
  const { card, grant } = line;
  return {
    cardId: card.cardId,
    account: card.account.toString(),
    kind: CARD_KINDS[Number(card.kind)],
    status: CARD_STATUSES[Number(card.status)],
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

  constructor(private readonly chain: LedgerClient) {
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

  /** The call of a grant, decrease, revocation or unfreeze of a card's credit, as a decision asks for it. */
  async proposalCall(cardId: string, p: CreditProposal): Promise<{ function: string; args: Record<string, unknown> }> {
    await this.existingCard(cardId);
    switch (p.action) {
      case "grant":
        return { function: "grantCredit", args: { cardId, limit: p.limit, expiresAt: p.expiresAt } };
      case "decrease":
        return { function: "decreaseLimit", args: { cardId, limit: p.limit } };
      case "revoke":
        return { function: "revokeCredit", args: { cardId } };
      case "unfreeze":
        return { function: "unfreezeCredit", args: { cardId } };
    }
  }

  /** The call setting new tiers for one card kind, refused with 400 credit.policy_invalid when they are inconsistent. */
  policyCall(kind: "consumer" | "merchant", tiers: Tier[]): { function: string; args: Record<string, unknown> } {
    const problem = policyProblem(tiers);
    if (problem) throw new DomainError({ code: "credit.policy_invalid", detail: problem });
    return { function: "setPolicy", args: { kind: kind === "consumer" ? 0 : 1, tiers } };
  }

  private async version(): Promise<number> {
    this.scoreVersion ??= Number(await this.scores.SCORE_VERSION());
    return this.scoreVersion;
  }

  /** The card, or 404 card.unknown. */
  async existingCard(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (Number(card.status) === CardStatus.None) throw new DomainError({ code: "card.not_found", detail: "no such card" });
  }
}
