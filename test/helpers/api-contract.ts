/**
 * The API as a contract: every answer a test receives from a gateway is checked against the
 * response schema its GET /openapi.json declares for that operation and status (ajv compiling
 * the document's own schemas; OpenAPI 3.0's `nullable` is an ajv keyword). A mismatch fails the
 * test that made the request, naming the operation, the status and the schema error.
 *
 * `installApiContract()` hooks the two ways tests call a gateway: supertest (every `request(url)`)
 * and the global `fetch`. The shared gateway fixtures install it, so every test gets it for free.
 * Only paths under /v1/ of a server that serves /openapi.json are checked.
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { Test } from "supertest";
import { isCatalogued } from "../../src/domain/error-catalogue";

interface OpenApiResponse {
  description?: string;
  content?: Record<string, { schema?: object }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components?: { schemas?: Record<string, object> };
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
  responses: Record<string, OpenApiResponse>;
}

/** An answer as a client saw it. */
export interface Answer {
  method: string;
  /** The request's URL (absolute) or path. */
  url: string;
  status: number;
  contentType: string | undefined;
  /** The body as text ("" when there is none). */
  text: string;
}

const PROBLEM_CONTENT_TYPE = "application/problem+json";
const CHECKED_PATHS = /^\/v1\//;

/** The response schemas of one OpenAPI document, compiled on first use. */
export class ApiContract {
  private readonly ajv: Ajv;
  private readonly operations: Operation[];
  private readonly compiled = new Map<object, ValidateFunction>();

  private readonly document: OpenApiDocument;

  constructor(document: OpenApiDocument) {
    this.document = withTypelessNullables(document);
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
    this.operations = Object.entries(this.document.paths).flatMap(([template, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp("^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "$"),
        params: (template.match(/\{/g) ?? []).length,
        responses: op.responses,
      })),
    );
  }

  /** Every operation the document declares, as "METHOD /path/{param}". */
  get operationNames(): string[] {
    return this.operations.map((o) => `${o.method} ${o.template}`);
  }

  /** What is wrong with an answer, or undefined when it matches the document. */
  mismatch(answer: Answer): string | undefined {
    const method = answer.method.toUpperCase();
    const path = pathOf(answer.url);
    const op = this.operationOf(method, path);
    const mediaType = (answer.contentType ?? "").split(";")[0].trim().toLowerCase();
    const name = op ? `${method} ${op.template}` : `${method} ${path}`;
    if (mediaType === PROBLEM_CONTENT_TYPE) {
      const code = problemCode(answer.text);
      // Only codes of the catalogue (docs/error-codes.md): a client can switch on nothing else.
      if (code !== undefined && !isCatalogued(code)) return `${name} answered ${answer.status} with code ${code}, which is not in the error catalogue`;
    }
    if (!op) {
      // No such operation: the gateway's answer is a problem (404 route.not_found, a malformed path).
      if (mediaType === PROBLEM_CONTENT_TYPE) return this.checkBody(name, answer, this.problemSchema());
      return `${name} answered ${answer.status} ${mediaType || "(no body)"}: no operation is documented for this path`;
    }
    // `default` documents refusals (problems); a success must be declared by its own status.
    const response = op.responses[String(answer.status)] ?? (answer.status >= 400 ? op.responses.default : undefined);
    if (!response) return `${name} answered ${answer.status}: the status is not documented (documented: ${Object.keys(op.responses).join(", ")})`;
    if (!response.content) {
      return answer.text === "" ? undefined : `${name} answered ${answer.status} with a body where the document declares none`;
    }
    const content = response.content[mediaType];
    if (!content) {
      return `${name} answered ${answer.status} as ${mediaType || "(no content type)"}: documented as ${Object.keys(response.content).join(", ")}`;
    }
    if (!mediaType.endsWith("json") || !content.schema) return undefined;
    return this.checkBody(name, answer, content.schema);
  }

  private checkBody(name: string, answer: Answer, schema: object): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return `${name} answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`;
    }
    const validate = this.validatorOf(schema);
    if (validate(body)) return undefined;
    const errors = this.ajv.errorsText(validate.errors, { dataVar: "body", separator: "; " });
    return `${name} answered ${answer.status} against its schema: ${errors}\n  body: ${answer.text.slice(0, 500)}`;
  }

  /** The operation a path matches; a literal segment wins over a parameter. */
  private operationOf(method: string, path: string): Operation | undefined {
    const normalised = path.length > 1 ? path.replace(/\/+$/, "") : path;
    return this.operations.filter((o) => o.method === method && o.pattern.test(normalised)).sort((a, b) => a.params - b.params)[0];
  }

  private problemSchema(): object {
    return { $ref: "#/components/schemas/Problem" };
  }

  /** A response schema compiled with the document's components beside it, so its `#/components/...` references resolve. */
  private validatorOf(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile({ ...schema, components: this.document.components ?? {} });
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}

