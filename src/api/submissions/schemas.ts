/** Request and response schemas of terminal submissions and slips. */
import { z } from "zod";
import { address, bytes3, compactSignature, hex32, signaturePair, uint } from "../schemas";
import { slipSchema } from "../../domain/slips";

export const settlementMessageSchema = z.object({
  cardId: hex32,
  terminal: address,
  nonce: uint(64),
  orderId: hex32,
  slipHash: hex32,
  amount: uint(64),
  currency: bytes3,
  category: z.number().int().min(0).max(255),
  time: uint(40),
});

export const settlementBody = z
  .object({ settlement: settlementMessageSchema, signatures: signaturePair, slip: slipSchema.optional() })
  .openapi("SettlementSubmission");

export const refundBody = z
  .object({
    refund: z
      .object({
        cardId: hex32,
        terminal: address,
        nonce: uint(64),
        orderId: hex32,
        settlementTerminal: address.openapi({ description: "The terminal the refunded settlement was signed by" }),
        settlementNonce: uint(64).openapi({ description: "The nonce the refunded settlement was signed under" }),
        amount: uint(64),
        time: uint(40),
      })
      .openapi({ description: "EIP-712 Refund: the refunded settlement is named by its card, order, terminal and nonce" }),
    signature: compactSignature,
  })
  .openapi("RefundSubmission");

export const redemptionBody = z
  .object({
    redemption: z.object({ cardId: hex32, terminal: address, nonce: uint(64), orderId: hex32, points: uint(64), time: uint(40) }),
    signatures: signaturePair,
  })
  .openapi("RedemptionSubmission");

export const submissionView = z
  .object({
    id: z.string(),
    kind: z.enum(["settlement", "refund", "redemption"]),
    status: z.enum(["queued", "submitted", "confirmed", "rejected"]),
    reason: z.string().nullable(),
    terminal: z.string(),
    nonce: z.string(),
    orderId: z.string().nullable(),
    cardId: z.string().nullable(),
    txHash: z.string().nullable(),
    blockNumber: z.number().nullable(),
    batchId: z.string().nullable(),
    points: z.string().nullable().openapi({ description: "Once confirmed: the points a settlement earned, a refund reversed or a redemption spent" }),
    creditPoints: z.string().nullable().openapi({ description: "Once confirmed: the credit points a settlement earned or a refund reversed (null for a redemption)" }),
    statusUrl: z.string(),
  })
  .openapi("Submission");

export const acceptedView = z
  .object({
    id: z.string(),
    status: submissionView.shape.status,
    duplicate: z.boolean(),
    statusUrl: z.string(),
    outcome: submissionView.optional().openapi({ description: "The final status, when `Prefer: wait` was asked and it came in time" }),
  })
  .openapi("Accepted");

export const statusQuery = z.object({
  waitMs: z.coerce.number().int().min(0).max(30_000).optional().openapi({ description: "Wait up to this long for a final status" }),
});

export const slipBody = z
  .object({
    slip: slipSchema.meta({ id: "Slip" }),
    signature: compactSignature.openapi({ description: "The slip's terminal, signing the EIP-712 OrderSlip(bytes32 slipHash) of the canonical slip in the ledger's domain" }),
  })
  .openapi("SignedSlip");

export const slipView = z
  .object({
    id: z.string(),
    slipHash: z.string(),
    orderId: z.string(),
    merchantId: z.number(),
    settlement: z.object({
      cardId: z.string(),
      terminal: z.string(),
      orderId: z.string(),
      slipHash: z.string(),
      amount: z.string(),
      currency: z.string(),
      category: z.number(),
      time: z.string(),
    }),
    slip: slipSchema,
  })
  .openapi("StoredSlip");
