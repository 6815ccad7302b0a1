/**
 * EIP-712 typed data of the Credence ledger: the domain, the types terminals and cards sign
 * (settlements, refunds, redemptions, and a terminal's order slips), and their hashing. Every
 * type is a flat struct of bytes32, bytesN, address and uintN fields.
 */
import { checksumAddress } from "./address";
import { bytesToHex, concatBytes, hexToBytes, keccak256, uintWord, utf8Bytes } from "./bytes";

export interface SettlementMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  slipHash: string;
  amount: bigint;
  /** ISO 4217 code as bytes3 hex (currencyCode("CNY") = "0x434e59"). */
  currency: string;
  category: number;
  time: bigint;
}

/**
 * A refund names the settlement it refunds: its card and order, and the terminal and nonce the
 * settlement was signed under (no two settlements share them), so it applies to that one alone.
 */
export interface RefundMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  settlementTerminal: string;
  settlementNonce: bigint;
  amount: bigint;
  time: bigint;
}

export interface RedemptionMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  points: bigint;
  time: bigint;
}

/** An EIP-2098 compact signature: r, and s with the recovery bit in its top bit. */
export interface CompactSignature {
  r: string;
  vs: string;
}

export interface TypedField {
  name: string;
  type: string;
}

/** The ledger's EIP-712 domain (GET /v1/info gives it as `eip712.domain`). */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

/** The EIP-712 domain of the Credence contract at `verifyingContract` on chain `chainId`. */
export function credenceDomain(chainId: bigint, verifyingContract: string): Eip712Domain {
  return { name: "Credence", version: "1", chainId, verifyingContract };
}

/** The Settlement struct's fields, in order. */
export const SETTLEMENT_FIELDS: readonly TypedField[] = [
  { name: "cardId", type: "bytes32" },
  { name: "terminal", type: "address" },
  { name: "nonce", type: "uint64" },
  { name: "orderId", type: "bytes32" },
  { name: "slipHash", type: "bytes32" },
  { name: "amount", type: "uint64" },
  { name: "currency", type: "bytes3" },
  { name: "category", type: "uint8" },
  { name: "time", type: "uint40" },
];

export const SETTLEMENT_TYPES: Record<string, TypedField[]> = { Settlement: [...SETTLEMENT_FIELDS] };

export const REFUND_TYPES: Record<string, TypedField[]> = {
  Refund: [
    { name: "cardId", type: "bytes32" },
    { name: "terminal", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "orderId", type: "bytes32" },
    { name: "settlementTerminal", type: "address" },
    { name: "settlementNonce", type: "uint64" },
    { name: "amount", type: "uint64" },
    { name: "time", type: "uint40" },
  ],
};

export const REDEMPTION_TYPES: Record<string, TypedField[]> = {
  Redemption: [
    { name: "cardId", type: "bytes32" },
    { name: "terminal", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "orderId", type: "bytes32" },
    { name: "points", type: "uint64" },
    { name: "time", type: "uint40" },
  ],
};

/**
 * A terminal's signature on an order slip it stores through the gateway (POST /v1/slips). Not a
 * ledger message: PointsLedger knows no such type, so this signature can never stand for one.
 */
export const ORDER_SLIP_TYPES: Record<string, TypedField[]> = {
  OrderSlip: [{ name: "slipHash", type: "bytes32" }],
};

const DOMAIN_FIELDS: readonly TypedField[] = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

/** EIP-712 encodeType of a flat struct: `Name(type name,...)`. */
export function typeString(name: string, fields: readonly TypedField[]): string {
  return `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** One field's 32-byte EIP-712 encoding. */
function encodeField(field: TypedField, value: unknown): Uint8Array {
  const { type, name } = field;
  if (value === undefined || value === null) throw new TypeError(`missing field ${name}`);
  if (type === "string") return keccak256(utf8Bytes(String(value)));
  if (type === "address") {
    const word = new Uint8Array(32);
    word.set(hexToBytes(checksumAddress(String(value)), 20), 12);
    return word;
  }
  const bytesN = /^bytes(\d+)$/.exec(type);
  if (bytesN) {
    const word = new Uint8Array(32);
    word.set(hexToBytes(String(value), Number(bytesN[1])), 0);
    return word;
  }
  const uintN = /^uint(\d+)$/.exec(type);
  if (uintN) {
    if (typeof value !== "bigint" && typeof value !== "number" && !(typeof value === "string" && /^\d+$/.test(value))) {
      throw new TypeError(`field ${name} must be an unsigned integer`);
    }
    return uintWord(BigInt(value), Number(uintN[1]));
  }
  throw new TypeError(`unsupported EIP-712 type ${type}`);
}

/** hashStruct of a flat struct: keccak256(typeHash || encoded fields). */
export function structHash(name: string, fields: readonly TypedField[], message: object): Uint8Array {
  const values = message as Record<string, unknown>;
  const typeHash = keccak256(utf8Bytes(typeString(name, fields)));
  return keccak256(concatBytes(typeHash, ...fields.map((f) => encodeField(f, values[f.name]))));
}

/** The EIP-712 domain separator, 0x-hex. */
export function domainSeparator(domain: Eip712Domain): string {
  return bytesToHex(structHash("EIP712Domain", DOMAIN_FIELDS, domain));
}

/** The EIP-712 digest of `message` of the one type in `types` under `domain`, 0x-hex. */
export function typedDataDigest(domain: Eip712Domain, types: Record<string, readonly TypedField[]>, message: object): string {
  const [name, ...others] = Object.keys(types);
  if (!name || others.length > 0) throw new TypeError("one flat struct type expected");
  const separator = hexToBytes(domainSeparator(domain), 32);
  return bytesToHex(keccak256(concatBytes(new Uint8Array([0x19, 0x01]), separator, structHash(name, types[name], message))));
}

export function settlementDigest(domain: Eip712Domain, s: SettlementMessage): string {
  return typedDataDigest(domain, SETTLEMENT_TYPES, s);
}

export function refundDigest(domain: Eip712Domain, r: RefundMessage): string {
  return typedDataDigest(domain, REFUND_TYPES, r);
}

export function redemptionDigest(domain: Eip712Domain, r: RedemptionMessage): string {
  return typedDataDigest(domain, REDEMPTION_TYPES, r);
}

export function orderSlipDigest(domain: Eip712Domain, slipHash: string): string {
  return typedDataDigest(domain, ORDER_SLIP_TYPES, { slipHash });
}
