/**
 * npm run bench:identity [-- --records N] — what per-holder data keys cost (ADR 0004): store,
 * read and erase of N records (default 500) on the embedded store in a temporary directory, each
 * store and erase writing and flushing a key file and its directory. Prints one line.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IdentityKeyStore } from "../src/auth/identity-keys";
import { createIdentityVault } from "../src/auth/identity-vault";
import { openDb } from "../src/store";

async function main() {
  const at = process.argv.indexOf("--records");
  const records = at > 0 ? Number(process.argv[at + 1]) : 500;
  if (!Number.isInteger(records) || records < 1) throw new Error("--records takes a positive integer");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-identity-"));
  const db = await openDb({ dataDir: dir });
  try {
    const vault = createIdentityVault(db, { keys: new IdentityKeyStore({ dir: path.join(dir, "identity-keys"), kek: randomBytes(32) }) });
    const cards = Array.from({ length: records }, () => `0x${randomBytes(32).toString("hex")}`);
    const perRecord = async (fn: (cardId: string) => Promise<unknown>) => {
      const start = performance.now();
      for (const cardId of cards) await fn(cardId);
      return ((performance.now() - start) / records).toFixed(2);
    };
    const store = await perRecord((c) => vault.store(c, { name: "Bench Holder", nationalId: "110101199003074578" }));
    const read = await perRecord((c) => vault.read(c));
    const erase = await perRecord((c) => vault.erase(c));
    console.log(`identity vault: records=${records} store=${store}ms read=${read}ms erase=${erase}ms per record`);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
