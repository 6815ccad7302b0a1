/**
 * Spreads the search for settlement signers over worker threads. It dominates an audit's CPU
 * time (two secp256k1 verifications or recoveries per settlement, signature-worker.ts); the
 * replay itself stays on the main thread and only waits for the signers when it compares them
 * with who should have signed. `workers: 0` finds them inline (tests, one-core machines).
 */
import os from "node:os";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { startWorkerThread } from "../threads/worker-thread";
import { SettlementRecoverer } from "./signature-worker";

const WORKER_FILE = path.join(__dirname, `signature-worker${path.extname(__filename)}`);

/**
 * Signature threads: two wherever there are two cores. On the 2-core reference machine the
 * two threads and the replay share the cores with the node answering, and still finish sooner
 * than checking on the replay's thread (measured with npm run bench:audit).
 */
export function defaultSignatureWorkers(): number {
  return os.availableParallelism() >= 2 ? 2 : 0;
}

export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly inline?: SettlementRecoverer;
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private turn = 0;

  constructor(domainSeparator: string, workers: number) {
    if (workers <= 0) {
      this.inline = new SettlementRecoverer(domainSeparator);
      return;
    }
    const workerData = { role: "credence-signature-worker", domainSeparator };
    for (let i = 0; i < workers; i++) {
      const worker = startWorkerThread(WORKER_FILE, workerData);
      worker.on("message", (msg: { id: number; signers: Uint8Array }) => {
        this.pending.get(msg.id)?.resolve(msg.signers);
        this.pending.delete(msg.id);
      });
      worker.on("error", (err) => this.failAll(err));
      this.workers.push(worker);
    }
  }

  /** Signers (terminal, card: 20 bytes each) of settlements given as 13 raw words each. */
  recover(items: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    if (this.inline) return Promise.resolve(this.inline.recover(items));
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, items }, [items.buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

