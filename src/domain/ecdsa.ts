/**
 * Public-key recovery from a compact (EIP-2098) signature with the rules OpenZeppelin's ECDSA
 * applies on chain: no zero r or s, no s in the upper half of the curve order (no malleable
 * twin). libsecp256k1 does the curve work. No ethers here: the signature worker threads (the
 * auditor's signature-worker.ts, the gateway's signer-worker.ts) load this module and write
 * signers as raw 20-byte addresses (SignerAddresses and ClaimedSigners, read back with signerAt).
 */
import secp256k1 from "secp256k1";
import { keccak256Bytes } from "./keccak";

const HALF_ORDER = Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex");

/**
 * The uncompressed public key (64 bytes, without the 0x04 prefix) that signed `digest` with
 * (r, yParityAndS), 32 bytes each; null when the signature breaks the rules or recovers nothing.
 */
export function recoverPublicKey(digest: Uint8Array, r: Uint8Array, vs: Uint8Array): Uint8Array | null {
  const sig = allowedSignature(r, vs);
  return sig && (recoverPrefixed(digest, sig, vs[0] >> 7)?.subarray(1) ?? null);
}

/** The uncompressed public key with its 0x04 prefix (65 bytes, as libsecp256k1 parses it) that made `sig`. */
function recoverPrefixed(digest: Uint8Array, sig: Uint8Array, parity: number): Uint8Array | null {
  try {
    return secp256k1.ecdsaRecover(sig, parity, digest, false);
  } catch {
    return null;
  }
}

/** (r, s) as libsecp256k1 takes it (64 bytes, parity bit cleared); null when OpenZeppelin's rules refuse it. */
function allowedSignature(r: Uint8Array, vs: Uint8Array): Buffer | null {
  const sig = Buffer.alloc(64);
  sig.set(r, 0);
  sig.set(vs, 32);
  sig[32] &= 0x7f;
  const s = sig.subarray(32);
  return isZero(sig.subarray(0, 32)) || isZero(s) || Buffer.compare(s, HALF_ORDER) > 0 ? null : sig;
}

function isZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** Recovers signers as raw 20-byte addresses, hashing each public key to its address once. */
export class SignerAddresses {
  private readonly addresses = new Map<string, Buffer>();

  /** Writes the address that signed `digest` into `out` at `at`; leaves 20 zero bytes when nothing recovers. */
  recoverInto(digest: Uint8Array, r: Uint8Array, vs: Uint8Array, out: Uint8Array, at: number): void {
    const pub = recoverPublicKey(digest, r, vs);
    if (!pub) return;
    const key = Buffer.from(pub.buffer, pub.byteOffset, 64).toString("latin1");
    let address = this.addresses.get(key);
    if (!address) {
      address = keccak256Bytes(pub).subarray(12);
      if (this.addresses.size > 1_000_000) this.addresses.clear();
      this.addresses.set(key, address);
    }
    out.set(address, at);
  }
}

/**
 * Who signed, where the verifier knows who claims to have signed: the terminal a settlement
 * names, the card it is for. The key that last signed for a claimant is kept, and a signature
 * that verifies under it is that key's (a verification costs about a fifth less than a
 * recovery); any other signature is recovered, and its key kept for the claimant instead. The
 * signer found is the one recovery finds, with one exception: verification does not read the
 * parity bit, which only chooses between the two keys a recovery can yield. A signature the kept
 * key made with that bit flipped counts as that key's, though ecrecover would name another
 * address: the key did sign that digest, and an honest ledger refuses such a signature anyway.
 */
export class ClaimedSigners {
  private readonly keys = new Map<string, { publicKey: Uint8Array; address: Buffer }>();

  /**
   * Writes the address that signed `digest` with (r, yParityAndS) into `out` at `at`; leaves 20
   * zero bytes when the signature breaks the rules or recovers nothing. `claimant` identifies who
   * claims to have signed (any bytes: an address word, a card id).
   */
  signerInto(claimant: Uint8Array, digest: Uint8Array, r: Uint8Array, vs: Uint8Array, out: Uint8Array, at: number): void {
    const id = Buffer.from(claimant.buffer, claimant.byteOffset, claimant.byteLength).toString("latin1");
    const sig = allowedSignature(r, vs);
    if (!sig) return;
    const kept = this.keys.get(id);
    if (kept && verifies(digest, sig, kept.publicKey)) {
      out.set(kept.address, at);
      return;
    }
    const publicKey = recoverPrefixed(digest, sig, vs[0] >> 7);
    if (!publicKey) return;
    const address = keccak256Bytes(publicKey.subarray(1)).subarray(12);
    if (this.keys.size > 1_000_000) this.keys.clear();
    this.keys.set(id, { publicKey, address });
    out.set(address, at);
  }
}

function verifies(digest: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return secp256k1.ecdsaVerify(sig, digest, publicKey);
  } catch {
    return false;
  }
}

/** The signer SignerAddresses or ClaimedSigners wrote at `at` of `bytes`, as lower-case 0x-hex; null for zeros (none). */
export function signerAt(bytes: Uint8Array, at: number): string | null {
  const slice = Buffer.from(bytes.buffer, bytes.byteOffset + at, 20);
  return slice.every((b) => b === 0) ? null : "0x" + slice.toString("hex");
}
