/**
 * Request and response schemas of the operator reads: ledger info, a card, a merchant (read from
 * the chain), and those that come from the read index (ADR 0008): card histories and the lists of
 * cards, merchants and terminals. A list is paged by a cursor (`after`, the last item's key of the
 * page before: the answer's `nextAfter`) and a bounded `limit`; every answer from the index says
 * how far it has got (`indexedBlock`). Amounts are decimal strings.
 */
import { z } from "zod";
import { address, decimalString, hex32 } from "../schemas";
import { CARD_KINDS, CARD_STATUSES } from "../../../packages/terminal-sdk/src/constants";

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
    kind: z.enum(CARD_KINDS),
    status: z.enum(CARD_STATUSES),
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

/** The most items one list page holds, and the default. */
export const LIST_LIMIT_MAX = 200;
export const LIST_LIMIT_DEFAULT = 50;

const limit = z.coerce.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT).openapi({ description: `Items per page (1-${LIST_LIMIT_MAX}, default ${LIST_LIMIT_DEFAULT})` });
const flag = z.enum(["true", "false"]).transform((v) => v === "true");
const indexedBlock = z.number().int().openapi({ description: "The last block the read index holds every event of: later changes are not listed yet" });
const amount = z.string().openapi({ description: "decimal integer" });

export const cardListQuery = z.object({
  status: z.enum(["active", "frozen", "closed"]).optional(),
  kind: z.enum(CARD_KINDS).optional(),
  merchant: z.coerce.number().int().min(1).max(2 ** 32 - 1).optional().openapi({ description: "Only the cards that earned points at this merchant" }),
  after: hex32.optional().openapi({ description: "The cursor: the previous page's nextAfter" }),
  limit,
});

export const cardListSchema = z
  .object({
    cards: z.array(
      z.object({
        cardId: z.string(),
        kind: z.enum(CARD_KINDS),
        status: z.enum(["active", "frozen", "closed"]),
        account: z.string().openapi({ description: "The points account (kept by a replacement card)" }),
        replacedBy: z.string().nullable(),
        merchantId: z.number().int().nullable().openapi({ description: "The merchant a merchant card is bound to" }),
      }),
    ),
    nextAfter: z.string().nullable(),
    indexedBlock,
  })
  .openapi("CardList");

export const merchantListQuery = z.object({
  active: flag.optional().openapi({ description: "Only active (true) or suspended (false) merchants" }),
  after: z.coerce.number().int().min(0).max(2 ** 32 - 1).optional().openapi({ description: "The cursor: the previous page's nextAfter" }),
  limit,
});

export const merchantListSchema = z
  .object({
    merchants: z.array(z.object({ merchantId: z.number().int(), cardId: z.string(), active: z.boolean(), terminals: z.number().int() })),
    nextAfter: z.number().int().nullable(),
    indexedBlock,
  })
  .openapi("MerchantList");

export const terminalListQuery = z.object({
  enabled: flag.optional().openapi({ description: "Only enabled (true) or disabled (false) terminals" }),
  after: address.optional().openapi({ description: "The cursor: the previous page's nextAfter" }),
  limit,
});

export const terminalListSchema = z
  .object({
    merchantId: z.number().int(),
    terminals: z.array(z.object({ terminal: address, enabled: z.boolean() })),
    nextAfter: z.string().nullable(),
    indexedBlock,
  })
  .openapi("TerminalList");

export const ledgerStateSchema = z
  .object({
    paused: z.boolean().openapi({ description: "Whether the ledger is paused (settlements wait in the outbox until it resumes)" }),
    headBlock: z.number().int(),
    indexedBlock,
    indexConfirmations: z.number().int().openapi({ description: "Blocks under the head before the index takes a block (INDEX_CONFIRMATIONS)" }),
  })
  .openapi("LedgerState");

export const historySchema = z
  .object({
    cardId: z.string(),
    indexedBlock,
    entries: z.array(
      z.object({
        movement: z.enum(["earned", "reversed_refund", "reversed_correction", "redeemed"]),
        cardId: z.string(),
        block: z.number().int(),
        logIndex: z.number().int(),
        txHash: z.string(),
        time: z.number().int().openapi({ description: "The block's timestamp (seconds)" }),
        merchantId: z.number().int(),
        orderId: z.string(),
        points: amount.openapi({ description: "Signed: negative for reversals and redemptions" }),
        amount: amount.optional().openapi({ description: "The settlement's or the refund's amount (0 for a correction)" }),
        agreementVersion: z.number().int().optional(),
        reasonCode: z.number().int().optional(),
        reason: z.string().optional().openapi({ description: "A correction's reason, by name" }),
      }),
    ),
    nextBefore: z.number().int().nullable().openapi({ description: "The cursor of the next (older) page, as `before`; null on the last page" }),
  })
  .openapi("CardHistory");
