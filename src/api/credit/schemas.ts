/** Request and response schemas of the credit-center API. Limits are minor currency units, as decimal strings. */
import { z } from "zod";
import { hex32, uint } from "../schemas";
import { CARD_KINDS, CARD_STATUSES } from "../../../packages/terminal-sdk/src/constants";

export const creditCardParams = z.object({ cardId: hex32 });
export const policyKindParams = z.object({ kind: z.enum(CARD_KINDS) });

/** A page of the export: accounts `from`, `from + 1`, ... (at most `limit`). */
export const scoresQuery = z.object({
  from: z.coerce.number().int().min(1).max(2 ** 53 - 1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export const creditProposalBody = z
  .discriminatedUnion("action", [
    z.object({
      action: z.literal("grant"),
      limit: uint(128).openapi({ description: "credit limit in minor units; at most the card's eligible limit" }),
      expiresAt: z.number().int().min(1).max(2 ** 40).openapi({ description: "unix seconds; at most 3 years ahead" }),
    }),
    z.object({ action: z.literal("decrease"), limit: uint(128) }),
    z.object({ action: z.literal("revoke") }),
    z.object({ action: z.literal("unfreeze") }),
  ])
  .openapi("CreditProposal", { description: "A dual-controlled change of a card's credit grant; the other role approves it" });

export type CreditProposal = z.infer<typeof creditProposalBody>;

export const policyBody = z
  .object({
    tiers: z
      .array(
        z.object({
          minScore: z.number().int().min(0).max(1_000),
          minPoints: uint(64),
          limit: uint(128),
        }),
      )
      .max(8),
  })
  .openapi("CreditPolicy");

const grantSchema = z.object({ limit: z.string(), expiresAt: z.number(), policyVersion: z.number(), frozen: z.boolean() });

export const creditLineSchema = z
  .object({
    cardId: z.string(),
    account: z.string(),
    kind: z.enum(CARD_KINDS),
    status: z.enum(CARD_STATUSES),
    merchantId: z.number().nullable(),
    score: z.number(),
    scoreVersion: z.number(),
    points: z.string(),
    eligibleLimit: z.string(),
    grant: grantSchema.nullable(),
    availableLimit: z.string(),
  })
  .openapi("CreditLine");

export const scoresPageSchema = z
  .object({ scoreVersion: z.number(), total: z.string(), next: z.number().nullable(), records: z.array(creditLineSchema) })
  .openapi("CreditScoresPage");


const tierView = z.object({ minScore: z.number().int(), minPoints: z.string(), limit: z.string() });

export const creditPolicySchema = z
  .object({
    version: z.number().int(),
    scoreVersion: z.number().int(),
    consumer: z.array(tierView).openapi({ description: "Consumer cards' tiers" }),
    merchant: z.array(tierView).openapi({ description: "Merchant cards' tiers" }),
  })
  .openapi("CreditPolicyView");
