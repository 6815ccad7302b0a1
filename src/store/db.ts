/**
 * The database adapter: one small `Db` interface over two engines, the embedded PGlite
 * (Postgres compiled to WASM, persisted in DATA_DIR/db) and a PostgreSQL server (pg Pool).
 * Callers write one SQL dialect; rows come back alike from both engines:
 * int8 and numeric as strings, bytea as Buffer, jsonb parsed, timestamptz as Date.
 * Pass jsonb parameters as JSON.stringify(...) with a `::jsonb` cast: pg would turn a JS array
 * into a Postgres array literal.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { Pool, type PoolClient } from "pg";
import { migrate } from "./migrate";
import { StoreUnavailableError } from "./store-unavailable";
import { ReopeningPglite, type StoreLog } from "./pglite-reopen";
import { unavailableOr } from "./postgres-unavailable";

export interface Db {
  /** One statement, `$1..$n` parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migration scripts). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in a transaction (a savepoint when nested); rolls back if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly engine: "pglite" | "postgres";
}

export interface DbOptions {
  dataDir: string;
  databaseUrl?: string;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Called with errors of idle pool clients (PostgreSQL only). */
  onError?: (err: Error) => void;
  /** Where the store says it lost and regained DATA_DIR (PGlite) or its server (PostgreSQL). */
  log?: StoreLog;
}

/** PostgreSQL when `databaseUrl` is given, else the embedded PGlite store in `${dataDir}/db`. */
export async function openDb(options: DbOptions): Promise<Db> {
  const db = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.onError, options.log)
    : await openPglite(path.join(options.dataDir, "db"), options.log);
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** How long a statement waits for a pooled connection before the server counts as unavailable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A statement the server did not serve (connection refused or lost, server shutting down, out of
 * resources: postgres-unavailable.ts) fails with StoreUnavailableError; any other failure is
 * passed on as it is.
 */
export function openPostgres(databaseUrl: string, onError?: (err: Error) => void, log?: StoreLog): Db {
  const pool = new Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client losing its connection must not crash the process.
  pool.on("error", (err) => onError?.(err));
  // Said once when the server stops serving, once when it serves again; not once per request.
  let unavailableSince: number | undefined;
  const served = <T>(result: T): T => {
    if (unavailableSince !== undefined) {
      log?.info({ unavailableMs: Date.now() - unavailableSince }, "PostgreSQL serves statements again");
      unavailableSince = undefined;
    }
    return result;
  };
  const failed = (err: unknown): never => {
    const thrown = unavailableOr(err);
    if (thrown instanceof StoreUnavailableError && unavailableSince === undefined) {
      unavailableSince = Date.now();
      log?.warn({ reason: thrown.reason }, "PostgreSQL does not serve statements: answering store.unavailable until it does");
    }
    throw thrown;
  };
  const guard = <T>(statement: Promise<T>): Promise<T> => statement.then(served, failed);
  return {
    engine: "postgres",
    query: async <T>(sql: string, params?: readonly unknown[]) =>
      (await guard(pool.query(sql, params as unknown[] | undefined))).rows as T[],
    exec: async (sql) => {
      await guard(pool.query(sql));
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const client = await guard(pool.connect());
      let broken = false;
      // A server that dies mid-transaction (57P01, a killed connection) makes the borrowed client
      // emit 'error': without a listener that would end the process. The failing query rejects
      // too, so the transaction throws; the client is only marked broken, never reused.
      const onClientError = () => {
        broken = true;
      };
      client.on("error", onClientError);
      try {
        await guard(client.query("begin"));
        const result = await fn(clientDb(client, 0, guard));
        await guard(client.query("commit"));
        return result;
      } catch (err) {
        await client.query("rollback").catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.off("error", onClientError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

type Guard = <T>(statement: Promise<T>) => Promise<T>;

function clientDb(client: PoolClient, depth: number, guard: Guard): Db {
  const db: Db = {
    engine: "postgres",
    query: async <T>(sql: string, params?: readonly unknown[]) =>
      (await guard(client.query(sql, params as unknown[] | undefined))).rows as T[],
    exec: async (sql) => {
      await guard(client.query(sql));
    },
    transaction: (fn) => savepoint(db, depth + 1, () => fn(clientDb(client, depth + 1, guard))),
    close: () => Promise.reject(new Error("close the Db, not a transaction")),
  };
  return db;
}

async function savepoint<T>(tx: Db, depth: number, fn: () => Promise<T>): Promise<T> {
  const name = `sp_${depth}`;
  await tx.exec(`savepoint ${name}`);
  try {
    const result = await fn();
    await tx.exec(`release savepoint ${name}`);
    return result;
  } catch (err) {
    await tx.exec(`rollback to savepoint ${name}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// PGlite

/**
 * PGlite (on its own thread, see pglite-thread.ts) has ONE connection: a transaction owns it
 * from BEGIN to COMMIT. A promise mutex
 * serialises every top-level query and transaction, so concurrent callers never run inside
 * someone else's transaction. Using the outer Db from inside its own transaction would wait
 * for itself forever: that is detected and thrown instead.
 *
 * Should DATA_DIR stop taking writes, statements fail with StoreUnavailableError until the
 * store opens again (pglite-reopen.ts); a transaction never continues on a reopened store.
 */
export async function openPglite(dir: string, log?: StoreLog): Promise<Db> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pg = await ReopeningPglite.open(dir, log);
  const mutex = new Mutex();
  const inTransaction = new AsyncLocalStorage<true>();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (inTransaction.getStore()) {
      return Promise.reject(new Error("Db used inside its own transaction: use the `tx` passed to the callback"));
    }
    return mutex.run(fn);
  };
  const txDb = (generation: number, depth: number): Db => {
    const db: Db = {
      engine: "pglite",
      query: <T>(sql: string, params?: readonly unknown[]) => pg.query<T>(sql, params, generation),
      exec: (sql: string) => pg.exec(sql, generation),
      transaction: (fn) => savepoint(db, depth + 1, () => fn(txDb(generation, depth + 1))),
      close: () => Promise.reject(new Error("close the Db, not a transaction")),
    };
    return db;
  };
  return {
    engine: "pglite",
    query: (sql, params) => exclusive(() => pg.query(sql, params)),
    exec: (sql) => exclusive(() => pg.exec(sql)),
    transaction: (fn) =>
      exclusive(() =>
        inTransaction.run(true, async () => {
          const generation = pg.generation;
          const tx = txDb(generation, 0);
          await tx.exec("begin");
          try {
            const result = await fn(tx);
            await tx.exec("commit");
            return result;
          } catch (err) {
            // A store that lost its thread has no transaction left to roll back.
            await tx.exec("rollback").catch((rollbackErr: unknown) => {
              if (!(rollbackErr instanceof StoreUnavailableError)) throw rollbackErr;
            });
            throw err;
          }
        }),
      ),
    close: () => mutex.run(() => pg.close()),
  };
}

/** A FIFO promise mutex. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
