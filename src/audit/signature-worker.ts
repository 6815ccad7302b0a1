/**
 * Signature recovery for settlements, in a worker thread (or inline). Input: signed settlements
 * as their raw 13 calldata words each; output: 40 bytes per settlement, the addresses that
 * signed it as terminal and as card (20 zero bytes where a signature recovers nothing).
 *
 * The digest is PointsLedger's (settlement-hasher.ts, from the nine settlement words as they
 * are). Recovery is libsecp256k1 with OpenZeppelin ECDSA's rules (no zero r or s, no high s), as
 * in src/domain/signer-recovery.ts; public keys already seen map to their address from a cache,
 * since terminals and cards sign many settlements.
 */
import { parentPort, workerData } from "node:worker_threads";
import secp256k1 from "secp256k1";
import { keccak256Bytes } from "../domain/keccak";
import { SettlementHasher } from "../domain/settlement-hasher";

const HALF_ORDER = Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex");

export class SettlementRecoverer {
  private readonly hasher: SettlementHasher;
  private readonly addresses = new Map<string, Buffer>();

  /** @param domainSeparator the ledger's EIP-712 domain separator, 0x-hex. */
  constructor(domainSeparator: string) {
    this.hasher = new SettlementHasher(domainSeparator);
  }

  /** Signers of each settlement in `items` (13 words each): terminal then card, 20 bytes each. */
  recover(items: Uint8Array): Uint8Array<ArrayBuffer> {
    const n = items.length / 416;
    const out = new Uint8Array(n * 40);
    for (let i = 0; i < n; i++) {
      const item = Buffer.from(items.buffer, items.byteOffset + i * 416, 416);
      const digest = this.hasher.digestOfWords(item);
      this.recoverOne(digest, item.subarray(288, 320), item.subarray(320, 352), out, i * 40);
      this.recoverOne(digest, item.subarray(352, 384), item.subarray(384, 416), out, i * 40 + 20);
    }
    return out;
  }

  private recoverOne(digest: Uint8Array, r: Buffer, vs: Buffer, out: Uint8Array, at: number): void {
    const parity = vs[0] >> 7;
    const sig = Buffer.concat([r, vs]);
    sig[32] &= 0x7f;
    const s = sig.subarray(32);
    if (isZero(r) || isZero(s) || Buffer.compare(s, HALF_ORDER) > 0) return;
    let pub: Uint8Array;
    try {
      pub = secp256k1.ecdsaRecover(sig, parity, digest, false);
    } catch {
      return;
    }
    const key = Buffer.from(pub.buffer, pub.byteOffset + 1, 64).toString("latin1");
    let address = this.addresses.get(key);
    if (!address) {
      address = keccak256Bytes(pub.subarray(1)).subarray(12);
      if (this.addresses.size > 1_000_000) this.addresses.clear();
      this.addresses.set(key, address);
    }
    out.set(address, at);
  }
}

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

// As a worker: { domainSeparator } at start, then { id, items } messages answered with { id, signers }.
if (parentPort && (workerData as { role?: string } | undefined)?.role === "credence-signature-worker") {
  const recoverer = new SettlementRecoverer((workerData as { domainSeparator: string }).domainSeparator);
  const port = parentPort;
  port.on("message", (msg: { id: number; items: Uint8Array }) => {
    const signers = recoverer.recover(msg.items);
    port.postMessage({ id: msg.id, signers }, [signers.buffer]);
  });
}