/** The `code` of a problem body, or undefined when it has none (the schema check names that). */
function problemCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Schema keywords that only describe (a schema of nothing but these accepts any value). */
const ANNOTATIONS = new Set(["description", "example", "title", "deprecated", "nullable"]);

/**
 * OpenAPI 3.0 writes "any value, null too" as `{ nullable: true }` and a nullable reference as
 * `{ allOf: [{ $ref }], nullable: true }`; ajv takes `nullable` only beside a `type`. Those
 * become "anything" and `anyOf: [schema, { type: "null" }]`; the rest is copied as it is.
 */
function withTypelessNullables<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withTypelessNullables) as T;
  if (!value || typeof value !== "object") return value;
  const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTypelessNullables(v)])) as Record<string, unknown>;
  if (copy.nullable !== true || "type" in copy) return copy as T;
  const { nullable: _nullable, ...rest } = copy;
  if (Object.keys(rest).every((k) => ANNOTATIONS.has(k))) return rest as T;
  return { anyOf: [rest, { type: "null" }] } as T;
}

function pathOf(url: string): string {
  return url.startsWith("/") ? url.split("?")[0] : new URL(url).pathname;
}

const originalFetch = globalThis.fetch;
/** The contract of each gateway origin (undefined for servers that serve no /openapi.json). */
const contracts = new Map<string, Promise<ApiContract | undefined>>();

/** The contract the server at `origin` publishes, fetched once per origin. */
export function contractOf(origin: string): Promise<ApiContract | undefined> {
  let contract = contracts.get(origin);
  if (!contract) {
    contract = originalFetch(`${origin}/openapi.json`, { signal: AbortSignal.timeout(10_000) })
      .then(async (res) => (res.ok ? new ApiContract((await res.json()) as OpenApiDocument) : undefined))
      .catch(() => undefined);
    contracts.set(origin, contract);
    // A server gone (or not up yet) is asked again next time.
    void contract.then((c) => c === undefined && contracts.delete(origin));
  }
  return contract;
}

/** What is wrong with an answer of a gateway, or undefined (also for paths and servers that are not checked). */
export async function answerMismatch(answer: Answer): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(answer.url);
  } catch {
    return undefined;
  }
  if (!CHECKED_PATHS.test(url.pathname) || answer.method.toUpperCase() === "HEAD" || answer.method.toUpperCase() === "OPTIONS") return undefined;
  const mismatch = (await contractOf(url.origin))?.mismatch(answer);
  if (!mismatch) return undefined;
  // A port is reused once its server stops: the contract cached for the origin may be another
  // server's. Ask the origin again before failing the answer.
  contracts.delete(url.origin);
  return (await contractOf(url.origin))?.mismatch(answer);
}

/** An answer that breaks the contract, as the error a test fails with. */
export class ContractViolation extends Error {
  constructor(message: string) {
    super(`response does not match /openapi.json: ${message}`);
    this.name = "ContractViolation";
  }
}

const INSTALLED = Symbol.for("credence.apiContract");

type AssertFn = (this: Test, resError: unknown, res: { status: number; headers: Record<string, string>; text?: string } | undefined, fn?: (err: unknown, res: unknown) => void) => void;

/** Checks every answer tests receive through supertest and fetch against the gateway's document. Idempotent. */
export function installApiContract(): void {
  const global = globalThis as { [INSTALLED]?: boolean };
  if (global[INSTALLED]) return;
  global[INSTALLED] = true;

  const proto = Test.prototype as unknown as { assert: AssertFn; url: string; method: string };
  const assert = proto.assert;
  proto.assert = function (this: Test & { url: string; method: string }, resError, res, fn) {
    if (!res) return assert.call(this, resError, res, fn);
    answerMismatch({ method: this.method, url: this.url, status: res.status, contentType: res.headers["content-type"], text: res.text ?? "" }).then(
      (mismatch) => (mismatch ? fn?.call(this, new ContractViolation(mismatch), res) : assert.call(this, resError, res, fn)),
      (err: unknown) => fn?.call(this, err, res),
    );
  };

  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await originalFetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    if (!CHECKED_PATHS.test(safePath(url))) return res;
    const text = await res.clone().text();
    const mismatch = await answerMismatch({ method, url, status: res.status, contentType: res.headers.get("content-type") ?? undefined, text });
    if (mismatch) throw new ContractViolation(mismatch);
    return res;
  };
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}
