/**
 * The portal's store (migration 006, src/store/portal-records.ts) on both engines: the embedded
 * PGlite and a real PostgreSQL (a database of its own per run, dropped after; skipped with a
 * warning when TEST_DATABASE_URL's server is unreachable, unless REQUIRE_POSTGRES=1). Codes are
 * used once and only while live, sessions end idle, and failure counts lock and start afresh.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { openDb, type Db } from "../../src/store";
import {
  activatePortalAccount,
  clientLockedUntil,
  createPortalSession,
  getPortalAccount,
  putActivationCode,
  recordAccountFailure,
  recordClientFailure,
  touchPortalSession,
} from "../../src/store/portal-records";

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const account = { kind: "consumer" as const, subject: "18446744073709551615" };

function behavesOn(engine: string, open: () => Promise<{ db: Db; close(): Promise<void> } | undefined>) {
  describe(`portal records on ${engine}`, function () {
    this.timeout(60_000);
    let store: { db: Db; close(): Promise<void> } | undefined;
    let db: Db;
    before(async function () {
      store = await open();
      if (!store) return this.skip();
      db = store.db;
    });
    after(async () => store?.close());

    it("uses a code once, only its live hash, and keeps the largest account number exactly", async () => {
      await putActivationCode(db, account, "hash-1", 60_000);
      expect(await activatePortalAccount(db, account, "hash-0", "$argon2id$x")).to.equal(false);
      expect(await activatePortalAccount(db, account, "hash-1", "$argon2id$x")).to.equal(true);
      expect(await activatePortalAccount(db, account, "hash-1", "$argon2id$y")).to.equal(false);
      expect(await getPortalAccount(db, account)).to.deep.include({ subject: account.subject, passwordHash: "$argon2id$x", failures: 0 });
      await putActivationCode(db, account, "hash-2", -1);
      expect(await activatePortalAccount(db, account, "hash-2", "$argon2id$z"), "an expired code").to.equal(false);
    });

    it("ends a session once idle too long, and all of an account's sessions at activation", async () => {
      await createPortalSession(db, "token-a", account, 60_000);
      expect(await touchPortalSession(db, "token-a", 60_000)).to.deep.equal(account);
      await db.query("update portal_sessions set last_seen_at = now() - interval '2 minutes' where token_hash = 'token-a'");
      expect(await touchPortalSession(db, "token-a", 60_000)).to.equal(undefined);
      await createPortalSession(db, "token-b", account, 60_000);
      await putActivationCode(db, account, "hash-3", 60_000);
      await activatePortalAccount(db, account, "hash-3", "$argon2id$w");
      expect(await touchPortalSession(db, "token-b", 60_000)).to.equal(undefined);
    });

    it("locks an account by the delay its failure count gives, and starts a client's count afresh after the window", async () => {
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) await recordAccountFailure(db, account, (n) => (delays.push(n), n >= 3 ? 30_000 : 0));
      expect(delays).to.deep.equal([1, 2, 3]);
      const locked = (await getPortalAccount(db, account))!.lockedUntil!;
      expect(locked.getTime() - Date.now()).to.be.within(25_000, 31_000);

      const counts: number[] = [];
      const client = `203.0.113.${randomBytes(1)[0]}`;
      await recordClientFailure(db, client, 60_000, (n) => (counts.push(n), 0));
      await recordClientFailure(db, client, 60_000, (n) => (counts.push(n), 10_000));
      expect(await clientLockedUntil(db, client)).to.be.instanceOf(Date);
      await db.query("update portal_client_failures set last_failure = now() - interval '2 minutes', locked_until = null where client = $1", [client]);
      await recordClientFailure(db, client, 60_000, (n) => (counts.push(n), 0));
      expect(counts).to.deep.equal([1, 2, 1]);
      expect(await clientLockedUntil(db, client)).to.equal(null);
    });
  });
}

behavesOn("PGlite", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-portal-store-"));
  const db = await openDb({ dataDir: dir });
  return { db, close: async () => (await db.close(), fs.rmSync(dir, { recursive: true, force: true })) };
});

behavesOn("PostgreSQL", async () => {
  const admin = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    if (process.env.REQUIRE_POSTGRES === "1") throw err;
    console.warn(`      SKIPPED: PostgreSQL is unreachable (${(err as Error).message}). Set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead.`);
    return undefined;
  }
  const name = `credence_test_${randomBytes(6).toString("hex")}`;
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ dataDir: os.tmpdir(), databaseUrl: url.toString() });
  return {
    db,
    close: async () => {
      await db.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
});
