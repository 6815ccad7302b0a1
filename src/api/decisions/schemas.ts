/** Wire schemas of relayed decisions. */
import { z } from "zod";
import { proposalTargets } from "../operations/schemas";
import { callSummarySchema, hex32, issuedId } from "../schemas";
import { authenticationResponseSchema, credentialIdSchema } from "../operator-session/schemas";

export const stepSchema = z
  .object({ kind: z.string(), subject: z.string(), actionHash: z.string(), salt: z.string(), notAfter: z.string() })
  .openapi("OperatorStep", { description: "The EIP-712 OperatorStep, numbers as decimal strings" });

const target = z.enum(proposalTargets);

export const draftBody = z
  .union([
    z.object({ kind: z.enum(["propose", "act"]), target, function: z.string().min(1).max(64), args: z.record(z.string(), z.unknown()) }),
    z.object({ kind: z.enum(["approve", "reject", "withdraw"]), target, proposalId: z.string().regex(/^[1-9]\d{0,30}$/) }),
    z.object({ kind: z.literal("confirm"), target: z.literal("credit"), cardId: hex32 }).openapi({ description: "Confirm the other institution's emergency freeze of a card's credit" }),
  ])
  .openapi("DecisionDraftRequest");


export const decisionDraftSchema = z
  .object({
    draftId: z.string(),
    target,
    kind: z.enum(["propose", "act", "approve", "reject", "withdraw", "confirm"]),
    subject: z.string(),
    action: z.string(),
    summary: callSummarySchema,
    step: stepSchema,
    digest: z.string(),
    challenge: z.string(),
    verifyingContract: z.string(),
    chainId: z.string(),
    expiresAt: z.string(),
  })
  .openapi("DecisionDraft");

export const submitBody = z.object({
  draftId: issuedId,
  credentialId: credentialIdSchema,
  assertion: authenticationResponseSchema.optional(),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be 65 bytes of 0x-hex").optional(),
});

export const decisionResultSchema = z
  .object({
    transactionHash: z.string(),
    target: target.openapi({ description: "The contract the decision went to: a proposalId is that contract's (registry/1 and ledger/1 are different proposals)" }),
    proposalId: z.string().optional(),
    executed: z.boolean(),
    erasedIdentities: z
      .array(z.string())
      .optional()
      .openapi({ description: "An approved identity erasure: the card IDs whose stored records were erased (the account's first card, whichever of its cards was named)" }),
    events: z
      .array(z.object({ name: z.string(), args: z.record(z.string(), z.string()) }))
      .openapi({ description: "The contract's events in the transaction (e.g. MerchantRegistered with its merchantId), arguments as strings" }),
  })
  .openapi("DecisionResult");
