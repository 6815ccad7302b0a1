/**
 * Operator authentication (argon2 passwords, HS256 tokens, the role guard, the first-start
 * operators and the login route) and the identity vault (AES-256-GCM, salted commitment,
 * crypto-shredding). Runs on an embedded PGlite store in a temp dir.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import express from "express";
import { SignJWT } from "jose";
import request from "supertest";
import {
  createAuth,
  currentOperator,
  ensureInitialOperators,
  hashPassword,
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
});
