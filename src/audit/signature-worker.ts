/**
 * Signature recovery for settlements, in a worker thread (or inline). Input: signed settlements
 * as their raw 13 calldata words each; output: 40 bytes per settlement, the addresses that
 * signed it as terminal and as card (20 zero bytes where a signature recovers nothing).
 *
 * The digest is PointsLedger's (settlement-hasher.ts, from the nine settlement words as they
 * are). Signatures are checked with OpenZeppelin ECDSA's rules (src/domain/ecdsa.ts, as the
 * gateway's intake does). Terminals and cards sign many settlements, so each signature is first
 * verified under the key that last signed for the terminal the settlement names (for the card
 * it is for), and recovered only when that fails (ClaimedSigners: what it finds, and its one
 * exception, the parity bit). Whether the signer was the right one is the replay's question.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ClaimedSigners } from "../domain/ecdsa";
import { SettlementHasher } from "../domain/settlement-hasher";

export class SettlementRecoverer {
  private readonly hasher: SettlementHasher;
  private readonly signers = new ClaimedSigners();

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
      // Words: 0 cardId, 1 terminal, ..., 9-10 the terminal's signature, 11-12 the card's.
      this.signers.signerInto(item.subarray(32, 64), digest, item.subarray(288, 320), item.subarray(320, 352), out, i * 40);
      this.signers.signerInto(item.subarray(0, 32), digest, item.subarray(352, 384), item.subarray(384, 416), out, i * 40 + 20);
    }
    return out;
  }

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
