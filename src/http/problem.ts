/**
 * Errors as RFC 9457 problem details. Services throw `DomainError`s with a stable `code` from the
 * catalogue (src/domain/error-catalogue.ts, docs/error-codes.md) a terminal can switch on; ONE
 * express middleware renders every error as application/problem+json, its status from the code's
 * kind. Unknown errors become a bare 500 "internal": their message
 * (revert data, SQL, paths) is logged, never sent.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { DomainError } from "../domain/domain-error";
import { ERROR_CATALOGUE, type ErrorCode, type ProblemKind } from "../domain/error-catalogue";
import { UNSTORABLE_TEXT } from "../domain/storable-text";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
/** Problem `type` URIs are this prefix plus the code. */
export const PROBLEM_TYPE_PREFIX = "urn:credence:problem:";

/** The HTTP status of each kind of problem: the one place a domain error meets HTTP. */
export const KIND_STATUS: Readonly<Record<ProblemKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
};

/** The HTTP status of a catalogued code. */
export function statusOf(code: ErrorCode): number {
  return KIND_STATUS[ERROR_CATALOGUE[code].kind];
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: readonly unknown[];
}

/** The problem of a catalogued code: type, title and status from the catalogue. */
export function problemOf(code: ErrorCode, detail?: string, errors?: readonly unknown[]): Omit<Problem, "instance"> {
  const { title } = ERROR_CATALOGUE[code];
  return { type: PROBLEM_TYPE_PREFIX + code, title, status: statusOf(code), code, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) };
}

/** body-parser's errors (express.json) by their `type`, as catalogue codes. */
const BODY_PARSER_CODES: Readonly<Record<string, ErrorCode>> = {
  "entity.too.large": "request.too_large",
  "entity.parse.failed": "request.malformed_json",
  "encoding.unsupported": "request.unsupported_encoding",
  "charset.unsupported": "request.unsupported_encoding",
};

/** Maps any thrown value to a problem; the second member says whether it is a server fault. */
export function toProblem(err: unknown): { problem: Omit<Problem, "instance">; internal: boolean } {
  const make = (code: ErrorCode, detail?: string, errors?: readonly unknown[]) => {
    const problem = problemOf(code, detail, errors);
    return { problem, internal: problem.status >= 500 };
  };
  if (err instanceof DomainError) return make(err.code, err.detail, err.details);
  if (err instanceof z.ZodError) {
    const errors = err.issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));
    // Well-formed, but text the store cannot hold (U+0000): the request is understood and refused.
    if (err.issues.every((i) => i.code === "custom" && i.params?.[UNSTORABLE_TEXT] === true)) {
      return make("request.text_unstorable", `${errors.length} field(s) with U+0000`, errors);
    }
    return make("request.invalid", `${errors.length} invalid field(s)`, errors);
  }
  // A path parameter that is not valid percent-encoding ("/v1/cards/%ZZ"): express's router
  // throws the URIError of decodeURIComponent with status 400.
  if (err instanceof URIError) return make("request.malformed_path", "a path segment is not valid percent-encoding");
  // body-parser (express.json) errors carry a `type` and an http status.
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; limit?: unknown };
  if (e && typeof e === "object") {
    const code = typeof e.type === "string" ? BODY_PARSER_CODES[e.type] : undefined;
    if (code === "request.too_large") return make(code, typeof e.limit === "number" ? `the limit is ${e.limit} bytes` : undefined);
    if (code) return make(code);
    const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : undefined;
    if (e.expose === true && status !== undefined && status >= 400 && status < 500) return make("request.rejected");
  }
  return make("internal");
}

/** Writes a problem response (used by the error middleware and by guards that answer directly). */
export function sendProblem(req: Request, res: Response, problem: Omit<Problem, "instance">): void {
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .json({ ...problem, instance: req.originalUrl.split("?")[0] });
}

/** The last middleware: every error becomes problem+json. Server faults are logged with the request's logger. */
export const problemHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const { problem, internal } = toProblem(err);
  if (internal) {
    // requestLogger puts a logger carrying the request id on req.log; else stderr.
    const log = (req as { log?: { error(obj: object, msg: string): void } }).log;
    if (log) log.error({ err }, "unhandled error");
    else console.error("unhandled error", err);
  }
  sendProblem(req, res, problem);
};

/** Mount after all routes: anything unmatched is a 404 problem. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new DomainError({ code: "route.not_found", detail: `no route for ${req.method} ${req.path}` }));
};
