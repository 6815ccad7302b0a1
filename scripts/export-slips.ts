/**
 * Export the gateway's order slips as an archive directory (one `<id>.json` file per slip), the
 * form `npm run audit -- --slips DIR` reads. Reads DATABASE_URL (PostgreSQL) when set, else the
 * embedded store in DATA_DIR/db, which it refuses while a gateway holds DATA_DIR (PGlite has one
 * connection: stop the gateway first).
 *
 *   npm run slips:export -- --out DIR
 */
import path from "node:path";
import { Command } from "commander";
import { openDb } from "../src/store/db";
import { lockDataDir } from "../src/data-dir-lock";
import { exportSlips } from "../src/audit/slips";

const opts = new Command().requiredOption("--out <dir>", "directory to write the slips to").parse().opts<{ out: string }>();

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.DATA_DIR || "data");
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const unlock = databaseUrl ? () => undefined : lockDataDir(dataDir);
  try {
    const db = await openDb({ dataDir, databaseUrl, migrate: false });
    try {
      const n = await exportSlips(db, opts.out);
      process.stdout.write(`exported ${n} slips to ${opts.out}\n`);
    } finally {
      await db.close();
    }
  } finally {
    unlock();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`slips:export failed: ${(err as Error).message}\n`);
  process.exit(2);
});
