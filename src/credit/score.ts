/**
 * The credit score formulas: the TypeScript reference of contracts/libraries/CreditScoring.sol
 * (version 1). Integer-only (bigint), rounding down, so anyone recomputes an on-chain score
 * exactly from the ledger's statistics and the block time.
 */

export const SCORE_VERSION = 1;
export const MAX_SCORE = 1_000n;

const BPS = 10_000n;
const DAY = 86_400n;
export const MONTH = 30n * DAY;

export const WEIGHTS = {
  volume: 400n,
  consumerVolumeHalf: 10_000n,
  merchantVolumeHalf: 1_000n,
  breadth: 200n,
  breadthFull: 10n,
  reach: 300n,
  reachFull: 50n,
  tenure: 200n,
  tenureFullMonths: 12n,
  recency: 100n,
  recencyFull: 30n * DAY,
  recencyZero: 180n * DAY,
  use: 100n,
  useFull: 1_000n,
  reversalPenalty: 2n,
} as const;

/** IPointsLedger.AccountStats. */
export interface AccountStats {
  earned: bigint;
  reversed: bigint;
  redeemed: bigint;
  merchantCount: bigint;
  firstActivity: bigint;
  lastActivity: bigint;
}

/** IPointsLedger.MerchantStats (the fields the score reads). */
export interface MerchantStats {
  pointsGranted: bigint;
  pointsReversed: bigint;
  creditPoints: bigint;
  creditPointsReversed: bigint;
  consumersServed: bigint;
  firstActivity: bigint;
  lastActivity: bigint;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const saturating = (weight: bigint, x: bigint, half: bigint) => (weight * x) / (x + half);
const capped = (weight: bigint, x: bigint, full: bigint) => (weight * min(x, full)) / full;

function tenure(first: bigint, last: bigint): bigint {
  if (first === 0n || last <= first) return 0n;
  return capped(WEIGHTS.tenure, (last - first) / MONTH, WEIGHTS.tenureFullMonths);
}

function recency(last: bigint, now: bigint): bigint {
  if (last === 0n) return 0n;
  const age = now > last ? now - last : 0n;
  if (age <= WEIGHTS.recencyFull) return WEIGHTS.recency;
  if (age >= WEIGHTS.recencyZero) return 0n;
  return (WEIGHTS.recency * (WEIGHTS.recencyZero - age)) / (WEIGHTS.recencyZero - WEIGHTS.recencyFull);
}

function penalised(raw: bigint, reversed: bigint, total: bigint): bigint {
  const penalty = (WEIGHTS.reversalPenalty * reversed * BPS) / total;
  return penalty >= BPS ? 0n : (raw * (BPS - penalty)) / BPS;
}

/**
 * A score's parts as the formula adds them (of the 1000 points), the most each part can give,
 * the reversal penalty that scales their sum down (basis points) and the score itself.
 */
export interface ScoreParts {
  parts: Record<string, bigint>;
  max: Record<string, bigint>;
  reversalPenaltyBps: bigint;
  score: bigint;
}

export const CONSUMER_PART_MAX = { volume: WEIGHTS.volume, breadth: WEIGHTS.breadth, tenure: WEIGHTS.tenure, recency: WEIGHTS.recency, use: WEIGHTS.use };
export const MERCHANT_PART_MAX = { volume: WEIGHTS.volume, reach: WEIGHTS.reach, tenure: WEIGHTS.tenure, recency: WEIGHTS.recency };

function scored(parts: Record<string, bigint>, max: Record<string, bigint>, reversed: bigint, total: bigint): ScoreParts {
  if (total === 0n || reversed >= total) return { parts, max, reversalPenaltyBps: total === 0n ? 0n : BPS, score: 0n };
  const raw = Object.values(parts).reduce((a, b) => a + b, 0n);
  const penalty = min(BPS, (WEIGHTS.reversalPenalty * reversed * BPS) / total);
  return { parts, max, reversalPenaltyBps: penalty, score: penalised(raw, reversed, total) };
}

/** A consumer card's score parts at `now` (unix seconds): volume, breadth, tenure, recency, use. */
export function consumerScoreParts(s: AccountStats, now: bigint): ScoreParts {
  const none = s.earned === 0n || s.reversed >= s.earned;
  const parts = {
    volume: none ? 0n : saturating(WEIGHTS.volume, s.earned - s.reversed, WEIGHTS.consumerVolumeHalf),
    breadth: none ? 0n : capped(WEIGHTS.breadth, s.merchantCount, WEIGHTS.breadthFull),
    tenure: none ? 0n : tenure(s.firstActivity, s.lastActivity),
    recency: none ? 0n : recency(s.lastActivity, now),
    use: none ? 0n : capped(WEIGHTS.use, s.redeemed, WEIGHTS.useFull),
  };
  return scored(parts, CONSUMER_PART_MAX, s.reversed, s.earned);
}

/** A consumer card's score (0..1000) at `now` (unix seconds). */
export function consumerScore(s: AccountStats, now: bigint): bigint {
  return consumerScoreParts(s, now).score;
}

/** A merchant card's score parts at `now` (unix seconds): volume, reach, tenure, recency. */
export function merchantScoreParts(s: MerchantStats, now: bigint): ScoreParts {
  const none = s.pointsGranted === 0n || s.pointsReversed >= s.pointsGranted;
  const net = s.creditPointsReversed >= s.creditPoints ? 0n : s.creditPoints - s.creditPointsReversed;
  const parts = {
    volume: none ? 0n : saturating(WEIGHTS.volume, net, WEIGHTS.merchantVolumeHalf),
    reach: none ? 0n : capped(WEIGHTS.reach, s.consumersServed, WEIGHTS.reachFull),
    tenure: none ? 0n : tenure(s.firstActivity, s.lastActivity),
    recency: none ? 0n : recency(s.lastActivity, now),
  };
  return scored(parts, MERCHANT_PART_MAX, s.pointsReversed, s.pointsGranted);
}

/** A merchant card's score (0..1000) at `now` (unix seconds). */
export function merchantScore(s: MerchantStats, now: bigint): bigint {
  return merchantScoreParts(s, now).score;
}

/** The points the policy's tiers look at: a consumer's net points earned. */
export function consumerPoints(s: Pick<AccountStats, "earned" | "reversed">): bigint {
  return s.reversed >= s.earned ? 0n : s.earned - s.reversed;
}

/** The points the policy's tiers look at: a merchant's net credit points. */
export function merchantPoints(s: Pick<MerchantStats, "creditPoints" | "creditPointsReversed">): bigint {
  return s.creditPointsReversed >= s.creditPoints ? 0n : s.creditPoints - s.creditPointsReversed;
}
