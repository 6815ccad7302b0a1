/**
 * The points formulas: the TypeScript reference of contracts/libraries/PointsMath.sol.
 * Integer-only (bigint), rounding down, so an auditor recomputes every on-chain figure exactly.
 */

import { CATEGORY_COUNT } from "../../packages/terminal-sdk/src/constants";

/** Settlement categories run 0 … CATEGORY_COUNT - 1 (the terminal SDK's one copy). */
export { CATEGORY_COUNT };
export const RATE_SCALE = 10_000n;
export const MULTIPLIER_SCALE = 100n;
/** MerchantRegistry.MAX_BASE_RATE_BPS: the highest base rate, and the highest rate of any category. */
export const MAX_BASE_RATE_BPS = 100_000n;
/** MerchantRegistry.MAX_CATEGORY_MULTIPLIER: the highest category multiplier, in percent (10x). */
export const MAX_CATEGORY_MULTIPLIER = 1_000;

/** A merchant's points agreement, as the registry stores it. */
export interface Agreement {
  baseRateBps: bigint;
  maxPointsPerSettlement: bigint;
  minAmount: bigint;
  validFrom: bigint;
  validUntil: bigint;
  /** ISO 4217 code as bytes3 hex, e.g. 0x434e59 for CNY. */
  currency: string;
  /** 16 uint16 percentages packed, category c at bits 16c..16c+15. */
  categoryMultipliers: bigint;
}

/** Pack 16 category multipliers (percent, 100 = 1x) into one uint256. */
export function packMultipliers(multipliers: readonly number[]): bigint {
  if (multipliers.length > CATEGORY_COUNT) throw new RangeError(`at most ${CATEGORY_COUNT} categories`);
  return multipliers.reduce((word, m, c) => {
    if (!Number.isInteger(m) || m < 0 || m > 0xffff) throw new RangeError(`multiplier ${c} out of range`);
    return word | (BigInt(m) << BigInt(16 * c));
  }, 0n);
}

export function multiplierOf(packed: bigint, category: number): bigint {
  return (packed >> BigInt(16 * category)) & 0xffffn;
}

/**
 * MerchantRegistry's bound on an agreement's categories: every multiplier at most
 * MAX_CATEGORY_MULTIPLIER and every category's rate (baseRateBps * multiplier / 100) at most
 * MAX_BASE_RATE_BPS.
 */
export function categoryRatesBounded(baseRateBps: bigint, packedMultipliers: bigint): boolean {
  for (let c = 0; c < CATEGORY_COUNT; c++) {
    const m = multiplierOf(packedMultipliers, c);
    if (m > BigInt(MAX_CATEGORY_MULTIPLIER) || baseRateBps * m > MAX_BASE_RATE_BPS * MULTIPLIER_SCALE) return false;
  }
  return true;
}

/** points = min(amount * baseRateBps * multiplier / (10_000 * 100), cap), rounded down. */
export function settlementPoints(amount: bigint, agreement: Agreement, category: number): bigint {
  const raw =
    (amount * agreement.baseRateBps * multiplierOf(agreement.categoryMultipliers, category)) /
    (RATE_SCALE * MULTIPLIER_SCALE);
  return raw > agreement.maxPointsPerSettlement ? agreement.maxPointsPerSettlement : raw;
}

/** Credit points a merchant earns for granting points: points * rateBps / 10_000. */
export function creditPoints(points: bigint, creditRateBps: bigint): bigint {
  return (points * creditRateBps) / RATE_SCALE;
}

/** Share of `total` reversed when an order's refunded amount grows from `before` to `after`. */
export function reversedShare(total: bigint, amount: bigint, before: bigint, after: bigint): bigint {
  return (total * after) / amount - (total * before) / amount;
}

/** ISO 4217 currency code to the bytes3 hex the contracts use. */
export function currencyCode(iso: string): string {
  if (!/^[A-Z]{3}$/.test(iso)) throw new RangeError(`not an ISO 4217 code: ${iso}`);
  return "0x" + Buffer.from(iso, "ascii").toString("hex");
}
