/**
 * Errors as RFC 9457 problem details. Services throw `DomainError`s with a stable `code`
 * ("slip.total_mismatch") a terminal can switch on; ONE express middleware renders every error
 * as application/problem+json. Unknown errors become a bare 500 "internal": their message
 * (revert data, SQL, paths) is logged, never sent.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { UNSTORABLE_TEXT } from "../domain/storable-text";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
/** Problem `type` URIs are this prefix plus the code. */
export const PROBLEM_TYPE_PREFIX = "urn:credence:problem:";

export interface DomainErrorInit {
  /** Stable, dotted, lower snake case: "slip.total_mismatch". */
  code: string;
  /** HTTP status the error maps to. */
  status: number;
  /** Short, human-readable summary of the problem type (the same for every occurrence). */
  title: string;
  /** This occurrence, for a human. Must not carry secrets or personal data. */
  detail?: string;
  /** Machine-readable extras, rendered as `errors`. */
  details?: readonly unknown[];
}

export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly details?: readonly unknown[];

  constructor(init: DomainErrorInit) {
    super(init.detail ? `${init.code}: ${init.detail}` : init.code);
    this.name = "DomainError";
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.details = init.details;
  }
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

/** Maps any thrown value to a problem; the second member says whether it is a server fault. */
export function toProblem(err: unknown): { problem: Omit<Problem, "instance">; internal: boolean } {
  const make = (code: string, status: number, title: string, detail?: string, errors?: readonly unknown[]) => ({
    problem: { type: PROBLEM_TYPE_PREFIX + code, title, status, code, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) },
    internal: status >= 500,
  });
  if (err instanceof DomainError) return make(err.code, err.status, err.title, err.detail, err.details);
  if (err instanceof z.ZodError) {
    const errors = err.issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));
    // Well-formed, but text the store cannot hold (U+0000): the request is understood and refused.
    if (err.issues.every((i) => i.code === "custom" && i.params?.[UNSTORABLE_TEXT] === true)) {
      return make("request.text_unstorable", 422, "Text cannot be stored", `${errors.length} field(s) with U+0000`, errors);
    }
    return make("request.invalid", 400, "Invalid request", `${errors.length} invalid field(s)`, errors);
  }
  // A path parameter that is not valid percent-encoding ("/v1/cards/%ZZ"): express's router
  // throws the URIError of decodeURIComponent with status 400.
  if (err instanceof URIError) return make("request.malformed_path", 400, "Malformed URL path", "a path segment is not valid percent-encoding");
  // body-parser (express.json) errors carry a `type` and an http status.
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; limit?: unknown };
  if (e && typeof e === "object") {
    if (e.type === "entity.too.large") {
      return make("request.too_large", 413, "Request body too large", typeof e.limit === "number" ? `the limit is ${e.limit} bytes` : undefined);
    }
    if (e.type === "entity.parse.failed") return make("request.malformed_json", 400, "Malformed JSON body");
    const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : undefined;
    if (e.expose === true && status !== undefined && status >= 400 && status < 500) {
      return make("request.rejected", status, "Request rejected");
    }
  }
  return make("internal", 500, "Internal error");
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
  next(new DomainError({ code: "route.not_found", status: 404, title: "Not found", detail: `no route for ${req.method} ${req.path}` }));
};
