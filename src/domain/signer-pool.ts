/**
 * Signature recovery for the gateway's intake, on a worker thread. Each settlement carries two
 * signatures; recovering them was a fifth of the CPU of the thread that also serves HTTP, and
 * that thread's queue is what a terminal waits in. The calls of one event-loop turn go to the
 * worker together, as one message of packed bytes, and come back as 20-byte addresses.
 * `workers: 0` recovers inline (one-core machines). The rules are recoverCompact's.
 */
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { startWorkerThread } from "../threads/worker-thread";
import { checksumAddress } from "./address";
import { recoverCompact } from "./signer-recovery";
import { SIGNER_WORKER_ROLE } from "./signer-worker";
import type { CompactSignature } from "./typed-data";

const WORKER_FILE = path.join(__dirname, `signer-worker${path.extname(__filename)}`);

interface Call {
  resolve: (address: string | null) => void;
  reject: (err: Error) => void;
}

export class SignerPool {
  private readonly worker?: Worker;
  private readonly sent = new Map<number, Call[]>();
  private batch: { bytes: Buffer[]; calls: Call[] } | undefined;
  private nextId = 0;
  private failed?: Error;

  /** @param workers 1 to recover on a worker thread, 0 to recover inline. */
  constructor(workers: number) {
    if (workers <= 0) return;
    this.worker = startWorkerThread(WORKER_FILE, { role: SIGNER_WORKER_ROLE });
    this.worker.unref();
    this.worker.on("message", (msg: { id: number; signers: Uint8Array }) => {
      const calls = this.sent.get(msg.id) ?? [];
      this.sent.delete(msg.id);
      if (this.sent.size === 0) this.worker!.unref();
      calls.forEach((c, i) => c.resolve(addressAt(msg.signers, i)));
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const calls of this.sent.values()) calls.forEach((c) => c.reject(err));
      this.sent.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`the signature thread exited (code ${code})`)));
  }

  /** The checksummed address that signed `digest`, or null when the signature recovers nothing. */
  signer(digest: Uint8Array, sig: CompactSignature): Promise<string | null> {
    const item = packItem(digest, sig);
    if (!item) return Promise.resolve(null);
    if (!this.worker) return Promise.resolve(recoverCompact(digest, sig));
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = { bytes: [], calls: [] };
        setImmediate(() => this.flush());
      }
      this.batch.bytes.push(item);
      this.batch.calls.push({ resolve, reject });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }

  private flush(): void {
    const { bytes, calls } = this.batch!;
    this.batch = undefined;
    if (this.failed) return calls.forEach((c) => c.reject(this.failed!));
    const id = this.nextId++;
    const items = Buffer.concat(bytes);
    if (this.sent.size === 0) this.worker!.ref(); // keeps the process alive only while awaited
    this.sent.set(id, calls);
    this.worker!.postMessage({ id, items }, [items.buffer]);
  }
}

const WORD = /^0x[0-9a-fA-F]{64}$/;

/** digest ‖ r ‖ vs, or undefined when r or vs is not a 32-byte hex word. */
function packItem(digest: Uint8Array, sig: CompactSignature): Buffer | undefined {
  if (digest.length !== 32 || !WORD.test(sig.r) || !WORD.test(sig.vs)) return undefined;
  return Buffer.concat([digest, Buffer.from(sig.r.slice(2), "hex"), Buffer.from(sig.vs.slice(2), "hex")]);
}

function addressAt(bytes: Uint8Array, i: number): string | null {
  const slice = Buffer.from(bytes.buffer, bytes.byteOffset + i * 20, 20);
  return slice.every((b) => b === 0) ? null : checksumAddress("0x" + slice.toString("hex"));
}
