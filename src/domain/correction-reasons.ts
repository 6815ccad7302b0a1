/**
 * The reason codes of a points correction (IPointsLedger.voidPoints `reasonCode`, shown in the
 * PointsReversed event and a card's history). The contract stores any uint16; the gateway drafts
 * corrections with these codes only, so every correction on record names one of them.
 */
export const CORRECTION_REASONS = [
  { code: 1, name: "duplicate_settlement", description: "The same purchase was settled twice" },
  { code: 2, name: "wrong_terms", description: "Points computed from a wrong amount, category or agreement" },
  { code: 3, name: "fraud", description: "Points from a fraudulent or forged settlement" },
  { code: 4, name: "refund_outside_terminal", description: "The purchase was refunded outside the terminal" },
  { code: 5, name: "merchant_request", description: "The merchant asked for it, with evidence" },
  { code: 6, name: "dispute_upheld", description: "A holder's or merchant's dispute was upheld" },
  { code: 7, name: "other", description: "Another reason, recorded in the bank's case file" },
] as const;

export const CORRECTION_REASON_CODES: readonly number[] = CORRECTION_REASONS.map((r) => r.code);

/** A reason code's name, or null for a code outside the list. */
export function correctionReasonName(code: number): string | null {
  return CORRECTION_REASONS.find((r) => r.code === code)?.name ?? null;
}
