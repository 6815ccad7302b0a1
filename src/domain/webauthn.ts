/**
 * WebAuthn assertions as a relying party receives them, turned into what the contract verifies
 * (OpenZeppelin's WebAuthn.WebAuthnAuth): the DER signature split into (r, s) with s made low,
 * and the byte offsets of "type" and "challenge" in the client data. Pure and free of Node's
 * APIs: the browser console and the command line share it.
 */
import { encodeBase64, hexlify, toBeHex, toUtf8Bytes } from "ethers";

/** What navigator.credentials.get() yields, decoded: the authenticator's data, the client data, a DER signature. */
export interface WebAuthnAssertion {
  authenticatorData: Uint8Array;
  clientDataJSON: string;
  signature: Uint8Array;
}

/** OpenZeppelin's WebAuthn.WebAuthnAuth, hex-encoded for ethers. */
export interface WebAuthnAuth {
  r: string;
  s: string;
  challengeIndex: bigint;
  typeIndex: bigint;
  authenticatorData: string;
  clientDataJSON: string;
}

/** Order of the P-256 group. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Authenticator data flags (WebAuthn §6.1). */
export const AuthenticatorFlags = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10 } as const;

/** Unpadded base64url, as WebAuthn encodes a challenge in the client data. */
export function base64url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** (r, s) of a DER-encoded ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }. Throws when malformed. */
export function derToRS(der: Uint8Array): { r: bigint; s: bigint } {
  let at = 0;
  const expect = (tag: number) => {
    if (der[at++] !== tag) throw new Error(`DER signature: expected tag 0x${tag.toString(16)} at ${at - 1}`);
    const length = der[at++];
    if (length === undefined || length > 0x7f) throw new Error("DER signature: unsupported length");
    return length;
  };
  const total = expect(0x30);
  if (total !== der.length - 2) throw new Error("DER signature: wrong sequence length");
  const integer = () => {
    const length = expect(0x02);
    const bytes = der.subarray(at, at + length);
    if (bytes.length !== length || length === 0 || length > 33) throw new Error("DER signature: bad integer");
    at += length;
    return BigInt(hexlify(bytes));
  };
  const r = integer();
  const s = integer();
  if (at !== der.length) throw new Error("DER signature: trailing bytes");
  return { r, s };
}

/** s, or n − s when s is in the upper half: the one form the contract accepts (no malleable twin). */
export function lowS(s: bigint): bigint {
  return s > P256_N / 2n ? P256_N - s : s;
}

/** The contract's form of an assertion. Throws when the client data lacks "type" or "challenge". */
export function toWebAuthnAuth(assertion: WebAuthnAssertion): WebAuthnAuth {
  const { r, s } = derToRS(assertion.signature);
  const client = toUtf8Bytes(assertion.clientDataJSON);
  return {
    r: toBeHex(r, 32),
    s: toBeHex(lowS(s), 32),
    challengeIndex: BigInt(byteIndex(client, '"challenge":"')),
    typeIndex: BigInt(byteIndex(client, '"type":"')),
    authenticatorData: hexlify(assertion.authenticatorData),
    clientDataJSON: assertion.clientDataJSON,
  };
}

/** Byte offset of `needle` in UTF-8 `haystack` (the contract indexes bytes, not UTF-16 units). */
function byteIndex(haystack: Uint8Array, needle: string): number {
  const bytes = toUtf8Bytes(needle);
  search: for (let at = 0; at + bytes.length <= haystack.length; at++) {
    for (let i = 0; i < bytes.length; i++) if (haystack[at + i] !== bytes[i]) continue search;
    return at;
  }
  throw new Error(`client data has no ${needle}`);
}
