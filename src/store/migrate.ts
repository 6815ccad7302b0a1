/**
 * Schema migrations: numbered plain-SQL files in ./migrations (001_init.sql, 002_...), applied
 * in order in ONE transaction and recorded in `schema_migrations`. A transaction-scoped advisory
 * lock makes concurrent starts safe: on PostgreSQL a second gateway waits, then finds the work
 * done. The same SQL runs on PGlite, where the lock is trivially uncontended.
 */
import fs from "node:fs";
import path from "node:path";
import type { Db } from "./db";

/** Found relative to this file, so it works from src/ (ts-node) and from a build with the .sql copied. */
export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

/** Any constant shared by all gateways; "credence" in ASCII. */
const MIGRATION_LOCK_KEY = 0x63726564656e6365n;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name must look like 001_name.sql: ${file}`);
      return { version: Number(match[1]), name: match[2], sql: fs.readFileSync(path.join(dir, file), "utf8") };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1, 2, 3... without gaps; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/** Applies pending migrations; returns the versions it applied (empty when up to date). */
export async function migrate(db: Db, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]);
    await tx.exec(`create table if not exists schema_migrations (
      version    integer primary key,
      name       text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = new Set(
      (await tx.query<{ version: number }>("select version from schema_migrations")).map((r) => r.version),
    );
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(`database has migrations this gateway does not know (${unknown.join(", ")}): it is older than the schema`);
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query("insert into schema_migrations (version, name) values ($1, $2)", [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}
