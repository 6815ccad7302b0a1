/**
 * Hostile requests against every operation a gateway's /openapi.json declares, generated with
 * fast-check: path parameters, queries and bodies of wrong types, huge strings, NUL, lone
 * surrogates and invalid UTF-8, bad percent-encoding, deep JSON and numbers at and beyond their
 * bounds, with and without an operator session. Each request is sent alone and checked:
 *
 * - no answer 5xx, and an answer within the timeout (else it counts as a hang);
 * - a problem's code is one of the catalogue (src/domain/error-catalogue.ts, docs/error-codes.md);
 * - the answer matches the operation's documented response (test/helpers/api-contract.ts);
 * - a refused request (4xx) leaves the ledger (latest block and state root) and the store (every
 *   row, but a session's last-seen time and the sign-in failure counters a refusal is meant to
 *   keep) as they were.
 */
import fc from "fast-check";
import http from "node:http";
import { createHash } from "node:crypto";
import type { Db } from "../../src/store/db";
import type { LedgerClient } from "../../src/chain/ledger-client";
import { isCatalogued } from "../../src/domain/error-catalogue";
import { contractOf, type ApiContract } from "../helpers/api-contract";

/** What one run found. */
export interface FuzzReport {
  requests: number;
  serverErrors: number;
  hangs: number;
  ledgerChanges: number;
  unknownCodes: number;
  contractViolations: number;
  /** The first few failures, for a human. */
  examples: string[];
}

/** The line `npm run test:fuzz` prints. */
export function summaryLine(r: FuzzReport): string {
  return `fuzz: requests=${r.requests} 5xx=${r.serverErrors} hangs=${r.hangs} ledger_changes=${r.ledgerChanges} unknown_codes=${r.unknownCodes}`;
}

export interface FuzzTarget {
  url: string;
  db: Db;
  chain: LedgerClient;
  /** A signed-in operator's session cookie, and the origin its state-changing requests come from. */
  session: { cookie: string; origin: string };
}

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  example?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  schema?: Schema;
}

interface OperationDoc {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export interface Operation {
  method: string;
  template: string;
  params: Parameter[];
  body?: Schema;
}

/** A request as sent: a raw path (already percent-encoded, possibly badly), headers and raw body bytes. */
export interface HostileRequest {
  method: string;
  operation: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  withSession: boolean;
}

/** Operations that would end the fuzzer's own session: sent without it. */
const SESSION_ENDING = new Set(["DELETE /v1/operator-session", "DELETE /v1/portal/session"]);

export function operationsOf(document: { paths: Record<string, Record<string, OperationDoc>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      params: op.parameters ?? [],
      body: op.requestBody?.content["application/json"]?.schema,
    })),
  );
}

// ---- values ---------------------------------------------------------------------------------

const NUMBERS_AT_BOUNDS = [0, -1, 1, 255, 256, 2 ** 16, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 - 1, 2 ** 40, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), 1e308, -1e308, 0.5, 1e-7];
const DECIMALS_AT_BOUNDS = ["0", "-1", "1", "255", "4294967296", "18446744073709551615", "18446744073709551616", "1" + "0".repeat(78), "1" + "0".repeat(80), "1e3", "0x10", " 1", "1.5"];
const SHAPED_STRINGS = ["0x" + "ab".repeat(32), "0x" + "AB".repeat(32), "0x" + "12".repeat(20), "0x" + "00".repeat(32), "0x434e59", "CNY", "c-1", "m-1", "consumer", "merchant", "bank", "credit_center", "registry", "ledger", "credit", "freeze", "grant", "propose"];

