/**
 * Stable reason codes for IPointsLedger.RejectionReason, in enum order. The gateway's intake
 * uses the same codes for what it refuses before the chain sees it, so a terminal switches on
 * one vocabulary whichever side refused.
 */
export const REJECTION_CODES = [
  "none",
  "terminal.unknown",
  "terminal.disabled",
  "merchant.inactive",
  "settlement.nonce_used",
  "settlement.expired",
  "settlement.time_in_future",
  "settlement.amount_out_of_bounds",
  "settlement.amount_below_minimum",
  "settlement.currency_mismatch",
  "settlement.category_unknown",
  "agreement.not_in_force",
  "signature.terminal_invalid",
  "card.unknown",
  "card.not_active",
  "card.not_consumer",
  "signature.card_invalid",
  "account.limit_reached",
  "settlement.encoding_invalid",
  "merchant.card_not_active",
] as const;

export type RejectionCode = (typeof REJECTION_CODES)[number];

export function rejectionCode(reason: bigint | number): RejectionCode | "unknown" {
  return REJECTION_CODES[Number(reason)] ?? "unknown";
}

/** PointsLedger's time limits, in seconds. */
export const SIGNATURE_TTL = 3n * 24n * 3600n;
export const MAX_CLOCK_SKEW = 5n * 60n;
