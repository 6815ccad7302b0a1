/**
 * Fast signature checks for the hot paths (gateway intake, auditor replay).
 *
 * ethers recovers about 500 signatures per second per core; libsecp256k1 (the `secp256k1`
 * package, prebuilt binaries with a JavaScript fallback) about 14,000. Settlement digests come
 * from settlement-hasher.ts. Both are checked against ethers in test/domain/signer-recovery.spec.ts.
 */
import secp256k1 from "secp256k1";
import { getBytes } from "ethers";
import { checksumAddress } from "./address";
import { keccak256Bytes } from "./keccak";
import type { CompactSignature } from "./typed-data";

const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const S_MASK = (1n << 255n) - 1n;

/**
 * The address that signed `digest` with a compact (EIP-2098) signature, or null when the
 * signature is malformed, malleable (high s) or recovers nothing: the rules OpenZeppelin's ECDSA
 * applies on chain.
 */
export function recoverCompact(digest: Uint8Array, sig: CompactSignature): string | null {
  const vs = BigInt(sig.vs);
  const s = vs & S_MASK;
  const r = BigInt(sig.r);
  if (r === 0n || s === 0n || s > HALF_ORDER) return null;
  const rs = new Uint8Array(64);
  rs.set(getBytes(sig.r), 0);
  rs.set(getBytes("0x" + s.toString(16).padStart(64, "0")), 32);
  try {
    const pub = secp256k1.ecdsaRecover(rs, Number(vs >> 255n), digest, false);
    return checksumAddress("0x" + keccak256Bytes(pub.subarray(1)).toString("hex", 12));
  } catch {
    return null;
  }
}

/**
 * Signs `digest` with a raw private key through libsecp256k1 (deterministic RFC 6979 nonce, low
 * s), as a compact signature: the same signature ethers' SigningKey gives, about 20x faster.
 */
export function signCompact(digest: Uint8Array, privateKey: Uint8Array): CompactSignature {
  const { signature, recid } = secp256k1.ecdsaSign(digest, privateKey);
  const vs = Buffer.from(signature.subarray(32));
  if (recid === 1) vs[0] |= 0x80;
  return { r: "0x" + Buffer.from(signature.subarray(0, 32)).toString("hex"), vs: "0x" + vs.toString("hex") };
}
