/**
 * Order slips: the receipt of one payment (line items, total, currency, category, time, bound to
 * the card and the terminal). Its canonical JSON (keys sorted, no whitespace, card ID lower-case,
 * terminal EIP-55 checksummed, amounts as decimal strings in minor units) hashes to the `slipHash`
 * a settlement signs; `extractSettlement` turns a slip into the settlement fields it determines,
 * or throws a SlipError with a stable code.
 */
import { checksumAddress } from "./address";
import { keccak256Text } from "./bytes";
import { CATEGORY_COUNT, MAX_AMOUNT } from "./constants";

export interface SlipLine {
  /** 1 … 200 UTF-16 code units of well-formed Unicode, without U+0000. */
  description: string;
  /** 1 … 1,000,000. */
  quantity: number;
  /** Minor units, as a decimal string. */
  unitPrice: string;
}

export interface Slip {
  /** The merchant's order number: 1-64 letters, digits or . _ : - */
  orderNumber: string;
  cardId: string;
  terminal: string;
  /** ISO 4217 code, e.g. "CNY". */
  currency: string;
  /** 0 … 15. */
  category: number;
  /** Unix seconds. */
  time: number;
  lines: SlipLine[];
  /** Minor units, as a decimal string: the sum of the lines. */
  total: string;
}

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

/** Why a slip is refused: the gateway answers these codes as 422 problems. */
export type SlipErrorCode = "slip.total_mismatch" | "slip.negative_amount" | "slip.amount_out_of_range" | "slip.unknown_category" | "slip.unknown_currency";

export class SlipError extends Error {
  constructor(
    readonly code: SlipErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SlipError";
  }
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, undefined members
 * left out. Arrays keep their order; a bigint is its decimal string.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return `"${value}"`;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  // Loops rather than entries/filter/sort/map: gateways run this twice per settlement.
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

/** The slip in canonical form: terminal checksummed, card ID lower-cased, amounts normalised. */
export function canonicalSlip(slip: Slip): Slip {
  return {
    ...slip,
    cardId: slip.cardId.toLowerCase(),
    terminal: checksumAddress(slip.terminal),
    lines: slip.lines.map((l) => ({ ...l, unitPrice: BigInt(l.unitPrice).toString() })),
    total: BigInt(slip.total).toString(),
  };
}

/** keccak256 of the slip's canonical JSON (UTF-8): the `slipHash` a settlement signs. */
export function slipHash(slip: Slip): string {
  return keccak256Text(canonicalJson(canonicalSlip(slip)));
}

/** What an order number is prefixed with before hashing it to an order ID. */
export const ORDER_ID_PREFIX = "credence.order:";

/** The on-chain order ID of a merchant's order number: keccak256("credence.order:" + orderNumber). */
export function orderIdOf(orderNumber: string): string {
  return keccak256Text(ORDER_ID_PREFIX + orderNumber);
}

/** ISO 4217 currency code to the bytes3 hex the ledger uses ("CNY" -> "0x434e59"). */
export function currencyCode(iso: string): string {
  if (!/^[A-Z]{3}$/.test(iso)) throw new RangeError(`not an ISO 4217 code: ${iso}`);
  let hex = "0x";
  for (let i = 0; i < 3; i++) hex += iso.charCodeAt(i).toString(16);
  return hex;
}

const SUPPORTED_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** A slip read once: its settlement record and its canonical form (what is stored and hashed). */
export interface ReadSlip {
  record: SettlementRecord;
  canonical: Slip;
}

/** Validate a slip and extract its settlement record. Throws SlipError on a slip the gateway would refuse. */
export function extractSettlement(slip: Slip): SettlementRecord {
  return readSlip(slip).record;
}

/** extractSettlement, keeping the canonical slip it hashed. */
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
    slipHash: keccak256Text(canonicalJson(canonical)),
    amount: total,
    currency: currencyCode(slip.currency),
    category: slip.category,
    time: BigInt(slip.time),
  };
  return { record, canonical };
}
