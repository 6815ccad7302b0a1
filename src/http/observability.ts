/**
 * Logs and metrics. Logs are JSON (pino) with a request id on every line, and never carry
 * credentials or personal data: authorization headers, cookies and any field named password,
 * name, nationalId, photo or privateKey are redacted at any depth up to 5. Metrics are
 * Prometheus (prom-client) in a registry per app, so tests can build several apps.
 */
import { randomUUID } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { RequestHandler } from "express";
import pino, { type DestinationStream, type Logger } from "pino";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { OutboxHealth } from "../store/outbox-health";
import type { LeaseView } from "../store/leases";
import type { AddressRange } from "../config";
import type { FailoverHttpTransport } from "../chain/rpc-transport";

/** Field names whose values never reach a log line. */
export const REDACTED_FIELDS = ["password", "name", "nationalId", "photo", "privateKey"] as const;
const MAX_DEPTH = 5;

const redactPaths = [
  ...REDACTED_FIELDS.flatMap((field) => Array.from({ length: MAX_DEPTH }, (_, depth) => "*.".repeat(depth) + field)),
  ...["authorization", "cookie", '["set-cookie"]', '["x-api-key"]'].flatMap((h) => {
    const key = h.startsWith("[") ? h : `.${h}`;
    return [`headers${key}`, `*.headers${key}`, `*.*.headers${key}`];
  }),
];

export interface LoggerOptions {
  level: string;
}

/** The gateway's root logger. `destination` defaults to stdout (tests pass a stream). */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: redactPaths, censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's x-request-id when it is a short safe token, else a fresh UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * One log line per request when it finishes ("request completed": its id, method, path without
 * the query string, status and duration), the id echoed in the x-request-id response header, and
 * `req.log` for handlers that log an error with the request's id. Terminal traffic runs at
 * thousands of requests a second: its successes are counted in /metrics and logged at debug
 * only; operator calls and every failure are logged. (A child logger per request, as pino-http
 * makes, cost the gateway half its throughput.)
 */
const TERMINAL_TRAFFIC = /^\/v1\/(settlements|refunds|redemptions|slips|submissions)(\/|\?|$)/;

export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFor(req.headers["x-request-id"]);
    res.setHeader("x-request-id", id);
    const started = performance.now();
    (req as { log?: unknown }).log = { error: (obj: object, msg: string) => logger.error({ ...obj, req: { id } }, msg) };
    res.once("finish", () => {
      const status = res.statusCode;
      const level = status >= 500 ? "error" : status >= 400 ? "warn" : TERMINAL_TRAFFIC.test(req.originalUrl) ? "debug" : "info";
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { id, method: req.method, path: req.originalUrl.split("?")[0] },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        "request completed",
      );
    });
    next();
  };
}

export interface Metrics {
  registry: Registry;
  /** http_requests_total{route,method,status} */
  httpRequests: Counter<"route" | "method" | "status">;
  /** submissions_total{kind,outcome} — outcome e.g. accepted, duplicate, confirmed, rejected, requeued. */
  submissions: Counter<"kind" | "outcome">;
  /** batch_size: submissions per ledger transaction. */
  batchSize: Histogram;
  /** time_to_confirm_seconds: from acceptance to a mined batch. */
  timeToConfirm: Histogram;
  /** local_node_state_bytes: the embedded node's newest state file. */
  localNodeStateBytes: Gauge;
  /** local_node_state_ceiling_bytes: the embedded node's measured ceiling (LOCAL_NODE_STATE_CEILING_BYTES). */
  localNodeStateCeilingBytes: Gauge;
  /** local_node_state_dump_pause_seconds: how long chain writes waited for each state dump. */
  localNodeDumpPauseSeconds: Histogram;
  /** identity_sweep_erased_total{reason}: identities the sweep erased (unissued, approved). */
  identitySweepErased: Counter<"reason">;
  /** sessions_purged_total{table}: dead sessions the session purge deleted (operator_sessions, portal_sessions). */
  sessionsPurged: Counter<"table">;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by route template, method and status",
      labelNames: ["route", "method", "status"] as const,
      registers: [registry],
    }),
    submissions: new Counter({
      name: "submissions_total",
      help: "Ledger submissions by kind and outcome",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "batch_size",
      help: "Submissions per ledger transaction",
      buckets: [1, 2, 5, 10, 20, 50, 100, 150, 200, 256],
      registers: [registry],
    }),
    timeToConfirm: new Histogram({
      name: "time_to_confirm_seconds",
      help: "Seconds from accepting a submission to its confirmation on chain",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    localNodeStateBytes: new Gauge({
      name: "local_node_state_bytes",
      help: "Size of the embedded local node's newest state file (0 with an external node)",
      registers: [registry],
    }),
    localNodeStateCeilingBytes: new Gauge({
      name: "local_node_state_ceiling_bytes",
      help: "The state size past which the embedded local node no longer meets its targets: move to an external node (RPC_URL) before it",
      registers: [registry],
    }),
    localNodeDumpPauseSeconds: new Histogram({
      name: "local_node_state_dump_pause_seconds",
      help: "Seconds chain writes waited while the local node serialised its state",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    identitySweepErased: new Counter({
      name: "identity_sweep_erased_total",
      help: "Personal data the identity sweep erased: of issuances that expired, were cancelled or never reached the chain (unissued), or whose erasure was approved on chain (approved)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    sessionsPurged: new Counter({
      name: "sessions_purged_total",
      help: "Operator and portal sessions deleted a retention after they ended, expired or went idle, by table",
      labelNames: ["table"] as const,
      registers: [registry],
    }),
  };
}

/**
 * Gauges of the outbox read from the store at each scrape (`outbox_items`, `outbox_transactions`,
 * `outbox_oldest_seconds`, by status and sender): a submission stranded with a gateway that
 * stopped shows in its sender's oldest age, before a terminal gives up on it.
 */
export function registerOutboxMetrics(registry: Registry, read: () => Promise<OutboxHealth[]>): void {
  let last: Promise<OutboxHealth[]> | undefined;
  // One store read per scrape, shared by the three gauges.
  const current = () => (last ??= read().finally(() => setTimeout(() => (last = undefined), 0)));
  const gauge = (name: string, help: string, value: (h: OutboxHealth) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["status", "sender"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const h of await current()) this.set({ status: h.status, sender: h.sender ?? "" }, value(h));
      },
    });
  gauge("outbox_items", "Unanswered submissions: queued (no sender) or carried by a sender's unrecorded ledger transactions", (h) => h.items);
  gauge("outbox_transactions", "A sender's ledger transactions signed and not yet answered by the chain", (h) => h.transactions);
  gauge("outbox_oldest_seconds", "Seconds since the oldest unanswered submission was accepted", (h) => h.oldestSeconds);
}

