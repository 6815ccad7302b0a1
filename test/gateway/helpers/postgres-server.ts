/**
 * The PostgreSQL server the store tests use: TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test). Each scenario works in a database of its own.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The URL without its password, for messages. */
export function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/**
 * A client of the server, or the suite skipped with a warning when it is unreachable (failed
 * instead when REQUIRE_POSTGRES=1). Call from a `before` hook.
 */
export async function connectAdmin(suite: Mocha.Context): Promise<Client> {
  const client = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    const problem = `PostgreSQL is unreachable at ${shown(ADMIN_URL)} (${(err as Error).message})`;
    if (process.env.REQUIRE_POSTGRES === "1") throw new Error(`${problem}, and REQUIRE_POSTGRES=1 requires it`);
    console.warn(`      SKIPPED: ${problem}. Set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead.`);
    suite.skip();
  }
}

/** Creates a fresh, empty database (its name added to `created`, for dropping after); its URL. */
export async function createDatabase(admin: Client, created: string[]): Promise<string> {
  const name = `credence_test_${randomBytes(6).toString("hex")}`;
  await admin.query(`create database ${name}`);
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
