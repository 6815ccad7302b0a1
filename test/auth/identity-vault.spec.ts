/**
 * The identity vault and its key store, on the embedded store and on PostgreSQL
 * (TEST_DATABASE_URL; skipped when unreachable unless REQUIRE_POSTGRES=1): envelope encryption
 * under per-holder data keys, erasure that leaves every earlier copy of the ciphertext unreadable
 * with everything the data directory holds, the salt kept inside the ciphertext, records found
 * through any card of the account, migration from the single-key format, and key rotation.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IdentityKeyStore } from "../../src/auth/identity-keys";
import { rotateKeyFileIdentityKey } from "../../src/auth/identity-key-rotation";
import { migrateLegacyIdentities } from "../../src/auth/identity-migration";
import { canonicalRecord, createIdentityVault, destroyOrphanKeys, identityCommitment, type IdentityVault } from "../../src/auth/identity-vault";
import { openIdentityVault } from "../../src/auth/open-identity-vault";
import { loadConfig, resolveSecrets } from "../../src/config";
import { openDb, type Db } from "../../src/store";
import { TestDatabases, decryptWithAny, keysFoundIn, legacySeal, type SealedCopy } from "../helpers/identity-forensics";

const record = { name: "Li Wei", nationalId: "110101199003074578", photo: Buffer.from("jpeg bytes").toString("base64") };
const newCardId = () => "0x" + randomBytes(32).toString("hex");
const hex32 = () => "0x" + randomBytes(32).toString("hex");
const quiet = { info: () => undefined };

for (const engine of ["pglite", "postgres"] as const) {
  describe(`identity vault (${engine})`, function () {
    this.timeout(60_000);
    const databases = new TestDatabases();
    let dataDir: string;
    let keyDir: string;
    let db: Db;
    let kek: string;
    let keys: IdentityKeyStore;
    let vault: IdentityVault;

    before(async function () {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-vault-"));
      let databaseUrl: string | undefined;
      if (engine === "postgres") {
        databaseUrl = await databases.create();
        if (!databaseUrl) {
          console.warn("      SKIPPED: PostgreSQL is unreachable (TEST_DATABASE_URL); REQUIRE_POSTGRES=1 fails instead");
          this.skip();
        }
      }
      db = await openDb({ dataDir, databaseUrl });
    });

    beforeEach(function () {
      keyDir = fs.mkdtempSync(path.join(dataDir, "keys-"));
      kek = hex32();
      fs.writeFileSync(path.join(keyDir, "keys.json"), JSON.stringify({ identityKey: kek }));
      keys = new IdentityKeyStore({ dir: path.join(keyDir, "identity-keys"), kek });
      vault = createIdentityVault(db, { keys });
    });

    after(async function () {
      await db?.close();
      await databases.dropAll();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const rowOf = async (cardId: string) =>
      (await db.query<SealedCopy & { salt: Buffer | null; commitment: string; format: number; erased_at: Date | null }>(
        "select ciphertext, iv, auth_tag, salt, commitment, format, erased_at from identities where card_id = $1",
        [cardId],
      ))[0];

    describe("store and read", function () {
      it("encrypts under the holder's own data key, in a 0700 directory, and reads the record back", async function () {
        const cardId = newCardId();
        const commitment = await vault.store(cardId, record);
        const row = await rowOf(cardId);
        expect(row).to.include({ commitment, format: 2, salt: null, erased_at: null });
        for (const secret of [record.name, record.nationalId]) expect(row.ciphertext.toString("latin1")).not.to.contain(secret);
        expect(fs.statSync(keys.dir).mode & 0o777).to.equal(0o700);
        expect(keys.list().map((k) => k.holder)).to.deep.equal([cardId]);
        expect(keys.get(cardId)).to.have.length(32);
        expect(await vault.read(cardId)).to.deep.equal(record);
      });

      it("keeps the commitment's salt inside the ciphertext: the row alone cannot test a guess", async function () {
        const cardId = newCardId();
        const commitment = await vault.store(cardId, record);
        const row = await rowOf(cardId);
        // With the data key the salt is the ciphertext's first 32 bytes, and it opens the commitment.
        const plain = Buffer.from(decryptWithAny([keys.get(cardId)!], cardId, row)!, "latin1");
        expect(identityCommitment(plain.subarray(0, 32), record)).to.equal(commitment);
        expect(plain.subarray(32).toString("utf8")).to.equal(canonicalRecord(record));
        // Without it, nothing stored beside the row reproduces the commitment.
        for (const guess of [row.salt ?? Buffer.alloc(32), Buffer.alloc(32), row.iv, row.auth_tag]) {
          expect(identityCommitment(guess, record)).not.to.equal(commitment);
        }
      });

      it("gives the same record a different commitment and data key on another card", async function () {
        const [a, b] = [newCardId(), newCardId()];
        expect(await vault.store(a, record)).not.to.equal(await vault.store(b, record));
        expect(keys.get(a)!.equals(keys.get(b)!)).to.equal(false);
      });

      it("cannot decrypt under another key-encryption key, nor a ciphertext moved to another card", async function () {
        const [from, to] = [newCardId(), newCardId()];
        await vault.store(from, record);
        const stranger = createIdentityVault(db, { keys: new IdentityKeyStore({ dir: keys.dir, kek: hex32() }) });
        expect(String(await stranger.read(from).catch((e) => e))).to.match(/not configured/);
        await vault.store(to, { name: "Other", nationalId: "1" });
        await db.query(
          `update identities set (ciphertext, iv, auth_tag, commitment) =
             (select ciphertext, iv, auth_tag, commitment from identities where card_id = $1) where card_id = $2`,
          [from, to],
        );
        expect(String(await vault.read(to).catch((e) => e))).to.match(/unable to authenticate|unsupported state/i);
      });

      it("refuses an oversized photo, a non-base64 photo, unknown fields and a malformed card ID, and keeps no key for them", async function () {
        const small = createIdentityVault(db, { keys, maxPhotoBytes: 30 });
        for (const bad of [{ ...record, photo: Buffer.alloc(31).toString("base64") }, { ...record, photo: "not base64!" }, { ...record, email: "x@y" }]) {
          const error = await small.store(newCardId(), bad).catch((e) => e);
          expect(error?.name, JSON.stringify(Object.keys(bad))).to.equal("ZodError");
        }
        expect(await small.store("0x1234", record).catch((e) => e)).to.include({ code: "identity.invalid_card_id", kind: "invalid" });
        expect(keys.list()).to.deep.equal([]);
        expect(await small.store(newCardId(), { ...record, photo: Buffer.alloc(30).toString("base64") })).to.match(/^0x[0-9a-f]{64}$/);
      });
    });

    describe("erase", function () {
      it("destroys the data key: a copy of the ciphertext taken before no longer decrypts with anything left", async function () {
        const cardId = newCardId();
        const commitment = await vault.store(cardId, record);
        const backup = await rowOf(cardId);
        expect(decryptWithAny(keysFoundIn([keyDir]), cardId, backup), "before erasure the copy decrypts").to.contain(record.nationalId);

        expect(await vault.erase(cardId)).to.equal(cardId);
        expect(await vault.erase(cardId), "nothing live to erase the second time").to.equal(undefined);
        expect(keys.has(cardId)).to.equal(false);
        expect(fs.readdirSync(keys.dir)).to.deep.equal([]);
        expect(decryptWithAny(keysFoundIn([keyDir]), cardId, backup), "after erasure").to.equal(undefined);
        const row = await rowOf(cardId);
        expect(row).to.include({ ciphertext: null, salt: null, iv: null, auth_tag: null, commitment });
        expect(row.erased_at).to.be.instanceOf(Date);
        expect(await vault.read(cardId)).to.equal(undefined);
        expect(await vault.store(cardId, record).catch((e) => e)).to.include({ code: "identity.exists", kind: "conflict" });
        expect(keys.has(cardId), "the refused store left no key").to.equal(false);
      });

      it("reaches the record through any card of the account and says which card holds it", async function () {
        const [first, replacement, other] = [newCardId(), newCardId(), newCardId()];
        const account = createIdentityVault(db, { keys, cardsOfAccount: async (c) => (c === replacement ? [first, replacement] : [c]) });
        await account.store(first, record);
        await account.store(other, { name: "Someone else", nationalId: "2" });
        expect(await account.read(replacement)).to.deep.equal(record);
        expect(await account.holderOf(replacement)).to.equal(first);
        expect(await account.erase(replacement), "the record is the first card's").to.equal(first);
        expect(keys.has(first)).to.equal(false);
        expect(await account.read(first)).to.equal(undefined);
        expect(await account.read(other), "another holder is untouched").to.deep.include({ nationalId: "2" });
      });

      it("destroys keys of erased records (erased elsewhere, or a crash) and old keys of no record, and keeps the rest", async function () {
        const [kept, erasedRowOnly] = [newCardId(), newCardId()];
        await vault.store(kept, record);
        await vault.store(erasedRowOnly, record);
        // A crash between nulling the row and destroying the key:
        await db.query("update identities set ciphertext = null, iv = null, auth_tag = null, erased_at = now() where card_id = $1", [erasedRowOnly]);
        keys.create(newCardId()); // a key whose row was never written
        expect(await destroyOrphanKeys(db, keys, 10 * 60_000), "the erased record's key; the young one stays").to.equal(1);
        expect(keys.has(erasedRowOnly)).to.equal(false);
        expect(await destroyOrphanKeys(db, keys, 0)).to.equal(1);
        expect(keys.list().map((k) => k.holder)).to.deep.equal([kept]);
        expect(await vault.read(kept)).to.deep.equal(record);
      });
    });

    describe("person keys", function () {
      const nationalIdKey = hex32();
      const withPersons = () => createIdentityVault(db, { keys, nationalIdKey });

      it("finds a consumer's card by the national ID however it is spaced or cased", async function () {
        const cardId = newCardId();
        const nationalId = `X${randomBytes(6).toString("hex")}`;
        await withPersons().store(cardId, { ...record, nationalId }, { consumer: true });
        expect(await withPersons().cardsOfPerson(` ${nationalId.toLowerCase().replace(/^(.{4})/, "$1-")} `)).to.deep.equal([cardId]);
      });

      it("keeps no person key for a record stored without `consumer`, nor under another key", async function () {
        const nationalId = `Y${randomBytes(6).toString("hex")}`;
        await withPersons().store(newCardId(), { ...record, nationalId });
        expect(await withPersons().cardsOfPerson(nationalId)).to.deep.equal([]);
        const cardId = newCardId();
        await withPersons().store(cardId, { ...record, nationalId }, { consumer: true });
        expect(await createIdentityVault(db, { keys, nationalIdKey: hex32() }).cardsOfPerson(nationalId)).to.deep.equal([]);
      });

      it("erases the person key with the record", async function () {
        const cardId = newCardId();
        const nationalId = `Z${randomBytes(6).toString("hex")}`;
        await withPersons().store(cardId, { ...record, nationalId }, { consumer: true });
        await withPersons().erase(cardId);
        expect(await withPersons().cardsOfPerson(nationalId)).to.deep.equal([]);
        const [row] = await db.query<{ person_key: string | null }>("select person_key from identities where card_id = $1", [cardId]);
        expect(row.person_key).to.equal(null);
      });
    });

    describe("migration from the single-key format", function () {
      async function storeLegacy(cardId: string, legacyKey: Buffer, erased = false) {
        const salt = randomBytes(32);
        const sealed = legacySeal(legacyKey, cardId, canonicalRecord(record));
        await db.query(
          "insert into identities (card_id, ciphertext, iv, auth_tag, salt, commitment, format) values ($1, $2, $3, $4, $5, $6, 1)",
          [cardId, sealed.ciphertext, sealed.iv, sealed.auth_tag, salt, identityCommitment(salt, record)],
        );
        if (erased) await db.query("update identities set ciphertext = null, iv = null, auth_tag = null, salt = null, erased_at = now() where card_id = $1", [cardId]);
        return sealed;
      }

      it("moves every record to a data key of its own, keeps its commitment, and a rerun does nothing", async function () {
        await db.query("update identities set format = 2 where format = 1"); // earlier tests' rows
        const legacyKey = Buffer.from(kek.slice(2), "hex");
        const cards = [newCardId(), newCardId(), newCardId()];
        for (const c of cards) await storeLegacy(c, legacyKey);
        const gone = newCardId();
        await storeLegacy(gone, legacyKey, true);
        const commitments = await Promise.all(cards.map(async (c) => (await rowOf(c)).commitment));
        const progress: unknown[] = [];
        const first = await migrateLegacyIdentities(db, keys, [kek], { log: { info: (o: unknown) => progress.push(o) }, batch: 2, progressEvery: 2 });
        expect(first).to.deep.equal({ migrated: 3, erased: 1 });
        expect(progress).to.deep.include({ migrated: 2, total: 3 });
        expect(JSON.stringify(progress)).not.to.contain(record.name);
        for (const [i, c] of cards.entries()) {
          expect(await rowOf(c)).to.include({ format: 2, salt: null, commitment: commitments[i] });
          expect(await vault.read(c)).to.deep.equal(record);
        }
        expect(await rowOf(gone)).to.include({ format: 2, ciphertext: null });
        expect(await migrateLegacyIdentities(db, keys, [kek], { log: quiet })).to.deep.equal({ migrated: 0, erased: 0 });
      });

      it("finishes after a crash between writing a record's key and rewriting its row", async function () {
        const legacyKey = Buffer.from(kek.slice(2), "hex");
        const cardId = newCardId();
        await storeLegacy(cardId, legacyKey);
        keys.create(cardId); // the key of a run that stopped before its update
        expect(await migrateLegacyIdentities(db, keys, [kek], { log: quiet })).to.deep.equal({ migrated: 1, erased: 0 });
        expect(await vault.read(cardId)).to.deep.equal(record);
      });

      it("after the rotation that follows it, a copy of a single-key row decrypts with nothing left", async function () {
        const legacyKey = Buffer.from(kek.slice(2), "hex");
        const cardId = newCardId();
        const before = await storeLegacy(cardId, legacyKey);
        expect(decryptWithAny(keysFoundIn([keyDir]), cardId, before), "the old copy decrypts with the one key").to.contain(record.name);
        await migrateLegacyIdentities(db, keys, [kek], { log: quiet });
        rotateKeyFileIdentityKey(keyDir, keys.dir);
        const rotated = JSON.parse(fs.readFileSync(path.join(keyDir, "keys.json"), "utf8")) as { identityKey: string };
        const now = createIdentityVault(db, { keys: new IdentityKeyStore({ dir: keys.dir, kek: rotated.identityKey }) });
        expect(await now.read(cardId)).to.deep.equal(record);
        expect(await now.erase(cardId)).to.equal(cardId);
        expect(decryptWithAny(keysFoundIn([keyDir]), cardId, before)).to.equal(undefined);
      });
    });

    describe("opening at start", function () {
      it("migrates single-key records and then rotates the key in keys.json, so no copy of them decrypts after erasure", async function () {
        await db.query("update identities set format = 2 where format = 1");
        const config = loadConfig({ DATA_DIR: keyDir });
        const legacyKey = Buffer.from(kek.slice(2), "hex");
        const cardId = newCardId();
        const salt = randomBytes(32);
        const old = legacySeal(legacyKey, cardId, canonicalRecord(record));
        await db.query("insert into identities (card_id, ciphertext, iv, auth_tag, salt, commitment, format) values ($1, $2, $3, $4, $5, $6, 1)", [
          cardId,
          old.ciphertext,
          old.iv,
          old.auth_tag,
          salt,
          identityCommitment(salt, record),
        ]);
        const lines: unknown[] = [];
        const log = { info: (o: unknown, m?: string) => lines.push([o, m]), warn: (o: unknown, m?: string) => lines.push([o, m]) };
        const { identities } = await openIdentityVault(config, resolveSecrets(config), db, log);
        const file = JSON.parse(fs.readFileSync(path.join(keyDir, "keys.json"), "utf8")) as Record<string, string>;
        expect(file.identityKey).not.to.equal(kek);
        expect(file).not.to.have.property("identityKeyPrevious");
        expect(await identities.read(cardId)).to.deep.equal(record);
        expect(JSON.stringify(lines)).to.contain("rotated the identity key").and.not.contain(record.name);
        expect(await identities.erase(cardId)).to.equal(cardId);
        expect(decryptWithAny(keysFoundIn([keyDir]), cardId, old)).to.equal(undefined);
        // A second start finds nothing to do and keeps the key.
        await openIdentityVault(config, resolveSecrets(config), db, log);
        expect(JSON.parse(fs.readFileSync(path.join(keyDir, "keys.json"), "utf8"))).to.deep.equal(file);
      });
    });

    describe("key rotation", function () {
      it("rewraps every data key under a new key, without touching the rows; reads and erasures then work", async function () {
        const [a, b] = [newCardId(), newCardId()];
        await vault.store(a, record);
        await vault.store(b, { name: "Wang Fang", nationalId: "3" });
        const rows = await db.query<{ ciphertext: Buffer }>("select ciphertext from identities where card_id = any($1::text[]) order by card_id", [[a, b]]);
        const result = rotateKeyFileIdentityKey(keyDir, keys.dir);
        expect(result).to.deep.equal({ rewrapped: 2, total: 2 });
        const file = JSON.parse(fs.readFileSync(path.join(keyDir, "keys.json"), "utf8")) as Record<string, string>;
        expect(file.identityKey).to.match(/^0x[0-9a-f]{64}$/).and.not.equal(kek);
        expect(file).not.to.have.property("identityKeyPrevious");
        expect(await db.query("select ciphertext from identities where card_id = any($1::text[]) order by card_id", [[a, b]])).to.deep.equal(rows);
        expect(String(await vault.read(a).catch((e) => e)), "the old key unwraps nothing").to.match(/not configured/);
        const rotated = createIdentityVault(db, { keys: new IdentityKeyStore({ dir: keys.dir, kek: file.identityKey }) });
        expect(await rotated.read(a)).to.deep.equal(record);
        expect(await rotated.erase(b)).to.equal(b);
        expect(await rotated.read(b)).to.equal(undefined);
      });

      it("resumes a rotation that stopped half-way, with both keys accepted meanwhile", async function () {
        const cards = [newCardId(), newCardId(), newCardId()];
        for (const c of cards) await vault.store(c, record);
        const next = hex32();
        fs.writeFileSync(path.join(keyDir, "keys.json"), JSON.stringify({ identityKey: next, identityKeyPrevious: kek }));
        const during = new IdentityKeyStore({ dir: keys.dir, kek: next, previousKeks: [kek] });
        during.create(newCardId()); // a key written during the rotation, under the new key
        // Half-way: one key rewrapped.
        const [first] = cards;
        fs.renameSync(path.join(keys.dir, `${first.slice(2)}.key`), path.join(keys.dir, "held"));
        during.rewrapAll();
        fs.renameSync(path.join(keys.dir, "held"), path.join(keys.dir, `${first.slice(2)}.key`));
        expect(await createIdentityVault(db, { keys: during }).read(first)).to.deep.equal(record);
        expect(rotateKeyFileIdentityKey(keyDir, keys.dir)).to.deep.equal({ rewrapped: 1, total: 4 });
        const file = JSON.parse(fs.readFileSync(path.join(keyDir, "keys.json"), "utf8")) as Record<string, string>;
        expect(file).to.deep.equal({ identityKey: next });
        const after = createIdentityVault(db, { keys: new IdentityKeyStore({ dir: keys.dir, kek: next }) });
        for (const c of cards) expect(await after.read(c)).to.deep.equal(record);
      });
    });
  });
}

describe("npm run identity:rotate-key", function () {
  this.timeout(120_000);
  let dataDir: string;
  let db: Db;

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-rotate-"));
    db = await openDb({ dataDir });
  });

  after(async function () {
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const run = (env: Record<string, string>) =>
    execFileSync("npm", ["run", "-s", "identity:rotate-key"], { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

  it("rotates the key in keys.json (embedded default) and the data keys follow; then rotates again from the environment", async function () {
    const kek = hex32();
    fs.writeFileSync(path.join(dataDir, "keys.json"), JSON.stringify({ identityKey: kek }), { mode: 0o600 });
    const dir = path.join(dataDir, "identity-keys");
    const vault = createIdentityVault(db, { keys: new IdentityKeyStore({ dir, kek }) });
    const [kept, erased] = [newCardId(), newCardId()];
    await vault.store(kept, record);
    await vault.store(erased, record);

    expect(run({ DATA_DIR: dataDir })).to.match(/rewrapped=2 keys=2; the old key is gone from keys.json$/);
    const { identityKey } = JSON.parse(fs.readFileSync(path.join(dataDir, "keys.json"), "utf8")) as { identityKey: string };
    const rotated = createIdentityVault(db, { keys: new IdentityKeyStore({ dir, kek: identityKey }) });
    expect(await rotated.read(kept)).to.deep.equal(record);
    expect(await rotated.erase(erased)).to.equal(erased);

    const next = hex32();
    expect(() => run({ DATA_DIR: dataDir, IDENTITY_KEY: next }), "the old key must be named").to.throw();
    expect(run({ DATA_DIR: dataDir, IDENTITY_KEY: next, IDENTITY_KEY_PREVIOUS: identityKey })).to.match(/rewrapped=1 keys=1; now remove IDENTITY_KEY_PREVIOUS$/);
    const fromEnv = createIdentityVault(db, { keys: new IdentityKeyStore({ dir, kek: next }) });
    expect(await fromEnv.read(kept)).to.deep.equal(record);
    expect(await fromEnv.read(erased)).to.equal(undefined);
  });
});
