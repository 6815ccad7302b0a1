/**
 * Shared request and response schemas. Amounts, nonces and times travel as decimal strings and
 * are parsed into bigint at the edge: no uint64 ever passes through a JavaScript Number.
 */
import { z } from "zod";
import { EIP55_MESSAGE, isAddress } from "../domain/address";
import "./openapi";

export const hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x-prefixed 32-byte hex")
  .transform((s) => s.toLowerCase())
  .openapi({ example: "0x" + "ab".repeat(32) });

export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address")
  .refine(isAddress, EIP55_MESSAGE)
  .openapi({ example: "0x" + "12".repeat(20) });

/** An unsigned integer below 2^bits, as a decimal string (or a safe JSON integer). */
export function uint(bits: number) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .union([z.string().regex(/^\d{1,78}$/, "expected a decimal integer string"), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((v, ctx) => {
      const n = BigInt(v);
      if (n > max) {
        ctx.addIssue({ code: "custom", message: `must be below 2^${bits}` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ type: "string", example: "12345" });
}

export const bytes3 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{6}$/, "expected bytes3 hex, e.g. 0x434e59 for CNY")
  .transform((s) => s.toLowerCase());

/** A compact (EIP-2098) signature; lower-cased, so a retry spelled in upper case is the same request. */
export const compactSignature = z.object({ r: hex32, vs: hex32 });

export const signaturePair = z.object({ terminal: compactSignature, card: compactSignature });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.unknown()).optional(),
  })
  .openapi("Problem");

/** A contract call in words (src/api/call-summary.ts): its function and its arguments by name, as strings. */
export const callSummarySchema = z
  .object({ function: z.string(), args: z.record(z.string(), z.string()) })
  .openapi("CallSummary", { description: "A contract call in words: its function and its arguments by name, as strings" });

/** A decimal integer as a string (uint256 never travels as a lossy JSON number). */
export const decimalString = z.string().regex(/^-?\d+$/).openapi({ description: "Decimal integer", example: "12345" });

/**
 * A draft's or a challenge's ID as the gateway hands it out (base64url). Anything else is refused
 * at the edge (400), so no stray text, U+0000 among it, reaches the store's lookups.
 */
export const issuedId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected an ID as the gateway issued it");

export const idParam = z.object({ id: z.string().min(1).max(80) });
