/**
 * `defineRoute` mounts one endpoint and documents it from the same zod schemas: params, query and
 * body are parsed (a ZodError becomes a 400 problem), the handler receives typed values and
 * returns a status and a body. Handlers stay thin: they call a service and shape its answer.
 * Every answer is documented: a success by its schema (a route without one does not start), a
 * refusal as a problem.
 */
import type { Request, RequestHandler, Response, Router } from "express";
import { z } from "zod";
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { problemSchema } from "./schemas";
import { PROBLEM_CONTENT_TYPE } from "../http/problem";

type Method = "get" | "post" | "put" | "patch" | "delete";

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** Express-style path, e.g. /v1/cards/:cardId */
  path: string;
  summary: string;
  tags: string[];
  /** Middleware run before parsing (authentication). `secured` documents the operator session cookie. */
  guard?: RequestHandler;
  secured?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

export interface Parsed<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  req: Request;
  res: Response;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body with this content type instead of JSON. */
  contentType?: string;
}

const empty = z.object({});

export function defineRoute<P extends AnyObject = typeof empty, Q extends AnyObject = typeof empty, B extends z.ZodType = typeof empty>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<P, Q, B>,
  handler: (input: Parsed<P, Q, B>) => Promise<Reply>,
): void {
  const responses: RouteConfig["responses"] = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    if (r.schema || r.contentType) {
      responses[status] = { description: r.description, content: { [r.contentType ?? "application/json"]: { schema: r.schema ?? z.string() } } };
    }
    // A refusal listed by its codes is a problem like any other.
    else if (Number(status) >= 400) responses[status] = problemResponse(r.description);
    else if (Number(status) === 204) responses[status] = { description: r.description };
    else throw new Error(`${spec.method.toUpperCase()} ${spec.path}: response ${status} has no schema`);
  }
  responses.default = problemResponse("Problem details");
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:(\w+)/g, "{$1}"),
    summary: spec.summary,
    tags: spec.tags,
    security: spec.secured ? [{ operatorSession: [] }] : undefined,
    request: {
      params: spec.params,
      query: spec.query,
      body: spec.body ? { content: { "application/json": { schema: spec.body } }, required: true } : undefined,
    },
    responses,
  });
  const run: RequestHandler = (req, res, next) => {
    Promise.resolve()
      .then(async () => {
        const input = {
          params: (spec.params ?? empty).parse(req.params),
          query: (spec.query ?? empty).parse(req.query),
          body: (spec.body ?? z.unknown()).parse(req.body),
          req,
          res,
        } as Parsed<P, Q, B>;
        const reply = await handler(input);
        for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
        if (reply.contentType) res.status(reply.status).type(reply.contentType).send(reply.body);
        else if (reply.body === undefined) res.status(reply.status).end();
        else sendJson(res, reply.status, stringify(reply.body));
      })
      .catch(next);
  };
  router[spec.method](spec.path, ...(spec.guard ? [spec.guard, run] : [run]));
}

function problemResponse(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

/**
 * Writes a JSON answer directly. express's `send` would also hash every body into an ETag and
 * check it against the request's conditional headers: work on each of thousands of terminal
 * answers a second, for answers that are never cached (submissions, live balances).
 */
function sendJson(res: Response, status: number, body: string): void {
  res.status(status);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

/** JSON with bigints as decimal strings (uint256 never becomes a lossy Number). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
