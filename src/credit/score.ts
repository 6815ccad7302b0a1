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

/** A consumer card's score (0..1000) at `now` (unix seconds). */
export function consumerScore(s: AccountStats, now: bigint): bigint {
  if (s.earned === 0n || s.reversed >= s.earned) return 0n;
  const net = s.earned - s.reversed;
  const raw =
    saturating(WEIGHTS.volume, net, WEIGHTS.consumerVolumeHalf) +
    capped(WEIGHTS.breadth, s.merchantCount, WEIGHTS.breadthFull) +
    tenure(s.firstActivity, s.lastActivity) +
    recency(s.lastActivity, now) +
    capped(WEIGHTS.use, s.redeemed, WEIGHTS.useFull);
  return penalised(raw, s.reversed, s.earned);
}

/** A merchant card's score (0..1000) at `now` (unix seconds). */
export function merchantScore(s: MerchantStats, now: bigint): bigint {
  if (s.pointsGranted === 0n || s.pointsReversed >= s.pointsGranted) return 0n;
  const net = s.creditPointsReversed >= s.creditPoints ? 0n : s.creditPoints - s.creditPointsReversed;
  const raw =
    saturating(WEIGHTS.volume, net, WEIGHTS.merchantVolumeHalf) +
    capped(WEIGHTS.reach, s.consumersServed, WEIGHTS.reachFull) +
    tenure(s.firstActivity, s.lastActivity) +
    recency(s.lastActivity, now);
  return penalised(raw, s.pointsReversed, s.pointsGranted);
}

/** The points the policy's tiers look at: a consumer's net points earned. */
export function consumerPoints(s: Pick<AccountStats, "earned" | "reversed">): bigint {
  return s.reversed >= s.earned ? 0n : s.earned - s.reversed;
}

/** The points the policy's tiers look at: a merchant's net credit points. */
export function merchantPoints(s: Pick<MerchantStats, "creditPoints" | "creditPointsReversed">): bigint {
  return s.creditPointsReversed >= s.creditPoints ? 0n : s.creditPoints - s.creditPointsReversed;
}
