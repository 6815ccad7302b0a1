/**
 * Bytes, hex and keccak256. keccak256 is @noble/hashes' by default; a host with a faster one (a
 * native add-on) may plug it in with useKeccak256, which checks it against a known digest.
 */
import { keccak_256 } from "@noble/hashes/sha3";

/** A keccak256 implementation: 32 bytes of digest for any input. */
export type Keccak256 = (data: Uint8Array) => Uint8Array;

let keccak: Keccak256 = keccak_256;

/** keccak256("") */
const EMPTY_DIGEST = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

/** Use `implementation` for every keccak256 this package computes (same results, faster). */
export function useKeccak256(implementation: Keccak256): void {
  if (bytesToHex(implementation(new Uint8Array(0))) !== EMPTY_DIGEST) throw new Error("not a keccak256 implementation");
  keccak = implementation;
}

/** keccak256 of `data`, as 32 bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak(data);
}

/** Text with no lone UTF-16 surrogate: only such text has a UTF-8 form. */
export const WELL_FORMED_TEXT = /^[^\uD800-\uDFFF]*$/u;

const encoder = new TextEncoder();

/** The UTF-8 bytes of `text`; throws on a lone surrogate (it has no UTF-8 form). */
export function utf8Bytes(text: string): Uint8Array {
  if (!WELL_FORMED_TEXT.test(text)) throw new TypeError("text with a lone UTF-16 surrogate has no UTF-8 form");
  return encoder.encode(text);
}

/** keccak256 of `text`'s UTF-8 bytes, as 0x-hex. */
export function keccak256Text(text: string): string {
  return bytesToHex(keccak256(utf8Bytes(text)));
}

/** 0x-prefixed lower-case hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The bytes of 0x-prefixed hex (even length); throws on anything else. With `length`, exactly that many bytes. */
export function hexToBytes(hex: string, length?: number): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new TypeError(`not 0x-prefixed hex of whole bytes: ${hex.slice(0, 80)}`);
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (length !== undefined && bytes.length !== length) throw new TypeError(`expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** `value` as a 32-byte big-endian word; throws when it does not fit in `bits` bits. */
export function uintWord(value: bigint | number, bits = 256): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(bits)) throw new RangeError(`${v} is not a uint${bits}`);
  const word = new Uint8Array(32);
  let rest = v;
  for (let i = 31; i >= 0 && rest > 0n; i--) {
    word[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return word;
}

/** The concatenation of `parts`. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
