/**
 * Operator bearer tokens: HS256 JWTs (jose) with sub = username and a role claim, signed with
 * the gateway's token secret (DATA_DIR/keys.json or TOKEN_SECRET), and the `requireRole` guard
 * that checks them on each request. Stateless: any gateway sharing the secret verifies them.
 */
import { randomBytes } from "node:crypto";
import type { RequestHandler, Response } from "express";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { DomainError } from "../http/problem";

export const OPERATOR_ROLES = ["bank", "credit_center", "auditor"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface Operator {
  username: string;
  role: OperatorRole;
}

export interface IssuedToken {
  token: string;
  role: OperatorRole;
  /** ISO 8601. */
  expiresAt: string;
}

export interface AuthOptions {
  /** At least 32 bytes: raw, or hex (0x prefix optional). */
  secret: string | Uint8Array;
  ttlSeconds: number;
}

export interface Auth {
  issueToken(operator: Operator): Promise<IssuedToken>;
  /** Throws a 401 DomainError (auth.invalid_token / auth.token_expired). */
  verifyToken(token: string): Promise<Operator>;
  /** Guard: a valid bearer token of one of `roles`; puts the operator in res.locals.operator. */
  requireRole(...roles: OperatorRole[]): RequestHandler;
}

const ISSUER = "credence-gateway";
const AUDIENCE = "credence-operators";
const claimsSchema = z.object({ sub: z.string().min(1), role: z.enum(OPERATOR_ROLES) });

export function createAuth(options: AuthOptions): Auth {
  const key = secretBytes(options.secret);
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) throw new RangeError("ttlSeconds must be a positive integer");

  const issueToken = async (operator: Operator): Promise<IssuedToken> => {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + options.ttlSeconds;
    const token = await new SignJWT({ role: operator.role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(operator.username)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomBytes(12).toString("base64url"))
      .sign(key);
    return { token, role: operator.role, expiresAt: new Date(exp * 1000).toISOString() };
  };

  const verifyToken = async (token: string): Promise<Operator> => {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
      const claims = claimsSchema.parse(payload);
      return { username: claims.sub, role: claims.role };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new DomainError({ code: "auth.token_expired", status: 401, title: "Token expired", detail: "log in again" });
      }
      throw new DomainError({ code: "auth.invalid_token", status: 401, title: "Invalid token" });
    }
  };

  const requireRole = (...roles: OperatorRole[]): RequestHandler => {
    if (roles.length === 0) throw new Error("requireRole needs at least one role");
    return (req, res, next) => {
      res.setHeader("WWW-Authenticate", 'Bearer realm="credence"');
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.authorization ?? "");
      if (!match) {
        next(new DomainError({ code: "auth.missing_token", status: 401, title: "Authentication required", detail: "send Authorization: Bearer <token>" }));
        return;
      }
      verifyToken(match[1])
        .then((operator) => {
          if (!roles.includes(operator.role)) {
            throw new DomainError({ code: "auth.forbidden", status: 403, title: "Forbidden", detail: `requires role ${roles.join(" or ")}` });
          }
          res.removeHeader("WWW-Authenticate");
          res.locals.operator = operator;
          next();
        })
        .catch(next);
    };
  };

  return { issueToken, verifyToken, requireRole };
}

/** The operator `requireRole` authenticated for this request. */
export function currentOperator(res: Response): Operator {
  const operator = res.locals.operator as Operator | undefined;
  if (!operator) throw new Error("currentOperator used on a route without requireRole");
  return operator;
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes =
    typeof secret === "string"
      ? /^(0x)?[0-9a-fA-F]+$/.test(secret)
        ? Buffer.from(secret.replace(/^0x/, ""), "hex")
        : Buffer.from(secret, "utf8")
      : secret;
  if (bytes.length < 32) throw new RangeError("the token secret must have at least 32 bytes");
  return new Uint8Array(bytes);
}
