/**
 * Public-key recovery from a compact (EIP-2098) signature with the rules OpenZeppelin's ECDSA
 * applies on chain: no zero r or s, no s in the upper half of the curve order (no malleable
 * twin). libsecp256k1 does the curve work. No ethers here: the auditor's signature workers load
 * this module (see signature-worker.ts); signer-recovery.ts turns the key into an address.
 */
import secp256k1 from "secp256k1";

const HALF_ORDER = Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex");

/**
 * The uncompressed public key (64 bytes, without the 0x04 prefix) that signed `digest` with
 * (r, yParityAndS), 32 bytes each; null when the signature breaks the rules or recovers nothing.
 */
export function recoverPublicKey(digest: Uint8Array, r: Uint8Array, vs: Uint8Array): Uint8Array | null {
  const sig = Buffer.alloc(64);
  sig.set(r, 0);
  sig.set(vs, 32);
  sig[32] &= 0x7f;
  const s = sig.subarray(32);
  if (isZero(sig.subarray(0, 32)) || isZero(s) || Buffer.compare(s, HALF_ORDER) > 0) return null;
  try {
    return secp256k1.ecdsaRecover(sig, vs[0] >> 7, digest, false).subarray(1);
  } catch {
    return null;
  }
}

function isZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}
