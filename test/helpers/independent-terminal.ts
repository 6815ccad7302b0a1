/**
 * A terminal's hashing, encoding and signing written from docs/terminal-integration.md alone,
 * with libraries that are not ethers (@noble/hashes' keccak_256, @noble/curves' secp256k1) and a
 * small EIP-712 encoder: what a vendor would write from the document. It imports nothing from
 * src/ or packages/, so if the document leaves a rule out, or the project's code depends on a
 * quirk of ethers, the specs built on it (the vectors re-derived, a live gateway driven) fail.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { secp256k1 } from "@noble/curves/secp256k1";

/** The four type strings of the guide's section 3, hashed as they stand. */
export const TYPE_STRINGS = {
  Settlement:
    "Settlement(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,bytes32 slipHash,uint64 amount,bytes3 currency,uint8 category,uint40 time)",
  Refund:
    "Refund(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,address settlementTerminal,uint64 settlementNonce,uint64 amount,uint40 time)",
  Redemption: "Redemption(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,uint64 points,uint40 time)",
  OrderSlip: "OrderSlip(bytes32 slipHash)",
} as const;

export type SignedType = keyof typeof TYPE_STRINGS;

/** The EIP-712 domain as GET /v1/info → eip712.domain gives it. */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: string;
  verifyingContract: string;
}

/** An EIP-712 message: each field a hex string, a decimal string or a number. */
export type Message = Record<string, string | number>;

/** EIP-2098 compact signature. */
export interface CompactSignature {
  r: string;
  vs: string;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const toHex = (bytes: Uint8Array): string => "0x" + Buffer.from(bytes).toString("hex");
export const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
export const keccak = (bytes: Uint8Array): Uint8Array => keccak_256(bytes);
export const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** EIP-55: hex digit i upper-cased when nibble i of keccak256(lower-case hex text) is 8 or more. */
export function checksummed(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak(utf8(lower))).toString("hex");
  return "0x" + [...lower].map((c, i) => (parseInt(hash[i], 16) >= 8 ? c.toUpperCase() : c)).join("");
}

/** One 32-byte EIP-712 word of an atomic value (the guide's "Encoding" table). */
export function word(type: string, value: string | number): Uint8Array {
  const out = new Uint8Array(32);
  if (type === "bytes32") return fromHex(String(value));
  if (type === "address") {
    out.set(fromHex(String(value)), 12);
    return out;
  }
  if (type === "bytes3") {
    out.set(fromHex(String(value)), 0);
    return out;
  }
  const bits = Number(/^uint(\d+)$/.exec(type)![1]);
  const n = BigInt(value);
  if (n < 0n || n >= 1n << BigInt(bits)) throw new RangeError(`${value} is no ${type}`);
  out.set(Buffer.from(n.toString(16).padStart(64, "0"), "hex"));
  return out;
}

/** The fields of a type string "Name(type name,...)". */
export const fieldsOf = (typeString: string): { type: string; name: string }[] =>
  /\((.*)\)/.exec(typeString)![1].split(",").map((f) => {
    const [type, name] = f.split(" ");
    return { type, name };
  });

/** typeHash ‖ word(field 1) ‖ … ‖ word(field n): the vectors' `encodedData`. */
export const encodedData = (typeString: string, message: Message): Uint8Array =>
  concat(keccak(utf8(typeString)), ...fieldsOf(typeString).map((f) => word(f.type, message[f.name])));

export const structHash = (typeString: string, message: Message): Uint8Array => keccak(encodedData(typeString, message));

export function domainSeparatorOf(domain: Eip712Domain): Uint8Array {
  return keccak(
    concat(
      keccak(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
      keccak(utf8(domain.name)),
      keccak(utf8(domain.version)),
      word("uint256", domain.chainId),
      word("address", domain.verifyingContract),
    ),
  );
}

/** keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash). */
export const digestOf = (domainSeparator: Uint8Array, structHashBytes: Uint8Array): Uint8Array =>
  keccak(concat(Uint8Array.of(0x19, 0x01), domainSeparator, structHashBytes));

/** The digest a terminal (and card) signs for `message` of type `type` in `domain`. */
export const typedDigest = (domain: Eip712Domain, type: SignedType, message: Message): Uint8Array =>
  digestOf(domainSeparatorOf(domain), structHash(TYPE_STRINGS[type], message));

/** The address of a public key: the last 20 bytes of keccak256 of its uncompressed X || Y. */
export const addressOf = (publicKey: Uint8Array): string => checksummed(toHex(keccak(publicKey.subarray(1)).subarray(12)));

/** The address of a private key (hex). */
export const addressOfKey = (privateKey: string): string => addressOf(secp256k1.getPublicKey(fromHex(privateKey), false));

/** RFC 6979 signature with low s, as EIP-2098 {r, vs}: vs = s with the y parity in its top bit. */
export function signCompact(digest: Uint8Array, privateKey: string): CompactSignature {
  const sig = secp256k1.sign(digest, fromHex(privateKey), { lowS: true });
  const vs = sig.s | (BigInt(sig.recovery) << 255n);
  return { r: "0x" + sig.r.toString(16).padStart(64, "0"), vs: "0x" + vs.toString(16).padStart(64, "0") };
}

/** The checksummed address that signed `digest`; throws on a high-s signature (EIP-2). */
export function recoverCompact(digest: Uint8Array, sig: CompactSignature): string {
  const vs = BigInt(sig.vs);
  const s = vs & ((1n << 255n) - 1n);
  if (s > secp256k1.CURVE.n / 2n) throw new RangeError("s is in the upper half of the curve order");
  const signature = new secp256k1.Signature(BigInt(sig.r), s).addRecoveryBit(Number(vs >> 255n));
  return addressOf(signature.recoverPublicKey(digest).toRawBytes(false));
}

/** A slip as section 5 describes it, typed by the vectors' examples. */
export type Slip = (typeof import("../../test-vectors/slips.json"))[number]["slip"];

/** The canonical slip's JSON (section 5.1): the rules, nothing else. */
export function canonicalSlipJson(slip: Slip): string {
  const value = {
    orderNumber: slip.orderNumber,
    cardId: slip.cardId.toLowerCase(),
    terminal: checksummed(slip.terminal),
    currency: slip.currency,
    category: slip.category,
    time: slip.time,
    lines: slip.lines.map((l) => ({ description: l.description, quantity: l.quantity, unitPrice: BigInt(l.unitPrice).toString() })),
    total: BigInt(slip.total).toString(),
  };
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return "[" + v.map(write).join(",") + "]";
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return "{" + Object.keys(o).sort().map((k) => JSON.stringify(k) + ":" + write(o[k])).join(",") + "}";
    }
    return JSON.stringify(v);
  };
  return write(value);
}

/** slipHash = keccak256 of the canonical JSON's UTF-8 bytes (section 5.1). */
export const slipHashOf = (slip: Slip): string => toHex(keccak(utf8(canonicalSlipJson(slip))));

/** orderId = keccak256("credence.order:" + orderNumber) (section 5.2). */
export const orderIdOf = (orderNumber: string): string => toHex(keccak(utf8(`credence.order:${orderNumber}`)));

/** The settlement fields a slip determines, nonce aside (section 5.3). */
export function settlementFieldsOf(slip: Slip): Message {
  return {
    cardId: slip.cardId.toLowerCase(),
    terminal: checksummed(slip.terminal),
    orderId: orderIdOf(slip.orderNumber),
    slipHash: slipHashOf(slip),
    amount: BigInt(slip.total).toString(),
    currency: toHex(utf8(slip.currency)),
    category: slip.category,
    time: String(slip.time),
  };
}
