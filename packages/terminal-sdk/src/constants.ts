/**
 * The ledger's constants and enums, as a terminal needs them (PointsLedger and CardRegistry hold
 * the same values on chain).
 */

/** Largest amount (minor units) and largest points a settlement, refund or redemption may carry (PointsLedger.MAX_AMOUNT). */
export const MAX_AMOUNT = 10n ** 15n;

/** Settlement categories run 0 … CATEGORY_COUNT - 1; an agreement gives each a multiplier. */
export const CATEGORY_COUNT = 16;

/** The most lines a slip may have. */
export const MAX_LINES = 200;

/** How long after its `time` a signed settlement, refund or redemption may be recorded, in seconds (3 days). */
export const SIGNATURE_TTL = 3n * 24n * 3600n;

/** How far in the future a signed `time` may be, in seconds (clock skew). */
export const MAX_CLOCK_SKEW = 5n * 60n;

/** Card statuses, in the registry's enum order. */
export const CARD_STATUSES = ["none", "active", "frozen", "closed"] as const;
export type CardStatusName = (typeof CARD_STATUSES)[number];
export const CardStatus = { None: 0, Active: 1, Frozen: 2, Closed: 3 } as const;

/** Card kinds, in the registry's enum order: only consumer cards earn and redeem points. */
export const CARD_KINDS = ["consumer", "merchant"] as const;
export const CardKind = { Consumer: 0, Merchant: 1 } as const;

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

/** The code of a RejectionReason enum value. */
export function rejectionCode(reason: bigint | number): RejectionCode | "unknown" {
  return REJECTION_CODES[Number(reason)] ?? "unknown";
}
