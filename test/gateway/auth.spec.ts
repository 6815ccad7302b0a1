/**
 * Password hashing (argon2id; operators sign in with passkeys, see operator-passkeys.spec.ts) and
 * the identity vault (AES-256-GCM, salted commitment, crypto-shredding). Runs on an embedded
 * PGlite store in a temp dir.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIdentityVault, hashPassword, identityCommitment, verifyPassword } from "../../src/auth";
import { openDb, type Db } from "../../src/store";

describe("auth", function () {
  let dir: string;
  let db: Db;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-auth-"));
    db = await openDb({ dataDir: dir });
  });
  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("hashPassword / verifyPassword", () => {
    it("accepts the password and nothing else, with a salted argon2id hash", async () => {
      const hash = await hashPassword("correct horse");
      expect(hash).to.match(/^\$argon2id\$/);
      expect(await hashPassword("correct horse")).not.to.equal(hash);
      expect(await verifyPassword(hash, "correct horse")).to.equal(true);
      expect(await verifyPassword(hash, "correct horsE")).to.equal(false);
      expect(await verifyPassword("not-a-hash", "correct horse")).to.equal(false);
    });
  });

  describe("identity vault", () => {
    const key = randomBytes(32);
    const record = { name: "Li Wei", nationalId: "110101199003074578", photo: Buffer.from("jpeg bytes").toString("base64") };

    it("stores the record encrypted and reads it back; the commitment covers salt and record", async () => {
      const vault = createIdentityVault(db, key);
      const cardId = "0x" + randomBytes(32).toString("hex");
      const commitment = await vault.store(cardId, record);
      const [row] = await db.query<{ ciphertext: Buffer; salt: Buffer; commitment: string }>(
        "select ciphertext, salt, commitment from identities where card_id = $1",
        [cardId],
      );
      expect(row.commitment).to.equal(commitment);
      expect(identityCommitment(row.salt, record)).to.equal(commitment);
      expect(row.ciphertext.toString("latin1")).not.to.contain("Li Wei");
      expect(row.ciphertext.toString("latin1")).not.to.contain(record.nationalId);
      expect(await vault.read(cardId)).to.deep.equal(record);
    });

    it("gives the same record a different commitment on another card (fresh salt)", async () => {
      const vault = createIdentityVault(db, key);
      const a = await vault.store("0x" + randomBytes(32).toString("hex"), record);
      const b = await vault.store("0x" + randomBytes(32).toString("hex"), record);
      expect(a).not.to.equal(b);
    });

    it("cannot decrypt with another key, nor a ciphertext moved to another card", async () => {
      const vault = createIdentityVault(db, key);
      const [from, to] = ["0x" + randomBytes(32).toString("hex"), "0x" + randomBytes(32).toString("hex")];
      await vault.store(from, record);
      let error: unknown;
      await createIdentityVault(db, randomBytes(32)).read(from).catch((e) => (error = e));
      expect(String(error)).to.match(/unable to authenticate|unsupported state/i);
      await vault.store(to, { name: "Other", nationalId: "1" });
      await db.query(
        `update identities set (ciphertext, iv, auth_tag, salt, commitment) =
           (select ciphertext, iv, auth_tag, salt, commitment from identities where card_id = $1) where card_id = $2`,
        [from, to],
      );
      error = undefined;
      await vault.read(to).catch((e) => (error = e));
      expect(String(error)).to.match(/unable to authenticate|unsupported state/i);
    });

    it("erases ciphertext and salt, keeps the commitment, and refuses to store again", async () => {
      const vault = createIdentityVault(db, key);
      const cardId = "0x" + randomBytes(32).toString("hex");
      const commitment = await vault.store(cardId, record);
      expect(await vault.erase(cardId)).to.equal(true);
      expect(await vault.erase(cardId)).to.equal(false);
      const [row] = await db.query<Record<string, unknown>>("select * from identities where card_id = $1", [cardId]);
      expect(row).to.include({ ciphertext: null, salt: null, iv: null, auth_tag: null, commitment });
      expect(row.erased_at).to.be.instanceOf(Date);
      expect(await vault.read(cardId)).to.equal(undefined);
      const again = await vault.store(cardId, record).catch((e) => e);
      expect(again).to.include({ code: "identity.exists", status: 409 });
      expect(await vault.erase("0xunknown")).to.equal(false);
    });

    it("rejects an oversized photo, a non-base64 photo and unknown fields", async () => {
      const vault = createIdentityVault(db, key, { maxPhotoBytes: 30 });
      const cardId = () => "0x" + randomBytes(32).toString("hex");
      for (const bad of [
        { ...record, photo: Buffer.alloc(31).toString("base64") },
        { ...record, photo: "not base64!" },
        { ...record, email: "x@y" },
      ]) {
        const error = await vault.store(cardId(), bad).catch((e) => e);
        expect(error?.name, JSON.stringify(Object.keys(bad))).to.equal("ZodError");
      }
      expect(await vault.store(cardId(), { ...record, photo: Buffer.alloc(30).toString("base64") })).to.match(/^0x[0-9a-f]{64}$/);
    });
  });
});
