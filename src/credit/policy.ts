/**
 * The credit-limit policy: the TypeScript reference of CreditGrants' tiers (contracts/credit).
 * A card's eligible limit is the highest limit among the tiers whose score and points
 * thresholds it meets; a card that is not active is eligible for nothing.
 */

export const MAX_TIERS = 8;

export interface Tier {
  minScore: number;
  minPoints: bigint;
  /** In the currency's minor units. */
  limit: bigint;
}

/** Why a tier list is not a valid policy, or null when it is (the contract's CreditPolicyInvalid rules). */
export function policyProblem(tiers: readonly Tier[]): string | null {
  if (tiers.length > MAX_TIERS) return `at most ${MAX_TIERS} tiers`;
  for (const [i, t] of tiers.entries()) {
    if (t.minScore < 0 || t.minScore > 1_000) return `tier ${i}: minScore must be 0..1000`;
    if (t.limit <= 0n) return `tier ${i}: limit must be positive`;
    const prev = tiers[i - 1];
    if (prev && (t.limit <= prev.limit || t.minScore < prev.minScore || t.minPoints < prev.minPoints)) {
      return `tier ${i}: limits must increase and thresholds must not decrease`;
    }
  }
  return null;
}

export function eligibleLimit(tiers: readonly Tier[], score: bigint, points: bigint, active = true): bigint {
  if (!active) return 0n;
  let limit = 0n;
  for (const t of tiers) if (score >= BigInt(t.minScore) && points >= t.minPoints && t.limit > limit) limit = t.limit;
  return limit;
}
