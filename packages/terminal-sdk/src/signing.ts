/**
 * secp256k1 signing in the encoding the ledger takes: EIP-2098 compact signatures {r, vs}, low s
 * (RFC 6979 deterministic nonces, so signing the same digest twice gives the same signature).
 */
import { secp256k1 } from "@noble/curves/secp256k1";
import { checksumAddress } from "./address";
import { bytesToHex, hexToBytes, keccak256 } from "./bytes";
import type { CompactSignature } from "./typed-data";

const HALF_N = secp256k1.CURVE.n >> 1n;
const TOP_BIT = 1n << 255n;

const digestBytes = (digest: string | Uint8Array) => (typeof digest === "string" ? hexToBytes(digest, 32) : digest);
const keyBytes = (privateKey: string | Uint8Array) => (typeof privateKey === "string" ? hexToBytes(privateKey, 32) : privateKey);

/** Signs a 32-byte digest (0x-hex or bytes) with a private key, as {r, vs}. */
export function signDigest(digest: string | Uint8Array, privateKey: string | Uint8Array): CompactSignature {
  const sig = secp256k1.sign(digestBytes(digest), keyBytes(privateKey), { lowS: true });
  const vs = sig.s | (BigInt(sig.recovery ?? 0) << 255n);
  return { r: "0x" + sig.r.toString(16).padStart(64, "0"), vs: "0x" + vs.toString(16).padStart(64, "0") };
}

/** The address of a public key (uncompressed, 65 bytes). */
function addressOfPublicKey(publicKey: Uint8Array): string {
  return checksumAddress(bytesToHex(keccak256(publicKey.subarray(1)).subarray(12)));
}

/** The address of a private key. */
export function addressOf(privateKey: string | Uint8Array): string {
  return addressOfPublicKey(secp256k1.getPublicKey(keyBytes(privateKey), false));
}

/**
 * The address that signed `digest` with a compact signature, or null when the signature is
 * malformed, has a high s, or recovers nothing (the rules the ledger applies).
 */
export function recoverSigner(digest: string | Uint8Array, sig: CompactSignature): string | null {
  try {
    const r = BigInt(bytesToHex(hexToBytes(sig.r, 32)));
    const vs = BigInt(bytesToHex(hexToBytes(sig.vs, 32)));
    const s = vs & (TOP_BIT - 1n);
    if (r === 0n || s === 0n || s > HALF_N || r >= secp256k1.CURVE.n) return null;
    const point = new secp256k1.Signature(r, s).addRecoveryBit(vs >= TOP_BIT ? 1 : 0).recoverPublicKey(digestBytes(digest));
    return addressOfPublicKey(point.toRawBytes(false));
  } catch {
    return null;
  }
}
