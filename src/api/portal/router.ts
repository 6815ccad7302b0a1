/**
 * The portal's HTTP routes (ADR 0006). For the bank (a passkey session of the bank): a card's or
 * a merchant's activation code. For holders: activation, sign-in, the session, sign-out, and the
 * reads of their own account, each answering 404 for any account but the session's (OWASP API1).
 * Every state-changing portal request, and every one carrying the portal cookie, must come from
 * the gateway's public origin (with the SameSite=Strict cookie, the CSRF defence).
 */
import { Router, type Request, type RequestHandler, type Response } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { defineRoute } from "../route";
import { DomainError } from "../../domain/domain-error";
import { cardParams, merchantParams as operatorMerchantParams } from "../operations/schemas";
import { currentSession, requireSession } from "../operator-session/router";
import { authenticationResponseSchema, challengeSchema, registrationResponseSchema } from "../operator-session/schemas";
import { issuedId } from "../schemas";
import type { PortalPasskeys } from "./passkeys";
import type { OperatorSessions } from "../operator-session/service";
import type { ReadService } from "../reads/service";
import type { PortalSubject } from "../../store/portal-records";
import { PORTAL_SESSION_MAX_MS, PortalLocked, type PortalAccounts } from "./accounts";
import { daysCsv, notFound, type PortalReads } from "./reads";
import type { LostCardReports } from "./lost-card";
import {
  accountName,
  accountParams,
  activationBody,
  activationCodeSchema,
  consumerHistoryQuery,
  consumerViewSchema,
  daysSchema,
  historyQuery,
  historySchema,
  lostCardReportSchema,
  merchantParams,
  merchantViewSchema,
  portalAccountSchema,
  signInBody,
} from "./schemas";