const nulText = fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`);
const loneSurrogate = fc.constantFrom("\ud800", "a\udfffb", "\udbff\udbff");
const hugeText = fc.constantFrom(1_000, 70_000, 300_000).map((n) => "x".repeat(n));
const unicodeText = fc.string({ unit: "grapheme", maxLength: 40 });

/** Hostile text short enough for a URL (Node answers a URL past its 16 KB header limit itself, before the gateway). */
const hostileShortText = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 40 }),
  unicodeText,
  nulText,
  loneSurrogate,
  fc.constantFrom(...DECIMALS_AT_BOUNDS, ...SHAPED_STRINGS, "null", "true", "../../etc/passwd", "%00", "%ZZ", "<script>", "' or 1=1 --"),
);

const hostileText = fc.oneof({ arbitrary: hostileShortText, weight: 6 }, { arbitrary: hugeText, weight: 1 });

const hostileNumber = fc.oneof(fc.constantFrom(...NUMBERS_AT_BOUNDS), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(hostileText, hostileNumber, fc.boolean(), fc.constant(null));

const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileLeaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "prototype")), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** A value shaped by the schema (so the request gets past the outer checks), each part of it sometimes hostile. */
function shaped(schema: Schema | undefined, resolve: (s: Schema) => Schema, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return hostileValue;
  const s = resolve(schema);
  const variants = s.anyOf ?? s.oneOf ?? (s.allOf?.length === 1 ? s.allOf : undefined);
  if (variants) return fc.oneof(...variants.map((v) => shaped(v, resolve, depth + 1)));
  const plausible: fc.Arbitrary<unknown>[] = [];
  if (s.enum) plausible.push(fc.constantFrom(...s.enum));
  if (s.example !== undefined) plausible.push(fc.constant(s.example));
  switch (s.type) {
    case "object": {
      const props = s.properties ?? {};
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, shaped(v, resolve, depth + 1)])),
        { requiredKeys: [] },
      );
      plausible.push(record);
      break;
    }
    case "array": {
      const max = Math.min(s.maxItems ?? 20, 40);
      plausible.push(fc.array(shaped(s.items, resolve, depth + 1), { minLength: Math.max(0, (s.minItems ?? 0) - 1), maxLength: max + 1 }));
      break;
    }
    case "integer":
    case "number": {
      const bounds = [s.minimum, s.maximum].filter((b): b is number => b !== undefined).flatMap((b) => [b - 1, b, b + 1]);
      plausible.push(bounds.length ? fc.constantFrom(...bounds) : hostileNumber);
      break;
    }
    case "boolean":
      plausible.push(fc.boolean());
      break;
    case "string":
      plausible.push(fc.constantFrom(...DECIMALS_AT_BOUNDS, ...SHAPED_STRINGS));
      if (s.maxLength !== undefined) plausible.push(fc.constantFrom("y".repeat(s.maxLength), "y".repeat(s.maxLength + 1)));
      break;
  }
  return plausible.length ? fc.oneof({ arbitrary: fc.oneof(...plausible), weight: 3 }, { arbitrary: hostileValue, weight: 1 }) : hostileValue;
}

// ---- the parts of a request -------------------------------------------------------------------

const BAD_SEGMENTS = ["%ZZ", "%", "%E0%A4%A", "%C0%AF", "%ED%A0%80", "%FF%FE", "%00", "a%00b", "..", "%2e%2e", "%2F", "%252F", "a".repeat(3_000), "-1", "0", "1.5", "1e3", "18446744073709551616"];

/** A string percent-encoded as a URL carries it; a lone surrogate (which encodeURIComponent refuses) as its UTF-8 bytes would be. */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}

function segment(param: Parameter | undefined, resolve: (s: Schema) => Schema): fc.Arbitrary<string> {
  const plausible = param?.schema
    ? shaped(param.schema, resolve).map((v) => encoded(typeof v === "string" ? v : JSON.stringify(v) ?? "").slice(0, 2_000))
    : fc.constant("1");
  return fc.oneof({ arbitrary: plausible, weight: 2 }, { arbitrary: fc.constantFrom(...BAD_SEGMENTS), weight: 2 }, { arbitrary: hostileShortText.map(encoded), weight: 1 });
}

function query(op: Operation, resolve: (s: Schema) => Schema): fc.Arbitrary<string> {
  const names = op.params.filter((p) => p.in === "query").map((p) => p.name);
  const key = fc.oneof(fc.constantFrom(...names, "x"), fc.constantFrom(...names.map((n) => `${n}[a]`), "__proto__[x]", "a[b][c][d][e][f]"));
  const pair = fc.tuple(key, fc.oneof(segment(undefined, resolve), fc.constantFrom(...BAD_SEGMENTS))).map(([k, v]) => `${k}=${v}`);
  return fc.oneof({ arbitrary: fc.constant(""), weight: 2 }, { arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => "?" + ps.join("&")), weight: 3 });
}

const DEEP = 20_000;
interface RawBody {
  bytes?: Buffer;
  contentType?: string;
}

function body(op: Operation, resolve: (s: Schema) => Schema): fc.Arbitrary<RawBody> {
  const json = (v: unknown): RawBody => ({ bytes: Buffer.from(JSON.stringify(v) ?? "null"), contentType: "application/json" });
  const raw = (text: string | Buffer, contentType = "application/json"): RawBody => ({ bytes: Buffer.isBuffer(text) ? text : Buffer.from(text), contentType });
  return fc.oneof(
    { arbitrary: shaped(op.body, resolve).map(json), weight: 8 },
    { arbitrary: hostileValue.map(json), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        raw("{"),
        raw('{"a":'),
        raw("[".repeat(DEEP) + "]".repeat(DEEP)),
        raw('{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP)),
        raw(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d])), // {"a":"<invalid UTF-8>"}
        raw(JSON.stringify({ pad: "x".repeat(2_000_000) })),
        raw("not json", "text/plain"),
        raw("a=1&b=2", "application/x-www-form-urlencoded"),
        raw(""),
        {},
      ),
      weight: 2,
    },
  );
}

/** Hostile requests for one operation. */
export function requestsFor(op: Operation, resolve: (s: Schema) => Schema, origin: string): fc.Arbitrary<HostileRequest> {
  const pathParams = op.params.filter((p) => p.in === "path");
  const segments: fc.Arbitrary<string[]> = fc.tuple(...pathParams.map((p) => segment(p, resolve)));
  const name = `${op.method} ${op.template}`;
  const session = SESSION_ENDING.has(name) ? fc.constant<"none">("none") : fc.constantFrom<"none" | "session" | "session-foreign-origin">("none", "session", "session", "session-foreign-origin");
  const hasBody = op.method !== "GET" && op.method !== "DELETE";
  const noBody: fc.Arbitrary<RawBody> = fc.constant({});
  return fc.tuple(segments, query(op, resolve), hasBody ? body(op, resolve) : noBody, session).map(([values, q, b, s]): HostileRequest => {
    let i = 0;
    const filled = op.template.replace(/\{[^}]+\}/g, () => values[i++]);
    const headers: Record<string, string> = {};
    if (b.contentType) headers["content-type"] = b.contentType;
    if (s !== "none") headers.origin = s === "session" ? origin : "http://evil.example";
    return { method: op.method, operation: name, path: filled + q, headers, body: b.bytes, withSession: s !== "none" };
  });
}

// ---- the digests -------------------------------------------------------------------------------

/** Columns and tables that change by design whatever the request: a session's last use, sign-in failure counters, a gateway lease's renewal. */
const VOLATILE_COLUMNS = ["last_seen_at", "renewed_at", "expires_at"];
const VOLATILE_TABLES = new Set(["portal_client_failures"]);
/** The read index (ADR 0008) is a copy of the chain's events, which it follows in the background: the ledger digest covers what it copies. */
const DERIVED_TABLE_PREFIX = "index_";

/** A digest of every row of the store's tables (but the volatile parts). */
export async function storeDigest(db: Db): Promise<string> {
  const tables = (await db.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name"))
    .map((r) => r.table_name)
    .filter((t) => !VOLATILE_TABLES.has(t) && !t.startsWith(DERIVED_TABLE_PREFIX));
  const strip = VOLATILE_COLUMNS.map((c) => ` - '${c}'`).join("");
  const sql = tables
    .map((t) => `select '${t}' as t, coalesce(md5(string_agg((to_jsonb(r)${strip})::text, ',' order by (to_jsonb(r)${strip})::text)), '') as d from "${t}" r`)
    .join(" union all ");
  const rows = await db.query<{ t: string; d: string }>(sql);
  return createHash("sha256").update(rows.map((r) => `${r.t}:${r.d}`).join(";")).digest("hex");
}

/** The ledger's latest block and its state root (the embedded node mines a block per transaction, none otherwise). */
export async function ledgerDigest(chain: LedgerClient): Promise<string> {
  const block = (await chain.provider.send("eth_getBlockByNumber", ["latest", false])) as { number: string; stateRoot: string };
  return `${block.number}:${block.stateRoot}`;
}

// ---- sending -------------------------------------------------------------------------------------

interface Answer {
  status: number;
  contentType?: string;
  text: string;
}

function send(url: string, req: HostileRequest, cookie: string, timeoutMs: number): Promise<Answer | "timeout"> {
  const base = new URL(url);
  const headers = { ...req.headers, ...(req.withSession ? { cookie } : {}), ...(req.body ? { "content-length": String(req.body.length) } : {}) };
  return new Promise((resolve, reject) => {
    const r = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => {
      r.destroy();
      resolve("timeout");
    }, timeoutMs);
    r.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}

/** `count` hostile requests spread over every operation of the target's /openapi.json, sent one at a time. */
export async function fuzz(
  target: FuzzTarget,
  options: { count: number; seed?: number; timeoutMs?: number; onProgress?: (report: FuzzReport) => void },
): Promise<FuzzReport> {
  const contract = await contractOf(target.url);
  if (!contract) throw new Error(`${target.url} serves no /openapi.json`);
  const document = (await (await fetch(`${target.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, OperationDoc>>; components?: { schemas?: Record<string, Schema> } };
  const schemas = document.components?.schemas ?? {};
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(schemas[s.$ref.replace("#/components/schemas/", "")] ?? {}) : s);
  const operations = operationsOf(document);
  const arbitrary = fc.oneof(...operations.map((op) => requestsFor(op, resolve, target.session.origin)));
  const requests = fc.sample(arbitrary, { numRuns: options.count, seed: options.seed ?? 16 });
  const report: FuzzReport = { requests: 0, serverErrors: 0, hangs: 0, ledgerChanges: 0, unknownCodes: 0, contractViolations: 0, examples: [] };
  const note = (what: string, req: HostileRequest, detail: string) => {
    if (report.examples.length < 20) report.examples.push(`${what}: ${req.method} ${req.path.slice(0, 160)} (${req.operation}${req.withSession ? ", with session" : ""}): ${detail.slice(0, 400)}`);
  };
  const digest = async () => `${await ledgerDigest(target.chain)}|${await storeDigest(target.db)}`;
  let before = await digest();
  for (const req of requests) {
    report.requests++;
    const answer = await send(target.url, req, target.session.cookie, options.timeoutMs ?? 15_000);
    if (answer === "timeout") {
      report.hangs++;
      note("hang", req, `no answer in ${options.timeoutMs ?? 15_000} ms`);
      before = await digest();
      continue;
    }
    if (answer.status >= 500) {
      report.serverErrors++;
      note(`${answer.status}`, req, answer.text);
    }
    if ((answer.contentType ?? "").startsWith("application/problem+json")) {
      const code = (JSON.parse(answer.text) as { code?: string }).code;
      // Only codes of the catalogue (docs/error-codes.md): a terminal can switch on nothing else.
      if (typeof code !== "string" || !isCatalogued(code)) {
        report.unknownCodes++;
        note("unknown code", req, String(code));
      }
    }
    const mismatch = contractMismatch(contract, req, answer, target.url);
    if (mismatch) {
      report.contractViolations++;
      note("contract", req, mismatch);
    }
    const after = await digest();
    if (answer.status >= 400 && after !== before) {
      report.ledgerChanges++;
      note("changed by a refused request", req, `${answer.status} ${answer.text}`);
    }
    before = after;
    if (report.requests % 1_000 === 0) options.onProgress?.(report);
  }
  return report;
}

function contractMismatch(contract: ApiContract, req: HostileRequest, answer: Answer, url: string): string | undefined {
  return contract.mismatch({ method: req.method, url: url + req.path, status: answer.status, contentType: answer.contentType, text: answer.text });
}
