/** Response schemas of the reads: ledger info, a card, its history, a merchant. Amounts are decimal strings. */
import { z } from "zod";
import { address, decimalString } from "../schemas";

export const infoSchema = z
  .object({
    chainId: z.string(),
    operators: address.nullable(),
    registry: address,
    ledger: address,
    deploymentBlock: z.number().int(),
    creditScores: address.nullable(),
    creditGrants: address.nullable(),
    eip712: z
      .object({
        domain: z.object({ name: z.string(), version: z.string(), chainId: z.string().openapi({ description: "Decimal" }), verifyingContract: address }),
        types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))).openapi({
          description: "The typed-data types terminals sign (Settlement, Refund, Redemption, OrderSlip), as ethers' signTypedData and eth_signTypedData_v4 take them (without EIP712Domain)",
        }),
      })
      .openapi({ description: "The EIP-712 domain (the ledger's) and types every terminal signature is made in" }),
    correctionReasons: z
      .array(z.object({ code: z.number().int(), name: z.string(), description: z.string() }))
      .openapi({ description: "The reason codes a points correction takes (`reasonCode`), with their names" }),
  })
  .openapi("Info");

const activityTime = z.number().int().nullable().openapi({ description: "Unix seconds; null before any activity" });

export const cardSchema = z
  .object({
    cardId: z.string(),
    kind: z.enum(["consumer", "merchant"]),
    status: z.enum(["none", "active", "frozen", "closed"]),
    account: decimalString.openapi({ description: "The points account the card belongs to (a replacement keeps its predecessor's)" }),
    key: address,
    replacedBy: z.string().nullable().openapi({ description: "The card that replaced this one, if any" }),
    merchantId: z.number().int().nullable().openapi({ description: "The merchant a merchant card is bound to" }),
    points: z.object({ balance: decimalString, earned: decimalString, reversed: decimalString, redeemed: decimalString }),
    merchantCount: z.number().int(),
    firstActivity: activityTime,
    lastActivity: activityTime,
  })
  .openapi("Card");

const movement = {
  cardId: z.string(),
  block: z.number().int(),
  logIndex: z.number().int(),
  txHash: z.string(),
  merchantId: z.number().int(),
  orderId: z.string(),
  points: decimalString.openapi({ description: "Signed: negative for reversals and redemptions" }),
};

export const cardHistorySchema = z
  .object({
    cardId: z.string(),
    fromBlock: z.number().int(),
    toBlock: z.number().int(),
    entries: z
      .array(
        z.union([
          z.object({ movement: z.literal("earned"), ...movement, amount: decimalString, agreementVersion: z.number().int() }),
          z.object({
            movement: z.enum(["reversed_refund", "reversed_correction"]),
            ...movement,
            amount: decimalString.openapi({ description: "The refunded amount (0 for a correction)" }),
            reasonCode: z.number().int(),
            reason: z.string().optional().openapi({ description: "A correction's reason name (GET /v1/info correctionReasons)" }),
          }),
          z.object({ movement: z.literal("redeemed"), ...movement }),
        ]),
      )
      .openapi({ description: "Newest first; a replacement card's history includes its predecessors' entries (each names its card)" }),
    nextBefore: z.number().int().nullable().openapi({ description: "`before` of the next (older) page; null after the deployment block" }),
  })
  .openapi("CardHistory");

export const agreementViewSchema = z
  .object({
    baseRateBps: z.number().int(),
    maxPointsPerSettlement: decimalString,
    minAmount: decimalString,
    validFrom: z.number().int(),
    validUntil: z.number().int(),
    currency: z.string().openapi({ description: "ISO 4217 code" }),
    categoryMultipliers: z.array(z.number().int()).openapi({ description: "percent per category, 100 = 1x" }),
  })
  .openapi("AgreementView");

export const merchantSchema = z
  .object({
    merchantId: z.number().int(),
    cardId: z.string(),
    active: z.boolean(),
    agreementVersion: z.number().int(),
    agreement: agreementViewSchema.nullable(),
    stats: z.object({
      pointsGranted: decimalString,
      pointsReversed: decimalString,
      creditPoints: decimalString,
      creditPointsReversed: decimalString,
      pointsRedeemed: decimalString,
      consumersServed: z.number().int(),
      firstActivity: activityTime,
      lastActivity: activityTime,
    }),
  })
  .openapi("Merchant");