/**
 * Each gateway lease (ADR 0007) on /metrics: when it expires (Unix seconds; in the past once
 * lapsed), by sender, with the gateway that adopted it ("" while none did).
 */
export function registerLeaseMetrics(registry: Registry, read: () => Promise<LeaseView[]>): void {
  new Gauge({
    name: "gateway_lease_expires_timestamp_seconds",
    help: "When each gateway key's lease expires unless renewed (Unix seconds), by sender and adopting gateway",
    labelNames: ["sender", "adopted_by"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const l of await read()) this.set({ sender: l.sender, adopted_by: l.adoptedBy ?? "" }, l.expiresAt.getTime() / 1000);
    },
  });
}

/**
 * Which of RPC_URL's URLs the gateway sends JSON-RPC to now (`rpc_endpoint_in_use`, its position
 * in the list from 1) and how often it failed over to the next (`rpc_failovers_total`). The URLs
 * themselves are not labels: they may carry credentials.
 */
export function registerRpcEndpointMetrics(registry: Registry, transport: FailoverHttpTransport): void {
  new Gauge({
    name: "rpc_endpoint_in_use",
    help: "Position in RPC_URL (from 1) of the URL the gateway sends JSON-RPC to now",
    registers: [registry],
    collect() {
      this.set(transport.current + 1);
    },
  });
  const failovers = new Counter({
    name: "rpc_failovers_total",
    help: "Times the gateway left an RPC_URL URL that did not answer for the next one",
    registers: [registry],
  });
  transport.onFailover(() => failovers.inc());
}

/**
 * Counts every response in http_requests_total. The route label is the matched route template
 * (/v1/slips/:id), never the raw path, so cardinality stays bounded; unmatched requests count
 * as "unmatched". The template is taken when express matches the route: once an error leaves a
 * nested router, express has already restored `req.baseUrl`.
 */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    let template = "unmatched";
    let route: unknown;
    Object.defineProperty(req, "route", {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (value: { path?: unknown } | undefined) => {
        route = value;
        if (value && typeof value.path === "string") template = `${req.baseUrl}${value.path}`;
      },
    });
    res.on("finish", () => {
      metrics.httpRequests.inc({ route: template, method: req.method, status: String(res.statusCode) });
    });
    next();
  };
}

/** GET /metrics in the Prometheus text format. */
export function metricsHandler(metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => res.type(metrics.registry.contentType).send(text))
      .catch(next);
  };
}

/**
 * Lets through to /metrics only the clients `allow` lists (addresses and CIDR ranges; the
 * default, loopback). Anyone else meets the same 404 as any unknown path: the endpoint's
 * existence is not disclosed. The client is `req.ip`, which is the socket's peer address unless
 * the app was configured to trust proxies ("trust proxy"): a forwarded-for header from an
 * untrusted client changes nothing.
 */
export function metricsClients(allow: readonly AddressRange[]): RequestHandler {
  const list = new BlockList();
  for (const range of allow) list.addSubnet(range.address, range.prefix, range.family);
  return (req, _res, next) => {
    const peer = req.ip ?? req.socket.remoteAddress ?? "";
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer);
    const allowed = mapped ? list.check(mapped[1], "ipv4") : isIP(peer) !== 0 && list.check(peer, isIP(peer) === 4 ? "ipv4" : "ipv6");
    if (allowed) next();
    else next("route"); // on to the 404 of unknown paths
  };
}
