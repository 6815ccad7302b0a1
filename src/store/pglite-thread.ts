/**
 * The embedded store on its own thread. PGlite is Postgres compiled to WASM: every statement
 * runs synchronously on the thread that calls it, and under load it was a third of the
 * gateway's CPU time, taken from the thread that serves HTTP and checks signatures. Here it
 * runs in a worker thread; the gateway's thread sends statements and awaits their rows.
 *
 * The client is a dumb executor: one statement at a time, in the order sent. Transactions and
 * their exclusivity stay with the caller (db.ts holds its mutex from BEGIN to COMMIT).
 *
 * A statement unanswered after `STATEMENT_TIMEOUT_MS` fails the thread: seen with DATA_DIR
 * read-only, PGlite can spin forever in a statement after a failed file operation (VACUUM, or
 * the statement after a failed CHECKPOINT). pglite-reopen.ts then replaces the thread.
 */
import path from "node:path";
import { parentPort, workerData, type Worker } from "node:worker_threads";
import type { PGlite } from "@electric-sql/pglite";
import { startWorkerThread } from "../threads/worker-thread";

const THREAD_FILE = path.join(__dirname, `pglite-thread${path.extname(__filename)}`);
const ROLE = "credence-pglite";
/** Longer than any statement of ours takes (migrations included), short enough to end a hang. */
const STATEMENT_TIMEOUT_MS = 60_000;

type Command = { op: "query"; sql: string; params?: unknown[] } | { op: "exec"; sql: string } | { op: "close" };
type Request = Command & { id: number };
type Reply = { id: number; rows?: unknown[]; error?: Record<string, unknown> };

/** Fields of a Postgres error that callers read (SQLSTATE code, constraint, ...), kept across threads. */
const ERROR_FIELDS = ["name", "message", "code", "detail", "hint", "constraint", "table", "column", "schema", "severity", "position"];

/**
 * The thread itself failed, not a statement: it exited or threw outside a statement, it did not
 * answer within the statement timeout, or it was stopped. Every statement after it fails so too.
 */
export class PgliteThreadFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PgliteThreadFailure";
  }
}

/** A statement's error as the thread sends it: ERROR_FIELDS as strings (name, message, SQLSTATE code, ...). */
export function errorFields(err: unknown): Record<string, string> {
  const e = (err ?? {}) as Record<string, unknown>;
  return Object.fromEntries(ERROR_FIELDS.filter((f) => e[f] !== undefined).map((f) => [f, String(e[f])]));
}

/** A statement's error as the caller gets it, from the fields the thread sent. */
export function statementError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), fields);
}

export class PgliteThread {
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly timeoutMs: number,
  ) {
    worker.on("message", (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error) p.reject(statementError(reply.error));
      else p.resolve(reply.rows ?? []);
    });
    worker.on("error", (err) => this.fail(new PgliteThreadFailure(`the embedded store's thread failed: ${err.message}`, { cause: err })));
    worker.on("exit", (code) => this.fail(new PgliteThreadFailure(`the embedded store's thread exited (code ${code})`)));
  }

  /** Every statement awaited, and every one sent from now, fails with `err`. */
  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }

  /** Opens (creating if needed) the PGlite database in `dir` on a new thread. */
  static async open(dir: string, options: { statementTimeoutMs?: number } = {}): Promise<PgliteThread> {
    const worker = startWorkerThread(THREAD_FILE, { role: ROLE, dir });
    const thread = new PgliteThread(worker, options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS);
    try {
      await thread.send({ op: "exec", sql: "select 1" }, 0); // answered once the database is open (initdb may be slow)
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return thread;
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.send({ op: "query", sql, params: params as unknown[] | undefined })).map(asBuffers) as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.send({ op: "exec", sql });
  }

  async close(): Promise<void> {
    if (!this.failed) await this.send({ op: "close" });
    await this.worker.terminate();
  }

  /** Stops the thread without closing the database (as a crash would): for a thread that failed. */
  async terminate(): Promise<void> {
    this.failed ??= new PgliteThreadFailure("the embedded store's thread was stopped");
    await this.worker.terminate();
  }

  /** Sends `command`; the thread fails unless it answers within `timeoutMs` (0: no limit). */
  private send(command: Command, timeoutMs = this.timeoutMs): Promise<unknown[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // keeps the process alive only while awaited
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              // The thread is stuck in this statement: it answers nothing more, so it fails as a whole.
              this.fail(new PgliteThreadFailure(`the embedded store did not answer within ${timeoutMs} ms`));
              void this.worker.terminate();
            }, timeoutMs).unref()
          : undefined;
      const settle = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
        clearTimeout(timer);
        f(...a);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      try {
        this.worker.postMessage({ ...command, id } satisfies Request);
      } catch (err) {
        // Never sent (parameters that cannot be cloned, DataCloneError): the statement's failure, not the thread's.
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker.unref();
        settle(reject)(err as Error);
      }
    });
  }
}

/** bytea columns arrive as Uint8Array (structured clone drops Buffer): as Buffer again, as pg gives. */
function asBuffers(row: unknown): unknown {
  const r = row as Record<string, unknown>;
  for (const k in r) {
    const v = r[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return r;
}

async function serve(dir: string): Promise<void> {
  const port = parentPort!;
  // PGlite is ESM-first; its CommonJS build loads fine through require().
  const opened: Promise<PGlite> = import("@electric-sql/pglite").then(({ PGlite: PGliteClass, types }) =>
    PGliteClass.create(dir, {
      // Match node-postgres: int8 as string, bytea as Buffer.
      parsers: {
        [types.INT8]: (v: string) => v,
        [types.BYTEA]: (v: string) => Buffer.from(v.slice(2), "hex"),
      },
    }),
  );
  opened.catch(() => undefined); // a failed open is every request's answer
  const handle = async (req: Request): Promise<Reply> => {
    try {
      const pg = await opened;
      if (req.op === "query") return { id: req.id, rows: (await pg.query(req.sql, req.params)).rows };
      if (req.op === "exec") await pg.exec(req.sql);
      else await pg.close();
      return { id: req.id };
    } catch (err) {
      return { id: req.id, error: errorFields(err) };
    }
  };
  let queue = Promise.resolve();
  port.on("message", (req: Request) => {
    queue = queue.then(async () => port.postMessage(await handle(req)));
  });
}

if (parentPort && (workerData as { role?: string } | undefined)?.role === ROLE) {
  void serve((workerData as { dir: string }).dir);
}
