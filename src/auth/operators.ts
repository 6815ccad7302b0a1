/**
 * Operator accounts: the first-start bootstrap (one operator per role, random passwords written
 * ONLY to DATA_DIR/operators.json, mode 0600) and the login route POST /v1/auth/login, which
 * trades a username and password for a bearer token. Failed logins are rate-limited per client IP.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import express, { Router, type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import { z } from "zod";
import { DomainError } from "../http/problem";
import type { Db } from "../store/db";
import { MAX_PASSWORD_LENGTH, hashPassword, verifyPassword } from "./passwords";
import { OPERATOR_ROLES, type Auth, type OperatorRole } from "./tokens";
import { storableText } from "../domain/storable-text";

export const OPERATORS_FILE = "operators.json";
/** Any constant shared by all gateways; distinct from the migration lock. */
const BOOTSTRAP_LOCK_KEY = 0x6f70657261746f72n; // "operator"

/**
 * On first start (no operator at all), creates one operator per role with a random password
 * and writes the credentials to `${dataDir}/operators.json` (mode 0600), inside the creating
 * transaction: if the file cannot be written, no operator is created. Safe when several
 * gateways start at once. Never logs a password.
 */
export async function ensureInitialOperators(db: Db, dataDir: string): Promise<{ created: boolean; file: string }> {
  const file = path.join(dataDir, OPERATORS_FILE);
  let wrote = false;
  const created = await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1::bigint)", [BOOTSTRAP_LOCK_KEY.toString()]);
    const [{ n }] = await tx.query<{ n: number }>("select count(*)::int as n from operators");
    if (n > 0) return false;
    const operators = [];
    for (const role of OPERATOR_ROLES) {
      const password = randomBytes(18).toString("base64url");
      await tx.query("insert into operators (username, role, password_hash) values ($1, $2, $3)", [role, role, await hashPassword(password)]);
      operators.push({ username: role, role, password });
    }
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    const note = "Initial operator credentials, one per role. Log in, then change or delete this file.";
    fs.writeFileSync(tmp, JSON.stringify({ note, operators }, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(tmp, file);
    wrote = true;
    return true;
  }).catch((err: unknown) => {
    if (wrote) fs.rmSync(file, { force: true }); // the commit failed: these passwords do not exist
    throw err;
  });
  return { created, file };
}

export interface LoginRouterOptions {
  db: Db;
  auth: Auth;
  /** Failed attempts allowed per client IP and window (default 10 per 15 minutes). */
  limit?: number;
  windowMs?: number;
}

const loginSchema = z.object({
  username: storableText(z.string().min(1).max(64)),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

/**
 * Counts a client IP's failed requests (status 400 and above) and answers a 429 problem with
 * `code` once it has failed `limit` times in `windowMs` (default 10 per 15 minutes).
 */
export function failureLimiter(options: { code: string; title: string; limit?: number; windowMs?: number }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs ?? 15 * 60_000,
    limit: options.limit ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new DomainError({ code: options.code, status: 429, title: options.title, detail: "try again later" })),
  });
}

/** Verified against when the username is unknown, so timing does not reveal which usernames exist. */
let dummyHash: Promise<string> | undefined;

/**
 * POST /v1/auth/login {username, password} -> 200 {token, role, expiresAt}; 401
 * auth.invalid_credentials; 429 auth.rate_limited once a client has failed too often.
 * Set express's "trust proxy" deliberately behind a proxy, or all clients share one IP.
 */
export function loginRouter(options: LoginRouterOptions): Router {
  const router = Router();
  const limiter = failureLimiter({ ...options, code: "auth.rate_limited", title: "Too many login attempts" });
  router.post("/v1/auth/login", limiter, express.json({ limit: "4kb" }), (req, res, next) => {
    (async () => {
      const { username, password } = loginSchema.parse(req.body);
      const [row] = await options.db.query<{ username: string; role: OperatorRole; password_hash: string }>(
        "select username, role, password_hash from operators where username = $1",
        [username],
      );
      dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
      const ok = await verifyPassword(row?.password_hash ?? (await dummyHash), password);
      if (!row || !ok) {
        throw new DomainError({ code: "auth.invalid_credentials", status: 401, title: "Invalid credentials" });
      }
      res.json(await options.auth.issueToken({ username: row.username, role: row.role }));
    })().catch(next);
  });
  return router;
}
