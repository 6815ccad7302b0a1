/**
 * Order slips (the patent's transaction slip) and data extraction.
 *
 * A slip is the receipt of one payment: line items, total, currency, category and time, bound to
 * the confirmed card and the terminal. Its canonical JSON (keys sorted, amounts as decimal
 * strings in minor units) hashes to the `slipHash` the settlement signs; the slip itself stays off
 * chain. `extractSettlement` turns a slip into the canonical settlement record or throws a
 * SlipError with a stable code.
 */
import { z } from "zod";
import { isAddress } from "ethers";
import { EIP55_MESSAGE, checksumAddress } from "./address";
import { WELL_FORMED_TEXT, keccak256Text } from "./keccak";
import { currencyCode } from "./points";
import { storableText } from "./storable-text";

/** Largest amount the ledger accepts, in minor units (PointsLedger.MAX_AMOUNT). */
export const MAX_AMOUNT = 10n ** 15n;
export const MAX_LINES = 200;
export const CATEGORY_COUNT = 16;

const SUPPORTED_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

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

/** The settlement fields a slip determines (the terminal adds nonce and signatures). */
export interface SettlementRecord {
  cardId: string;
  terminal: string;
  orderId: string;
  slipHash: string;
  amount: bigint;
  currency: string;
  category: number;
  time: bigint;
}

export class SlipError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SlipError";
  }
}

/**
 * Canonical JSON: object keys sorted, no whitespace. Arrays keep their order; a bigint is its
 * decimal string (as the API's JSON writes it).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return `"${value}"`;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  // Loops rather than entries/filter/sort/map: this runs twice per settlement on the intake path.
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + (canonicalJson(value[i]) ?? "");
    return out + "]";
  }
  const object = value as Record<string, unknown>;
  out = "{";
  for (const key of Object.keys(object).sort()) {
    const v = object[key];
    if (v === undefined) continue;
    out += (out.length > 1 ? "," : "") + JSON.stringify(key) + ":" + canonicalJson(v);
  }
  return out + "}";
}

/** The slip in canonical form: addresses checksummed, hex lower-cased, amounts normalised. */
export function canonicalSlip(slip: Slip): Slip {
  return {
    ...slip,
    cardId: slip.cardId.toLowerCase(),
    terminal: checksumAddress(slip.terminal),
    lines: slip.lines.map((l) => ({ ...l, unitPrice: BigInt(l.unitPrice).toString() })),
    total: BigInt(slip.total).toString(),
  };
}

export function slipHash(slip: Slip): string {
  return canonicalSlipHash(canonicalSlip(slip));
}

function canonicalSlipHash(canonical: Slip): string {
  return keccak256Text(canonicalJson(canonical));
}

/** The on-chain order ID of a merchant's order number. */
export function orderIdOf(orderNumber: string): string {
  return keccak256Text(`credence.order:${orderNumber}`);
}

/** Validate a slip and extract its settlement record. Throws SlipError on a malformed slip. */
export function extractSettlement(slip: Slip): SettlementRecord {
  return readSlip(slip).record;
}

/** A slip read once: its settlement record and its canonical form (what is stored and hashed). */
export interface ReadSlip {
  record: SettlementRecord;
  canonical: Slip;
}

/** extractSettlement, keeping the canonical slip it hashed for whoever stores the slip. */
export function readSlip(slip: Slip): ReadSlip {
  if (!SUPPORTED_CURRENCIES.has(slip.currency)) {
    throw new SlipError("slip.unknown_currency", `unknown currency ${slip.currency}`);
  }
  if (slip.category >= CATEGORY_COUNT) {
    throw new SlipError("slip.unknown_category", `category must be 0..${CATEGORY_COUNT - 1}`);
  }
  let sum = 0n;
  for (const [i, line] of slip.lines.entries()) {
    const price = BigInt(line.unitPrice);
    if (price < 0n) throw new SlipError("slip.negative_amount", `line ${i}: negative unit price`);
    if (price > MAX_AMOUNT) throw new SlipError("slip.amount_out_of_range", `line ${i}: unit price too large`);
    sum += price * BigInt(line.quantity);
  }
  const total = BigInt(slip.total);
  if (total < 0n) throw new SlipError("slip.negative_amount", "negative total");
  if (total === 0n || total > MAX_AMOUNT) {
    throw new SlipError("slip.amount_out_of_range", `total must be 1..${MAX_AMOUNT} minor units`);
  }
  if (sum !== total) {
    throw new SlipError("slip.total_mismatch", `lines add up to ${sum}, total says ${total}`);
  }
  const canonical = canonicalSlip(slip);
  const record = {
    cardId: canonical.cardId,
    terminal: canonical.terminal,
    orderId: orderIdOf(slip.orderNumber),
    slipHash: canonicalSlipHash(canonical),
    amount: total,
    currency: currencyCode(slip.currency),
    category: slip.category,
    time: BigInt(slip.time),
  };
  return { record, canonical };
}
