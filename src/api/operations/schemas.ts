/** Request schemas of bank and credit-center operations. */
import { z } from "zod";
import { CORRECTION_REASON_CODES } from "../../domain/correction-reasons";
import { address, bytes3, callSummarySchema, hex32, uint } from "../schemas";
import { CATEGORY_COUNT, MAX_BASE_RATE_BPS, MAX_CATEGORY_MULTIPLIER } from "../../domain/points";
import { CARD_KINDS } from "../../../packages/terminal-sdk/src/constants";

export const issueCardBody = z
  .object({
    kind: z.enum(CARD_KINDS),
    key: address.openapi({ description: "The card key (chip or app) whose signature confirms the holder" }),
    holder: z.object({
      name: z.string().min(1).max(200),
      nationalId: z.string().min(1).max(64),
      photo: z.string().max(400_000).optional().openapi({ description: "base64 image" }),
    }),
  })
  .openapi("IssueCard");

export const replaceCardBody = z.object({ newKey: address }).openapi("ReplaceCard");

export const voidPointsBody = z
  .object({
    merchantId: z.number().int().min(1).max(2 ** 32 - 1),
    points: uint(64),
    creditPoints: uint(64),
    reasonCode: z
      .number()
      .int()
      .refine((c) => CORRECTION_REASON_CODES.includes(c), { message: `must be a correction reason code (${CORRECTION_REASON_CODES.join(", ")}; GET /v1/info lists them)` })
      .openapi({ enum: [...CORRECTION_REASON_CODES], description: "A correction reason code: GET /v1/info `correctionReasons` names them" }),
    orderId: hex32,
  })
  .openapi("VoidPoints");

export const proposalTargets = ["registry", "ledger", "credit"] as const;

export const proposalParams = z.object({
  target: z.enum(proposalTargets),
  id: z.string().regex(/^\d{1,18}$/),
});

export const targetParams = z.object({ target: z.enum(proposalTargets) });

export const cardParams = z.object({ cardId: hex32 });
export const merchantParams = z.object({ merchantId: z.coerce.number().int().min(1).max(2 ** 32 - 1) });
export const terminalParams = z.object({ terminal: address });

export const registerMerchantBody = z.object({ cardId: hex32 }).openapi("RegisterMerchant");
export const registerTerminalBody = z
  .object({ terminal: address, merchantId: z.number().int().min(1).max(2 ** 32 - 1) })
  .openapi("RegisterTerminal");
export const enabledBody = z.object({ enabled: z.boolean() });
export const activeBody = z.object({ active: z.boolean() });
export const pausedBody = z.object({ paused: z.boolean() });
export const cardStatusBody = z.object({ action: z.enum(["freeze", "unfreeze", "close"]) });

export const agreementBody = z
  .object({
    baseRateBps: z.number().int().min(0).max(Number(MAX_BASE_RATE_BPS)).openapi({ description: "points per 10,000 minor units" }),
    maxPointsPerSettlement: z.number().int().min(1).max(2 ** 32 - 1),
    minAmount: uint(64),
    validFrom: z.number().int().min(0).max(2 ** 40 - 1),
    validUntil: z.number().int().min(1).max(2 ** 40 - 1),
    currency: z.union([z.string().regex(/^[A-Z]{3}$/), bytes3]).openapi({ description: "ISO 4217 code, e.g. CNY" }),
    categoryMultipliers: z
      .array(z.number().int().min(0).max(MAX_CATEGORY_MULTIPLIER))
      .length(CATEGORY_COUNT)
      .openapi({ description: "percent, 100 = 1x, at most 1,000 (10x); no category's rate (baseRateBps x multiplier / 100) above 100,000 bps" }),
  })
  .openapi("Agreement");

export const creditRuleBody = z.object({ rateBps: z.number().int().min(0).max(10_000) }).openapi("CreditPointRule");
export const historyQuery = z.object({ before: z.coerce.number().int().min(1).optional() });

/** A proposal as GET /v1/proposals/:target(/:id) shows it (src/api/operations/service.ts). */
export const proposalSchema = z
  .object({
    target: z.enum(proposalTargets),
    id: z.string(),
    state: z
      .enum(["none", "pending", "executed", "cancelled", "expired"])
      .openapi({ description: "A rejected or withdrawn proposal reads cancelled; a pending one past its deadline, expired" }),
    proposer: z.string().openapi({ description: "The proposer's credential ID (as proposerCredential)" }),
    proposerRole: z.string().openapi({ description: "The proposer institution's role (bytes32)" }),
    proposerCredential: z.string(),
    proposerInstitution: z.enum(["bank", "credit_center"]).nullable(),
    proposedAt: z.string().nullable().openapi({ description: "ISO 8601" }),
    deadline: z.string().openapi({ description: "ISO 8601" }),
    action: z.string().openapi({ description: "The proposed call's calldata, 0x-hex" }),
    call: z
      .object({ function: z.string(), args: z.record(z.string(), z.unknown()) })
      .nullable()
      .openapi({ description: "The call decoded: numbers as decimal strings, structs as objects; null when it decodes as no function" }),
    summary: callSummarySchema,
  })
  .openapi("Proposal");

export const proposalListSchema = z.object({ proposals: z.array(proposalSchema).openapi({ description: "Newest first, at most 50" }) }).openapi("Proposals");
