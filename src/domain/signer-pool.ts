/**
 * Signature recovery for the gateway's intake, on a worker thread. Each settlement carries two
 * signatures; recovering them was a fifth of the CPU of the thread that also serves HTTP, and
 * that thread's queue is what a terminal waits in. The calls of one event-loop turn go to the
 * worker together, as one message of packed bytes, and come back as 20-byte addresses.
 * `workers: 0` recovers inline (one-core machines), as does a pool whose thread failed or was
 * closed. The rules are recoverCompact's.
 */
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { startWorkerThread } from "../threads/worker-thread";
import { checksumAddress } from "./address";
import { signerAt } from "./ecdsa";
import { recoverCompact } from "./signer-recovery";
import { SIGNER_WORKER_ROLE } from "./signer-worker";
import type { CompactSignature } from "./typed-data";

const WORKER_FILE = path.join(__dirname, `signer-worker${path.extname(__filename)}`);

interface Call {
  digest: Uint8Array;
  sig: CompactSignature;
  /** digest ‖ r ‖ vs, as the worker reads it. */
  item: Buffer;
  resolve: (address: string | null) => void;
  reject: (err: Error) => void;
}

export class SignerPool {
  private worker?: Worker;
  private closing = false;
  private readonly sent = new Map<number, Call[]>();
  private batch: Call[] | undefined;
  private nextId = 0;

  /**
   * @param workers 1 to recover on a worker thread, 0 to recover inline.
   * @param onThreadLost called if the thread fails; the pool then recovers inline, the calls it
   *   held included, so no submission fails for it.
   */
  constructor(
    workers: number,
    private readonly onThreadLost?: (err: Error) => void,
  ) {
    if (workers <= 0) return;
    const worker = startWorkerThread(WORKER_FILE, { role: SIGNER_WORKER_ROLE });
    this.worker = worker;
    worker.unref();
    worker.on("message", (msg: { id: number; signers: Uint8Array }) => {
      const calls = this.sent.get(msg.id) ?? [];
      this.sent.delete(msg.id);
      if (this.sent.size === 0) worker.unref();
      calls.forEach((c, i) => {
        const signer = signerAt(msg.signers, i * 20);
        c.resolve(signer && checksumAddress(signer));
      });
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.closing) this.onThreadLost?.(err);
      for (const calls of this.sent.values()) calls.forEach(recoverInline);
      this.sent.clear();
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`the signature thread exited (code ${code})`)));
  }

  /** The checksummed address that signed `digest`, or null when the signature recovers nothing. */
  signer(digest: Uint8Array, sig: CompactSignature): Promise<string | null> {
    const item = packItem(digest, sig);
    if (!item) return Promise.resolve(null);
    if (!this.worker) return Promise.resolve(recoverCompact(digest, sig));
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = [];
        setImmediate(() => this.flush());
      }
      this.batch.push({ digest, sig, item, resolve, reject });
    });
  }

  /** Stops the thread; calls still waiting, and later ones, are recovered inline. */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
  }

  private flush(): void {
    const calls = this.batch!;
    this.batch = undefined;
    if (!this.worker) return calls.forEach(recoverInline);
    const id = this.nextId++;
    const items = Buffer.concat(calls.map((c) => c.item));
    if (this.sent.size === 0) this.worker.ref(); // keeps the process alive only while awaited
    this.sent.set(id, calls);
    this.worker.postMessage({ id, items }, [items.buffer]);
  }
}

function recoverInline(c: Call): void {
  try {
    c.resolve(recoverCompact(c.digest, c.sig));
  } catch (err) {
    c.reject(err as Error);
  }
}

const WORD = /^0x[0-9a-fA-F]{64}$/;

/** digest ‖ r ‖ vs, or undefined when r or vs is not a 32-byte hex word. */
function packItem(digest: Uint8Array, sig: CompactSignature): Buffer | undefined {
  if (digest.length !== 32 || !WORD.test(sig.r) || !WORD.test(sig.vs)) return undefined;
  return Buffer.concat([digest, Buffer.from(sig.r.slice(2), "hex"), Buffer.from(sig.vs.slice(2), "hex")]);
}
