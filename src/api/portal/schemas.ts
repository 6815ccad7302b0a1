/** Wire schemas of the consumers' and merchants' portal (ADR 0006). */
import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "../../auth/passwords";
import type { PortalSubject } from "../../store/portal-records";
import { CARD_KINDS, CARD_STATUSES } from "../../../packages/terminal-sdk/src/constants";

/** "c-12" (a card's points account 12) or "m-3" (merchant 3): what a holder signs in with. */
export const accountNameSchema = z
  .string()
  .max(24)
  .regex(/^[cmCM]-[1-9]\d{0,19}$/, 'must be an account name such as "c-12" or "m-3"')
  .openapi({ example: "c-12" });

export function accountName(a: PortalSubject): string {
  return `${a.kind === "consumer" ? "c" : "m"}-${a.subject}`;
}

export function parseAccountName(name: string): PortalSubject {
  return { kind: name[0].toLowerCase() === "c" ? "consumer" : "merchant", subject: name.slice(2) };
}

const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);
/** Eight groups of four hex digits, as the bank reads it out (case and dashes forgiven). */
const code = z.string().min(1).max(64);

export const activationBody = z.object({ account: accountNameSchema, code, password }).openapi("PortalActivation");
export const signInBody = z.object({ account: accountNameSchema, password }).openapi("PortalSignIn");

export const activationCodeSchema = z
  .object({
    account: z.string().openapi({ description: "The account name the holder signs in with" }),
    code: z.string().openapi({ description: "Shown once; only its hash is stored" }),
    expiresAt: z.string().openapi({ description: "ISO 8601" }),
  })
  .openapi("ActivationCode");

export const portalAccountSchema = z
  .object({
    account: z.string(),
    kind: z.enum(CARD_KINDS),
    /** The consumer's points account or the merchant's ID: the page's path names it. */
    subject: z.string(),
  })
  .openapi("PortalAccount");

export const accountParams = z.object({ account: z.string().regex(/^[1-9]\d{0,19}$/, "must be an account number") });
export const merchantParams = z.object({ merchantId: z.string().regex(/^[1-9]\d{0,9}$/, "must be a merchant ID") });
export const historyQuery = z.object({ before: z.coerce.number().int().min(1).optional() });
export const movementFilters = ["earned", "reversed", "redeemed"] as const;
export const consumerHistoryQuery = historyQuery.extend({
  movement: z.enum(movementFilters).optional().openapi({ description: "Only this kind of movement (reversed: refunds and corrections)" }),
});

const amount = z.string().openapi({ description: "decimal integer" });
const cardSchema = z.object({ masked: z.string().openapi({ description: "The card number's last four digits only" }), status: z.enum(CARD_STATUSES) });

export const creditSchema = z
  .object({
    score: z.number().int(),
    maxScore: z.number().int(),
    parts: z.record(z.string(), z.number().int()).openapi({ description: "What each part of the score formula adds (before the reversal penalty)" }),
    partsMax: z.record(z.string(), z.number().int()).openapi({ description: "The most each part can add" }),
    reversalPenaltyBps: z.number().int(),
    points: amount.openapi({ description: "The points the policy's tiers look at (net points earned; a merchant's net credit points)" }),
    eligibleLimit: amount,
    nextTier: z
      .object({ limit: amount, minScore: z.number().int(), minPoints: amount })
      .nullable()
      .openapi({ description: "The policy's next tier above the limit qualified for now, and what it needs" }),
    grant: z.object({ limit: amount, expiresAt: z.number().int(), frozen: z.boolean() }).nullable(),
    availableLimit: amount,
  })
  .openapi("PortalCredit");

export const consumerViewSchema = z
  .object({
    account: z.string(),
    card: cardSchema,
    points: z.object({ balance: amount, earned: amount, reversed: amount, redeemed: amount }),
    merchantCount: z.number().int(),
    firstActivity: z.number().int().nullable(),
    lastActivity: z.number().int().nullable(),
    credit: creditSchema.nullable(),
  })
  .openapi("PortalConsumer");

export const historySchema = z
  .object({
    entries: z.array(
      z.object({
        movement: z.enum(["earned", "reversed_refund", "reversed_correction", "redeemed"]),
        block: z.number().int(),
        time: z.number().int(),
        merchantId: z.number().int(),
        merchantName: z.string().nullable(),
        orderId: z.string(),
        points: amount,
        amount: amount.optional(),
      }),
    ),
    nextBefore: z.number().int().nullable().openapi({ description: "The cursor of the next (older) page, as `before` (a position in the chain's order); null on the last page" }),
    indexedBlock: z.number().int().openapi({ description: "The last block the read index holds every event of: later movements are not shown yet" }),
  })
  .openapi("PortalHistory");

const agreementSchema = z.object({
  baseRateBps: z.number().int(),
  maxPointsPerSettlement: amount,
  minAmount: amount,
  validFrom: z.number().int(),
  validUntil: z.number().int(),
  currency: z.string(),
  categoryMultipliers: z.array(z.number().int()),
});

export const merchantViewSchema = z
  .object({
    account: z.string(),
    merchantId: z.number().int(),
    name: z.string().nullable(),
    active: z.boolean(),
    card: cardSchema,
    agreementVersion: z.number().int(),
    agreement: agreementSchema.nullable(),
    agreementHistory: z.array(agreementSchema.extend({ version: z.number().int() })).openapi({ description: "The agreement's versions, newest first (at most 20)" }),
    terminals: z.array(z.object({ terminal: z.string(), enabled: z.boolean() })),
    stats: z.object({
      pointsGranted: amount,
      pointsReversed: amount,
      creditPoints: amount,
      creditPointsReversed: amount,
      pointsRedeemed: amount,
      consumersServed: z.number().int(),
    }),
    credit: creditSchema.nullable(),
  })
  .openapi("PortalMerchant");

export const daysSchema = z
  .object({
    days: z.array(
      z.object({
        day: z.string().openapi({ description: "YYYY-MM-DD (UTC)" }),
        terminal: z.string(),
        settlements: z.number().int(),
        amount: amount,
        points: amount,
        creditPoints: amount,
        refunds: z.number().int(),
        refundAmount: amount,
        pointsReversed: amount,
        redemptions: z.number().int(),
        pointsRedeemed: amount,
      }),
    ),
    nextBefore: z.number().int().nullable().openapi({ description: "The cursor of the next (older) page, as `before` (a day number, days since 1970-01-01); null on the last page" }),
    indexedBlock: z.number().int().openapi({ description: "The last block the read index holds every event of: later movements are not counted yet" }),
  })
  .openapi("PortalMerchantDays");

export const lostCardReportSchema = z
  .object({
    card: z.object({ masked: z.string(), status: z.literal("frozen") }),
    reported: z.boolean().openapi({ description: "False when the card was already frozen: nothing was sent" }),
    txHash: z.string().nullable().openapi({ description: "The mined transaction that froze the card, when this request sent one" }),
  })
  .openapi("PortalLostCardReport");
