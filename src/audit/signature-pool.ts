/**
 * Spreads settlement signature recovery over worker threads. Recovery dominates an audit's CPU
 * time (two secp256k1 recoveries per settlement); the replay itself stays on the main thread
 * and only waits for the signers when it compares them with who should have signed.
 * `workers: 0` recovers inline (tests, one-core machines).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { SettlementRecoverer } from "./signature-worker";

const WORKER_FILE = path.join(__dirname, `signature-worker${path.extname(__filename)}`);

/**
 * Under ts-node (npm run audit, tests) a worker would load the TypeScript compiler before its
 * first recovery (about 0.35 s of CPU each, a sixth of a 10,000-settlement audit). Instead the
 * parent's ts-node compiles the worker's modules once and the worker runs that JavaScript: this
 * bootstrap serves `.ts` requires from the compiled sources, then loads the worker file.
 */
const TS_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const Module = require("node:module");
const compiled = workerData.compiled;
Module._extensions[".ts"] = (module, filename) => {
  if (!(filename in compiled)) throw new Error("signature worker: " + filename + " was not compiled by the parent");
  module._compile(compiled[filename], filename);
};
require(workerData.entry);
`;

/**
 * Threads to recover on: two wherever there are two cores. On the 2-core reference machine the
 * two threads and the replay share the cores with the node answering, and still finish sooner
 * than recovering on the replay's thread (measured with npm run bench:audit).
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
    const compiled = WORKER_FILE.endsWith(".ts") ? compiledModules(WORKER_FILE) : undefined;
    for (let i = 0; i < workers; i++) {
      const worker = compiled
        ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { ...workerData, compiled, entry: WORKER_FILE } })
        : new Worker(WORKER_FILE, { workerData });
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

/** The TypeScript modules `entry` loads (as this process loaded them), compiled by its ts-node. */
function compiledModules(entry: string): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsNode = process[(require("ts-node") as typeof import("ts-node")).REGISTER_INSTANCE];
  if (!tsNode) throw new Error("signature workers from TypeScript sources need ts-node registered");
  const compiled: Record<string, string> = {};
  const visit = (module: NodeJS.Module | undefined) => {
    if (!module || !module.filename.endsWith(".ts") || module.filename in compiled) return;
    compiled[module.filename] = tsNode.compile(fs.readFileSync(module.filename, "utf8"), module.filename);
    module.children.forEach(visit);
  };
  visit(require.cache[entry]);
  return compiled;
}
