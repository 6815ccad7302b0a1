/**
 * Operator sessions over HTTP: POST /v1/operator-session/options, POST/GET/DELETE
 * /v1/operator-session, GET /v1/operators; the `requireSession` and `requireInstitution` guards of
 * every operator route; and the origin check every state-changing request carrying the session cookie must
 * pass (the cookie is SameSite=Strict as well). Failed sign-ins are rate-limited per client IP.
 */
import { Router, type RequestHandler, type Request, type Response } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { defineRoute } from "../route";
import { DomainError } from "../../domain/domain-error";
import type { ErrorCode } from "../../domain/error-catalogue";
import { rateLimit } from "express-rate-limit";
import { SESSION_MAX_MS, type Operator, type OperatorSessions } from "./service";
import { challengeSchema, credentialIdSchema, operatorSchema, signInBody, type Institution } from "./schemas";

export const SESSION_COOKIE = "credence_operator";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session cookie's value, if the request carries one. */
export function sessionToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** Refuses a state-changing request that carries the session cookie from any other origin. */
export function sessionOriginCheck(origin: string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || sessionToken(req) === undefined || req.headers.origin === origin) return next();
    next(new DomainError({ code: "session.origin_mismatch", detail: `requests with the session cookie must come from ${origin}` }));
  };
}

/** Guard: a live session of an Active credential; puts it in res.locals.session. */
export function requireSession(sessions: OperatorSessions): RequestHandler {
  return (req, res, next) => {
    const token = sessionToken(req);
    if (!token) return next(new DomainError({ code: "session.required", detail: "sign in with a passkey" }));
    sessions
      .resolve(token)
      .then((operator) => {
        if (!operator) throw new DomainError({ code: "session.ended", detail: "sign in again" });
        res.locals.session = operator;
        next();
      })
      .catch(next);
  };
}

/** Guard: as `requireSession`, and the credential is of `institution` (else 403 session.wrong_institution). */
export function requireInstitution(sessions: OperatorSessions, institution: Institution): RequestHandler {
  const session = requireSession(sessions);
  return (req, res, next) =>
    session(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (currentSession(res).institution === institution) return next();
      next(new DomainError({ code: "session.wrong_institution", detail: `only operators of the ${institution} ask for this` }));
    });
}

/**
 * Counts a client IP's failed requests (status 400 and above) and answers a 429 problem with
 * `code` once it has failed `limit` times in `windowMs` (default 10 per 15 minutes).
 */
export function failureLimiter(options: { code: ErrorCode; limit?: number; windowMs?: number }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs ?? 15 * 60_000,
    limit: options.limit ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new DomainError({ code: options.code, detail: "try again later" })),
  });
}

/** The operator `requireSession` authenticated. */
export function currentSession(res: Response): Operator {
  const operator = res.locals.session as Operator | undefined;
  if (!operator) throw new Error("currentSession used on a route without requireSession");
  return operator;
}

export interface SessionRouterOptions {
  /** Failed sign-ins allowed per client IP and window (default 10 per 15 minutes). */
  limit?: number;
  windowMs?: number;
}

export function operatorSessionRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, options: SessionRouterOptions = {}): Router {
  const router = Router();
  const tags = ["operator sessions"];
  const guard = requireSession(sessions);
  const secure = sessions.settings.origin.startsWith("https:");
  const limiter = failureLimiter({ ...options, code: "session.rate_limited" });
  router.post("/v1/operator-session", limiter);

  defineRoute(router, registry, { method: "post", path: "/v1/operator-session/options", summary: "A passkey sign-in challenge", tags, responses: { 200: { description: "WebAuthn request options", schema: challengeSchema } } }, async () => ({
    status: 200,
    body: await sessions.signInOptions(),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/operator-session", summary: "Sign in with a passkey assertion over the challenge (sets the session cookie)", tags, body: signInBody, responses: { 200: { description: "Signed in", schema: operatorSchema }, 401: { description: "session.challenge_unknown, session.assertion_refused" }, 429: { description: "session.rate_limited" } } }, async ({ body, res }) => {
    const { operator, token } = await sessions.signIn(body.challengeId, body.response, body.credentialId);
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: "strict", path: "/", secure, maxAge: SESSION_MAX_MS });
    return { status: 200, body: operator };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/operator-session", summary: "The signed-in operator", tags, guard, secured: true, responses: { 200: { description: "Signed in", schema: operatorSchema }, 401: { description: "session.required, session.ended" } } }, async ({ res }) => ({
    status: 200,
    body: currentSession(res),
  }));

  defineRoute(router, registry, { method: "delete", path: "/v1/operator-session", summary: "Sign out (ends the session)", tags, responses: { 204: { description: "Signed out" } } }, async ({ req, res }) => {
    const token = sessionToken(req);
    if (token) await sessions.signOut(token);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "strict", path: "/", secure });
    return { status: 204 };
  });

  const operatorsList = z.object({
    operators: z.array(z.object({ credentialId: credentialIdSchema, operatorId: z.string(), kind: z.enum(["passkey", "hsm"]), status: z.enum(["active", "removed"]) })),
  });
  defineRoute(router, registry, { method: "get", path: "/v1/operators", summary: "The credentials of the signed-in operator's institution", tags, guard, secured: true, responses: { 200: { description: "Credentials", schema: operatorsList } } }, async ({ res }) => {
    const credentials = await sessions.credentialsOf(currentSession(res).institution);
    return { status: 200, body: { operators: credentials.map(({ credentialId, operatorId, kind, status }) => ({ credentialId, operatorId, kind, status })) } };
  });

  return router;
}
