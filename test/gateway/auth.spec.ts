/**
 * Operator authentication (argon2 passwords, HS256 tokens, the role guard, the first-start
 * operators and the login route) and the identity vault (AES-256-GCM, salted commitment,
 * crypto-shredding). Runs on an embedded PGlite store in a temp dir.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import express from "express";
import { SignJWT } from "jose";
import request from "supertest";
import {
  createAuth,
  createIdentityVault,
  currentOperator,
  ensureInitialOperators,
  hashPassword,
  identityCommitment,
  loginRouter,
  verifyPassword,
  type Auth,
} from "../../src/auth";
import { notFoundHandler, problemHandler } from "../../src/http/problem";
import { openDb, type Db } from "../../src/store";

const SECRET = "0x" + "5e".repeat(32);

function appWith(auth: Auth, db: Db, limit = 10) {
  const app = express();
  app.use(loginRouter({ db, auth, limit }));
  app.get("/bank-only", auth.requireRole("bank"), (_req, res) => {
    res.json(currentOperator(res));
  });
  app.get("/staff", auth.requireRole("bank", "auditor"), (_req, res) => {
    res.json(currentOperator(res));
  });
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}

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

  describe("tokens", () => {
    const auth = createAuth({ secret: SECRET, ttlSeconds: 600 });

    it("round-trips the operator and expires after the TTL", async () => {
      const before = Date.now();
      const issued = await auth.issueToken({ username: "alice", role: "credit_center" });
      expect(issued.role).to.equal("credit_center");
      expect(Date.parse(issued.expiresAt) - before).to.be.within(598_000, 601_000);
      expect(await auth.verifyToken(issued.token)).to.deep.equal({ username: "alice", role: "credit_center" });
    });

    it("rejects a token signed with another secret, a tampered role and an expired token", async () => {
      const other = createAuth({ secret: "0x" + "77".repeat(32), ttlSeconds: 600 });
      const foreign = (await other.issueToken({ username: "mallory", role: "bank" })).token;
      const [h, p, s] = (await auth.issueToken({ username: "eve", role: "auditor" })).token.split(".");
      const claims = JSON.parse(Buffer.from(p, "base64url").toString());
      const tampered = [h, Buffer.from(JSON.stringify({ ...claims, role: "bank" })).toString("base64url"), s].join(".");
      const key = Buffer.from(SECRET.slice(2), "hex");
      const expired = await new SignJWT({ role: "bank" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("old")
        .setIssuer("credence-gateway")
        .setAudience("credence-operators")
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key);
      for (const [token, code] of [[foreign, "auth.invalid_token"], [tampered, "auth.invalid_token"], [expired, "auth.token_expired"]]) {
        const error = await auth.verifyToken(token).catch((e) => e);
        expect(error).to.include({ code, status: 401 });
      }
    });

    it("refuses a secret shorter than 32 bytes", () => {
      expect(() => createAuth({ secret: "0x" + "ab".repeat(16), ttlSeconds: 60 })).to.throw(/at least 32 bytes/);
    });
  });

  describe("requireRole", () => {
    const auth = createAuth({ secret: SECRET, ttlSeconds: 600 });
    const bearer = async (role: "bank" | "credit_center" | "auditor") =>
      `Bearer ${(await auth.issueToken({ username: `${role}-op`, role })).token}`;

    it("lets an allowed role through and exposes the operator", async () => {
      const app = appWith(auth, db);
      const res = await request(app).get("/staff").set("Authorization", await bearer("auditor")).expect(200);
      expect(res.body).to.deep.equal({ username: "auditor-op", role: "auditor" });
    });

    it("answers 401 problem+json with WWW-Authenticate without a token", async () => {
      const res = await request(appWith(auth, db)).get("/bank-only").expect(401);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
      expect(res.headers["www-authenticate"]).to.match(/^Bearer/);
      expect(res.body).to.include({ code: "auth.missing_token", status: 401, instance: "/bank-only" });
    });

    it("answers 401 for a garbage token and 403 for a valid token of another role", async () => {
      const app = appWith(auth, db);
      const garbage = await request(app).get("/bank-only").set("Authorization", "Bearer abc.def.ghi").expect(401);
      expect(garbage.body.code).to.equal("auth.invalid_token");
      const wrongRole = await request(app).get("/bank-only").set("Authorization", await bearer("credit_center")).expect(403);
      expect(wrongRole.body).to.include({ code: "auth.forbidden", status: 403 });
    });
  });

  describe("ensureInitialOperators and POST /v1/auth/login", () => {
    const auth = createAuth({ secret: SECRET, ttlSeconds: 600 });
    let credentials: { username: string; role: string; password: string }[];

    before(async () => {
      await db.query("delete from operators");
      const first = await ensureInitialOperators(db, dir);
      expect(first).to.deep.equal({ created: true, file: path.join(dir, "operators.json") });
      expect(fs.statSync(first.file).mode & 0o777).to.equal(0o600);
      credentials = JSON.parse(fs.readFileSync(first.file, "utf8")).operators;
    });

    it("creates one operator per role, storing only password hashes", async () => {
      expect(credentials.map((c) => c.role).sort()).to.deep.equal(["auditor", "bank", "credit_center"]);
      const rows = await db.query<{ username: string; password_hash: string }>("select username, password_hash from operators");
      expect(rows).to.have.length(3);
      for (const row of rows) {
        const c = credentials.find((x) => x.username === row.username)!;
        expect(row.password_hash).not.to.contain(c.password);
        expect(await verifyPassword(row.password_hash, c.password)).to.equal(true);
      }
    });

    it("does nothing on later starts", async () => {
      const before = fs.readFileSync(path.join(dir, "operators.json"), "utf8");
      expect((await ensureInitialOperators(db, dir)).created).to.equal(false);
      expect(fs.readFileSync(path.join(dir, "operators.json"), "utf8")).to.equal(before);
      expect(await db.query("select count(*)::int as n from operators")).to.deep.equal([{ n: 3 }]);
    });

    it("logs an operator in with the right password, and the token opens its role's routes", async () => {
      const app = appWith(auth, db);
      const bank = credentials.find((c) => c.role === "bank")!;
      const res = await request(app).post("/v1/auth/login").send({ username: bank.username, password: bank.password }).expect(200);
      expect(res.body.role).to.equal("bank");
      expect(Date.parse(res.body.expiresAt)).to.be.greaterThan(Date.now());
      await request(app).get("/bank-only").set("Authorization", `Bearer ${res.body.token}`).expect(200);
    });

    it("answers 401 for a wrong password and an unknown user alike, and 400 for a malformed body", async () => {
      const app = appWith(auth, db);
      const wrong = await request(app).post("/v1/auth/login").send({ username: "bank", password: "nope" }).expect(401);
      const unknown = await request(app).post("/v1/auth/login").send({ username: "ghost", password: "nope" }).expect(401);
      expect(wrong.body).to.deep.equal({ ...unknown.body, instance: wrong.body.instance });
      expect(wrong.body.code).to.equal("auth.invalid_credentials");
      const invalid = await request(app).post("/v1/auth/login").send({ username: "bank" }).expect(400);
      expect(invalid.body.code).to.equal("request.invalid");
      expect(invalid.body.errors[0]).to.include({ path: "password" });
    });

    it("rate-limits failed logins per client with 429 auth.rate_limited", async () => {
      const app = appWith(auth, db, 2);
      const bank = credentials.find((c) => c.role === "bank")!;
      await request(app).post("/v1/auth/login").send({ username: "bank", password: "x1" }).expect(401);
      await request(app).post("/v1/auth/login").send({ username: "bank", password: "x2" }).expect(401);
      const limited = await request(app).post("/v1/auth/login").send({ username: bank.username, password: bank.password }).expect(429);
      expect(limited.body.code).to.equal("auth.rate_limited");
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