export const PORTAL_COOKIE = "credence_portal";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The portal cookie's value, if the request carries one (as sent when it is not valid percent-encoding: it then matches no session). */
export function portalToken(req: Request): string | undefined {
  const part = (req.headers.cookie ?? "").split(";").find((p) => p.trim().startsWith(`${PORTAL_COOKIE}=`));
  if (part === undefined) return undefined;
  const value = part.trim().slice(PORTAL_COOKIE.length + 1);
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Refuses a state-changing portal request, or one with the portal cookie, from any other origin. */
export function portalOriginCheck(origin: string): RequestHandler {
  return (req, _res, next) => {
    const portal = req.path.startsWith("/v1/portal/") || portalToken(req) !== undefined;
    if (SAFE_METHODS.has(req.method) || !portal || req.headers.origin === origin) return next();
    next(new DomainError({ code: "session.origin_mismatch", detail: `portal requests must come from ${origin}` }));
  };
}

/** Guard: a live portal session; puts its account in res.locals.portal. */
function requirePortalSession(accounts: PortalAccounts): RequestHandler {
  return (req, res, next) => {
    const token = portalToken(req);
    if (!token) return next(new DomainError({ code: "portal.session_required", detail: "sign in with your account and password" }));
    accounts
      .resolve(token)
      .then((account) => {
        if (!account) throw new DomainError({ code: "portal.session_ended", detail: "sign in again" });
        res.locals.portal = account;
        next();
      })
      .catch(next);
  };
}

function portalAccount(res: Response): PortalSubject {
  return res.locals.portal as PortalSubject;
}

/** The signed-in account when it is `kind` `subject`; 404 otherwise (whether or not that exists). */
function own(res: Response, kind: PortalSubject["kind"], subject: string): void {
  const a = portalAccount(res);
  if (a.kind !== kind || a.subject !== subject) throw notFound();
}

export interface PortalRouteDeps {
  accounts: PortalAccounts;
  passkeys: PortalPasskeys;
  reads: PortalReads;
  lostCards: LostCardReports;
  chainReads: ReadService;
  sessions: OperatorSessions;
  /** The origin browsers reach the gateway at; the cookie is Secure when it is https. */
  origin: string;
}

export function portalRoutes(registry: OpenAPIRegistry, deps: PortalRouteDeps): Router {
  const router = Router();
  const tags = ["portal"];
  const { accounts, reads } = deps;
  const secure = deps.origin.startsWith("https:");
  const cookie = { httpOnly: true, sameSite: "strict" as const, path: "/", secure };
  const signedIn = requirePortalSession(accounts);
  const operatorSession = requireSession(deps.sessions);
  const bankSession: RequestHandler = (req, res, next) =>
    operatorSession(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (currentSession(res).institution !== "bank") return next(new DomainError({ code: "auth.forbidden", detail: "only the bank issues activation codes" }));
      next();
    });
  const withRetryAfter = async <T>(res: Response, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PortalLocked) res.setHeader("retry-after", String(err.retryAfterSeconds));
      throw err;
    }
  };
  const codeResponses = { 200: { description: "The code, shown once", schema: activationCodeSchema }, 403: { description: "auth.forbidden (not the bank)" } };

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/activation-code", summary: "A new portal activation code for a consumer card's account (bank; replaces any earlier code: also the password reset)", tags, guard: bankSession, params: cardParams, responses: { ...codeResponses, 404: { description: "card.not_found" }, 409: { description: "card.closed" }, 422: { description: "portal.merchant_card" } } }, async ({ params }) => {
    const card = await deps.chainReads.card(params.cardId);
    if (card.kind !== "consumer") throw new DomainError({ code: "portal.merchant_card", detail: "ask for the merchant's activation code instead" });
    if (card.status === "closed") throw new DomainError({ code: "card.closed", detail: "a closed card's account has no portal access" });
    return { status: 200, body: await accounts.issueCode({ kind: "consumer", subject: card.account }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/merchants/:merchantId/activation-code", summary: "A new portal activation code for a merchant's account (bank; replaces any earlier code: also the password reset)", tags, guard: bankSession, params: operatorMerchantParams, responses: { ...codeResponses, 404: { description: "merchant.unknown" } } }, async ({ params }) => {
    await deps.chainReads.merchant(params.merchantId);
    return { status: 200, body: await accounts.issueCode({ kind: "merchant", subject: String(params.merchantId) }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/portal/activation", summary: "Activate a portal account: the bank's code and a new password", tags, body: activationBody, responses: { 200: { description: "Activated: sign in with the password", schema: portalAccountSchema.pick({ account: true }) }, 401: { description: "portal.code_refused" }, 422: { description: "portal.password_too_short, portal.password_too_long, portal.password_common" }, 429: { description: "portal.client_locked" } } }, async ({ body, req, res }) =>
    withRetryAfter(res, async () => ({ status: 200, body: await accounts.activate(body.account, body.code, body.password, clientOf(req)) })),
  );

  defineRoute(router, registry, { method: "post", path: "/v1/portal/session", summary: "Sign in to the portal with account name and password (sets the session cookie)", tags, body: signInBody, responses: { 200: { description: "Signed in", schema: portalAccountSchema }, 401: { description: "portal.invalid_credentials" }, 429: { description: "portal.account_locked, portal.client_locked (Retry-After)" } } }, async ({ body, req, res }) =>
    withRetryAfter(res, async () => {
      const { account, token } = await accounts.signIn(body.account, body.password, clientOf(req));
      res.cookie(PORTAL_COOKIE, token, { ...cookie, maxAge: PORTAL_SESSION_MAX_MS });
      return { status: 200, body: { account: accountName(account), ...account } };
    }),
  );

  const challengeBody = { challengeId: issuedId };
  defineRoute(router, registry, { method: "post", path: "/v1/portal/passkeys/options", summary: "Options to create a passkey for the signed-in account", tags, guard: signedIn, responses: { 200: { description: "WebAuthn creation options", schema: challengeSchema } } }, async ({ res }) => ({
    status: 200,
    body: await deps.passkeys.addOptions(portalAccount(res)),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/portal/passkeys", summary: "Add the passkey created over the options (another way to sign in)", tags, guard: signedIn, body: z.object({ ...challengeBody, response: registrationResponseSchema }), responses: { 200: { description: "Added", schema: z.object({ credentialId: z.string() }) }, 400: { description: "portal.passkey_registration_refused" }, 401: { description: "portal.challenge_unknown" }, 409: { description: "portal.passkey_registered" } } }, async ({ body, res }) => ({
    status: 200,
    body: await deps.passkeys.add(portalAccount(res), body.challengeId, body.response),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/portal/passkey-session/options", summary: "A challenge to sign in to the portal with a passkey", tags, responses: { 200: { description: "WebAuthn request options", schema: challengeSchema } } }, async () => ({
    status: 200,
    body: await deps.passkeys.signInOptions(),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/portal/passkey-session", summary: "Sign in to the portal with a passkey's assertion (sets the session cookie)", tags, body: z.object({ ...challengeBody, response: authenticationResponseSchema }), responses: { 200: { description: "Signed in", schema: portalAccountSchema }, 401: { description: "portal.challenge_unknown, portal.passkey_refused" }, 429: { description: "portal.client_locked (Retry-After)" } } }, async ({ body, req, res }) =>
    withRetryAfter(res, async () => {
      const { account, token } = await deps.passkeys.signIn(body.challengeId, body.response, clientOf(req));
      res.cookie(PORTAL_COOKIE, token, { ...cookie, maxAge: PORTAL_SESSION_MAX_MS });
      return { status: 200, body: { account: accountName(account), ...account } };
    }),
  );

  defineRoute(router, registry, { method: "get", path: "/v1/portal/session", summary: "The signed-in portal account", tags, guard: signedIn, responses: { 200: { description: "Signed in", schema: portalAccountSchema }, 401: { description: "portal.session_required, portal.session_ended" } } }, async ({ res }) => {
    const account = portalAccount(res);
    return { status: 200, body: { account: accountName(account), ...account } };
  });

  defineRoute(router, registry, { method: "delete", path: "/v1/portal/session", summary: "Sign out of the portal (ends the session)", tags, responses: { 204: { description: "Signed out" } } }, async ({ req, res }) => {
    const token = portalToken(req);
    if (token) await accounts.signOut(token);
    res.clearCookie(PORTAL_COOKIE, cookie);
    return { status: 204 };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/portal/accounts/:account", summary: "The signed-in consumer's card, points and credit", tags, guard: signedIn, params: accountParams, responses: { 200: { description: "The account", schema: consumerViewSchema }, 404: { description: "portal.not_found (any account but the session's)" } } }, async ({ params, res }) => {
    own(res, "consumer", params.account);
    return { status: 200, body: await reads.consumer(params.account) };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/portal/accounts/:account/history", summary: "The signed-in consumer's points movements, newest first, one cursor page at a time from the read index, of one kind if asked", tags, guard: signedIn, params: accountParams, query: consumerHistoryQuery, responses: { 200: { description: "Movements", schema: historySchema }, 404: { description: "portal.not_found" } } }, async ({ params, query, res }) => {
    own(res, "consumer", params.account);
    return { status: 200, body: await reads.history(params.account, query.before, query.movement) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/portal/accounts/:account/lost", summary: "Report the signed-in consumer's card lost: freezes it at once (only the bank unfreezes); answers once mined, and again as frozen if repeated", tags, guard: signedIn, params: accountParams, responses: { 200: { description: "The card is frozen", schema: lostCardReportSchema }, 401: { description: "portal.session_required, portal.session_ended" }, 403: { description: "session.origin_mismatch" }, 404: { description: "portal.not_found (any account but the session's)" }, 409: { description: "card.closed" }, 503: { description: "portal.lost_report_unavailable" } } }, async ({ params, res }) => {
    own(res, "consumer", params.account);
    return { status: 200, body: await deps.lostCards.report(params.account) };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/portal/merchants/:merchantId", summary: "The signed-in merchant's agreement, totals and credit", tags, guard: signedIn, params: merchantParams, responses: { 200: { description: "The merchant", schema: merchantViewSchema }, 404: { description: "portal.not_found" } } }, async ({ params, res }) => {
    own(res, "merchant", params.merchantId);
    return { status: 200, body: await reads.merchant(Number(params.merchantId)) };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/portal/merchants/:merchantId/days", summary: "The signed-in merchant's settlements, refunds and redemptions by day and terminal, 31 days a page from the read index", tags, guard: signedIn, params: merchantParams, query: historyQuery, responses: { 200: { description: "Per day and terminal", schema: daysSchema }, 404: { description: "portal.not_found" } } }, async ({ params, query, res }) => {
    own(res, "merchant", params.merchantId);
    return { status: 200, body: await reads.merchantDays(Number(params.merchantId), query.before) };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/portal/merchants/:merchantId/days.csv", summary: "The same figures as CSV", tags, guard: signedIn, params: merchantParams, query: historyQuery, responses: { 200: { description: "CSV, one row per day and terminal", contentType: "text/csv" }, 404: { description: "portal.not_found" } } }, async ({ params, query, res }) => {
    own(res, "merchant", params.merchantId);
    const { days } = await reads.merchantDays(Number(params.merchantId), query.before);
    return { status: 200, contentType: "text/csv; charset=utf-8", body: daysCsv(days), headers: { "content-disposition": `attachment; filename="merchant-${params.merchantId}-days.csv"` } };
  });

  return router;
}

/** The client's address as express sees it (X-Forwarded-For only from the proxies TRUST_PROXY names). */
function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
