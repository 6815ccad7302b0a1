/**
 * The embedded store when DATA_DIR cannot be written (ADR 0011). PGlite keeps no state of its
 * own that outlives a failed file operation cleanly: once one failed (read-only, full, refused),
 * its in-memory file table may disagree with the disk for good (seen: every later statement
 * failing with `could not create file "..._fsm": File exists`), or a statement spins forever.
 * So on the first such failure the thread is stopped, as a crash would stop it, and every
 * statement answers `StoreUnavailableError` until a fresh thread opens the database again from
 * DATA_DIR. Opening replays PGlite's write-ahead log and ends with a checkpoint, so it succeeds
 * only once DATA_DIR takes writes again; what was committed before is all there.
 *
 * A transaction belongs to the thread it began on (`generation`): should that thread be
 * replaced, its remaining statements fail rather than run, half a transaction, on the new one.
 */
import { PgliteThread, PgliteThreadFailure } from "./pglite-thread";
import { StoreUnavailableError } from "./store-unavailable";

/** How often a store that cannot write tries to open again (and the Retry-After it suggests). */
const REOPEN_INTERVAL_MS = 1_000;

/** Where the store reports losing and regaining DATA_DIR (pino's warn/info fit). */
export interface StoreLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * Whether `err`, from a PGlite statement, says the files or the thread failed rather than the
 * statement: the thread's own failure (PgliteThreadFailure: it died, or hung past the statement
 * timeout); a WASM abort or trap (WebAssembly.RuntimeError) or Postgres exiting (Emscripten's
 * ExitStatus), which reach the caller by name; SQLSTATE class 53 (disk full, out of memory), 58
 * (I/O error, file missing or already there), XX (internal, corrupted), and 42501 for a file
 * operation (PostgreSQL reports EROFS and EACCES so). Anything else (a TypeError, a
 * DataCloneError, a statement's own SQLSTATE) is the statement's failure: the store carries on.
 */
export function isStorageFailure(err: unknown): boolean {
  if (err instanceof PgliteThreadFailure) return true;
  const { name, code, message } = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  if (name === "RuntimeError" || name === "ExitStatus") return true;
  if (typeof code !== "string") return false;
  if (/^(53|58|XX)/.test(code)) return true;
  return code === "42501" && typeof message === "string" && message.startsWith("could not ");
}

export class ReopeningPglite {
  /** The thread serving statements; none while the store cannot write. */
  private thread?: PgliteThread;
  /** Counts threads opened: a transaction runs on one generation only. */
  private current = 0;
  private unavailable?: StoreUnavailableError;
  private reopening?: Promise<void>;
  private closed = false;

  private constructor(
    private readonly dir: string,
    thread: PgliteThread,
    private readonly log?: StoreLog,
  ) {
    this.thread = thread;
  }

  /** Opens the database in `dir` (failing as PgliteThread.open does). */
  static async open(dir: string, log?: StoreLog): Promise<ReopeningPglite> {
    return new ReopeningPglite(dir, await PgliteThread.open(dir), log);
  }

  /** The generation statements now run on (pass it back to pin a transaction's statements). */
  get generation(): number {
    return this.current;
  }

  query<T>(sql: string, params?: readonly unknown[], generation?: number): Promise<T[]> {
    return this.run((t) => t.query<T>(sql, params), generation);
  }

  exec(sql: string, generation?: number): Promise<void> {
    return this.run((t) => t.exec(sql), generation);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reopening;
    await this.thread?.close();
    this.thread = undefined;
  }

  private async run<T>(statement: (thread: PgliteThread) => Promise<T>, generation?: number): Promise<T> {
    const thread = this.thread;
    if (!thread) throw this.unavailable!;
    if (generation !== undefined && generation !== this.current) {
      throw new StoreUnavailableError("the embedded store was reopened during this transaction", REOPEN_INTERVAL_MS / 1000);
    }
    try {
      return await statement(thread);
    } catch (err) {
      if (this.closed || !isStorageFailure(err)) throw err;
      this.lose(thread, err as Error);
      throw this.unavailable!;
    }
  }

  /** `thread` failed to write: stop it, answer "unavailable", and try to open again. */
  private lose(thread: PgliteThread, err: Error): void {
    if (this.thread !== thread) return; // already lost, by a statement that failed first
    this.thread = undefined;
    this.unavailable = new StoreUnavailableError(err.message, REOPEN_INTERVAL_MS / 1000);
    this.log?.warn({ reason: err.message }, "the embedded store cannot write to DATA_DIR: answering store.unavailable until it opens again");
    this.reopening = this.reopen(thread);
  }

  private async reopen(failed: PgliteThread): Promise<void> {
    await failed.terminate();
    const since = Date.now();
    for (let attempt = 1; !this.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, REOPEN_INTERVAL_MS));
      if (this.closed) return;
      try {
        const thread = await PgliteThread.open(this.dir);
        if (this.closed) return await thread.close();
        this.current++;
        this.thread = thread;
        this.unavailable = undefined;
        this.log?.info({ attempts: attempt, unavailableMs: Date.now() - since }, "the embedded store opened again from DATA_DIR and takes writes");
        return;
      } catch (err) {
        // Once, then every 30th attempt (about every half minute): the first line says why.
        if (attempt % 30 === 1) this.log?.warn({ attempt, reason: (err as Error).message }, "the embedded store cannot open DATA_DIR yet; trying again");
      }
    }
  }
}
