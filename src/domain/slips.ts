/**
 * Order slips (the patent's transaction slip) and data extraction.
 *
 * A slip is the receipt of one payment: line items, total, currency, category and time, bound to
 * the confirmed card and the terminal. Its canonical JSON (keys sorted, amounts as decimal
 * strings in minor units) hashes to the `slipHash` the settlement signs; the slip itself stays off
 * chain. `extractSettlement` turns a slip into the canonical settlement record or throws a
 * SlipError with a stable code. Those rules are the terminal SDK's (packages/terminal-sdk), one
 * copy for terminals and gateway; the request schema the gateway checks slips with is here.
 */
import { z } from "zod";
import { MAX_LINES } from "../../packages/terminal-sdk/src/constants";
import { EIP55_MESSAGE, isAddress } from "./address";
import { WELL_FORMED_TEXT } from "./keccak";
import { storableText } from "./storable-text";
import "./keccak"; // plugs the native keccak256 into the SDK's hashing

export { MAX_AMOUNT, MAX_LINES, CATEGORY_COUNT } from "../../packages/terminal-sdk/src/constants";
export {
  ORDER_ID_PREFIX,
  SlipError,
  canonicalJson,
  canonicalSlip,
  extractSettlement,
  orderIdOf,
  readSlip,
  slipHash,
  type ReadSlip,
  type SettlementRecord,
} from "../../packages/terminal-sdk/src/slips";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x-prefixed 32-byte hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected 0x-prefixed 20-byte hex address").refine(isAddress, EIP55_MESSAGE);
const integerString = z.string().regex(/^-?\d{1,30}$/, "expected an integer in minor units, as a string");

export const slipLineSchema = z.object({
  // A lone UTF-16 surrogate has no UTF-8 form, so a slip with one could not be hashed.
  description: storableText(z.string().min(1).max(200).regex(WELL_FORMED_TEXT, "well-formed Unicode text")),
  quantity: z.number().int().min(1).max(1_000_000),
  unitPrice: integerString,
});

export const slipSchema = z.object({
  orderNumber: z.string().regex(/^[A-Za-z0-9._:\-]{1,64}$/, "1-64 letters, digits or . _ : -"),
  cardId: hex32,
  terminal: address,
  currency: z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code"),
  category: z.number().int().min(0).max(255),
  time: z.number().int().min(0).max(2 ** 40 - 1),
  lines: z.array(slipLineSchema).min(1).max(MAX_LINES),
  total: integerString,
});

export type Slip = z.infer<typeof slipSchema>;

