/**
 * The signer pool's worker thread (signer-pool.ts): packed (digest, r, vs) items in, the
 * signers' addresses out. No ethers here, so the thread starts in milliseconds.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SignerAddresses } from "./ecdsa";

export const SIGNER_WORKER_ROLE = "credence-signer-pool";
/** digest, r, vs: 32 bytes each. */
export const SIGNER_ITEM_BYTES = 96;

/** Packed items in, 20 bytes per item out (zeros where nothing was recovered), by recoverCompact's rules. */
export function recoverAll(items: Uint8Array, signers: SignerAddresses): Uint8Array<ArrayBuffer> {
  const n = items.length / SIGNER_ITEM_BYTES;
  const out = new Uint8Array(n * 20);
  for (let i = 0; i < n; i++) {
    const item = items.subarray(i * SIGNER_ITEM_BYTES, (i + 1) * SIGNER_ITEM_BYTES);
    signers.recoverInto(item.subarray(0, 32), item.subarray(32, 64), item.subarray(64, 96), out, i * 20);
  }
  return out;
}

if (parentPort && (workerData as { role?: string } | undefined)?.role === SIGNER_WORKER_ROLE) {
  const port = parentPort;
  const addresses = new SignerAddresses();
  port.on("message", (msg: { id: number; items: Uint8Array }) => {
    const signers = recoverAll(msg.items, addresses);
    port.postMessage({ id: msg.id, signers }, [signers.buffer]);
  });
}
