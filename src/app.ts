/**
 * `createApp(deps)` builds the gateway's HTTP app from its dependencies: nothing here reaches for
 * globals, so tests pass a real node and a real store. Layers: routes (parse, validate, map
 * errors) -> services (domain logic) -> adapters (chain, store).
 */
import { randomBytes } from "node:crypto";
import express, { type ErrorRequestHandler, type Express } from "express";
import helmet from "helmet";
import type { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Db } from "./store/db";
import type { LedgerClient } from "./chain/ledger-client";
import { DomainError } from "./domain/domain-error";
import { notFoundHandler, problemHandler, sendProblem, toProblem } from "./http/problem";
import { webAppRoutes } from "./http/web-app";
import { httpMetrics, metricsClients, metricsHandler, requestLogger, type Metrics } from "./http/observability";
import { LOOPBACK_CLIENTS, type AddressRange } from "./config";
import { SlipError } from "./domain/slips";
import { StoreUnavailableError } from "./store/store-unavailable";
import { createOpenApiRegistry, openApiDocument } from "./api/openapi";
import { SubmissionService } from "./api/submissions/service";
import type { SignerPool } from "./domain/signer-pool";
import { SlipService } from "./api/slips/service";
import { SubmissionIds } from "./api/submissions/public-ids";
import type { WriteGate } from "./chain/write-gate";
import { submissionRoutes } from "./api/submissions/router";
import { Corrections } from "./api/operations/corrections";
import { OperationsService, type IdentityStore } from "./api/operations/service";
import { operationRoutes } from "./api/operations/router";
import { ReadService } from "./api/reads/service";
import { readRoutes } from "./api/reads/router";
import { gatewayRoutes } from "./api/reads/gateways";
import { ListService } from "./api/reads/lists";
import { ReadIndex } from "./index/indexer";
import { CreditService } from "./api/credit/service";
import { creditRoutes } from "./api/credit/router";
import type { Wallet } from "ethers";
import { ChainSender } from "./chain/sender";
import { OperatorSessions, type PasskeySettings } from "./api/operator-session/service";
import { operatorSessionRoutes, sessionOriginCheck } from "./api/operator-session/router";
import { EnrolmentService } from "./api/enrolment/service";
import { enrolmentRoutes } from "./api/enrolment/router";
import { RemovalService } from "./api/removal/service";
import { removalRoutes } from "./api/removal/router";
import { DecisionsService } from "./api/decisions/service";
import { decisionRoutes } from "./api/decisions/router";
import { PortalAccounts, type LockoutPolicy } from "./api/portal/accounts";
import { PortalReads } from "./api/portal/reads";
import { PortalPasskeys } from "./api/portal/passkeys";
import { LostCardReports } from "./api/portal/lost-card";
import { portalOriginCheck, portalRoutes } from "./api/portal/router";

export interface AppDeps {
  db: Db;
  chain: LedgerClient;
  log: Logger;
  metrics: Metrics;
  /** The role-less key that relays operators' signed steps (none: those endpoints answer 503). */
  relayer?: Wallet;
  /** The CARD_FREEZER key that relays holders' lost-card reports (none: those answer 503; ADR 0010). */
  cardFreezer?: Wallet;
  /** WebAuthn relying party and origin of passkey sign-in and enrolment (default localhost:8080). */
  passkeys?: PasskeySettings;
  /** Keys operator IDs derived from enrolment labels (default: random, valid until restart). */
  operatorIdKey?: string;
  identities: IdentityStore;
  /** Emits "outcome" with IDs of submissions that reached a final status (the submitter's events). */
  outcomes: EventEmitter;
  /** Wake the submitter after a submission is stored. */
  onAccepted?: () => void;
  /** Held by every chain write, so the local node's state dumps see no block half-mined. */
  writeGate?: WriteGate;
  /** Recovers the signers of terminal submissions (default: on the thread that serves HTTP). */
  signerPool?: SignerPool;
  /** The submission IDs terminals are given (default: under a random key, valid until restart). */
  submissionIds?: SubmissionIds;
  /** Readiness probe: resolves when the node and the store answer. */
  ready?: () => Promise<void>;
  /** Clients that may read /metrics (METRICS_ALLOW); default: loopback only. */
  metricsAllow?: readonly AddressRange[];
  /** Proxies whose X-Forwarded-For names the client (TRUST_PROXY); default none. */
  trustProxy?: readonly string[];
  /** The read index histories and lists come from (default: one over `db` at confirmation depth 0, caught up by each read). */
  index?: ReadIndex;
  /** The portal's sign-in delays (default DEFAULT_LOCKOUT). */
  portalLockout?: LockoutPolicy;
}

export const API_VERSION = "0.1.0";
/** Largest request body: a slip of 200 lines fits comfortably; a photo for issuance too. */
const BODY_LIMIT = "600kb";

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  if (deps.trustProxy?.length) app.set("trust proxy", [...deps.trustProxy]);
  app.use(requestLogger(deps.log));
  app.use(httpMetrics(deps.metrics));
  app.use(helmet());
  app.use(webAppRoutes());
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(sessionOriginCheck(deps.passkeys?.origin ?? "http://localhost:8080"));
  app.use(portalOriginCheck(deps.passkeys?.origin ?? "http://localhost:8080"));

  const registry = createOpenApiRegistry();
  const submissionIds = deps.submissionIds ?? new SubmissionIds();
  const submissions = new SubmissionService(deps.db, deps.chain, deps.signerPool, submissionIds);
  // A confirmation means a block was mined: the next balance read asks the node for the head.
  deps.outcomes.on("outcome", () => submissions.head.forget());
  const slips = new SlipService(deps.db, deps.chain, deps.signerPool);
  const ops = new OperationsService(deps.chain, deps.identities);
  const index = deps.index ?? new ReadIndex({ db: deps.db, provider: deps.chain.provider, source: deps.chain.deployment, confirmations: 0 });
  const reads = new ReadService(deps.chain, index);
  const passkeys = deps.passkeys ?? { rpId: "localhost", origin: "http://localhost:8080" };
  const sessions = new OperatorSessions(deps.db, deps.chain, passkeys);
  const relayer = deps.relayer ? new ChainSender(deps.chain, deps.relayer, deps.writeGate) : undefined;
  const operatorIdKey = deps.operatorIdKey ?? `0x${randomBytes(32).toString("hex")}`;
  app.use(
    submissionRoutes(registry, {
      submissions,
      slips,
      outcomes: deps.outcomes,
      ids: submissionIds,
      onAccepted: (kind) => {
        deps.metrics.submissions.inc({ kind, outcome: "accepted" });
        deps.onAccepted?.();
      },
    }),
  );
  const decisions = new DecisionsService(deps.db, deps.chain, relayer, ops, deps.identities);
  app.use(operationRoutes(registry, sessions, ops, decisions, new Corrections(deps.db, deps.chain, relayer)));
  app.use(readRoutes(registry, sessions, reads, new ListService(deps.chain, index)));
  app.use(gatewayRoutes(registry, sessions, deps.db));
  app.use(creditRoutes(registry, sessions, new CreditService(deps.chain), decisions));
  app.use(operatorSessionRoutes(registry, sessions));
  app.use(enrolmentRoutes(registry, new EnrolmentService(deps.db, deps.chain, relayer, passkeys, operatorIdKey), sessions));
  app.use(removalRoutes(registry, new RemovalService(deps.db, deps.chain, relayer), sessions));
  app.use(decisionRoutes(registry, decisions, sessions));
  const portalAccounts = new PortalAccounts(deps.db, deps.portalLockout);
  app.use(
    portalRoutes(registry, {
      accounts: portalAccounts,
      passkeys: new PortalPasskeys(deps.db, portalAccounts, passkeys),
      reads: new PortalReads(deps.chain, reads, deps.identities, index),
      lostCards: new LostCardReports(deps.chain, deps.cardFreezer ? new ChainSender(deps.chain, deps.cardFreezer, deps.writeGate) : undefined),
      chainReads: reads,
      sessions,
      origin: passkeys.origin,
    }),
  );

  const document = openApiDocument(registry, API_VERSION);
  app.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", (_req, res, next) => {
    (deps.ready ?? (() => Promise.resolve()))()
      .then(() => res.json({ status: "ready" }))
      .catch(() => next(new DomainError({ code: "gateway.not_ready", detail: "the node or the store does not answer, or the gateway lost its lease" })));
  });
  app.get("/metrics", metricsClients(deps.metricsAllow ?? LOOPBACK_CLIENTS), metricsHandler(deps.metrics));

  app.use(notFoundHandler);
  app.use(slipErrors);
  app.use(storeErrors);
  app.use(problemHandler);
  return app;
}

/**
 * A store that cannot write (DATA_DIR read-only or full, ADR 0011; a PostgreSQL server that does
 * not serve) confirmed nothing of the request: 503 with Retry-After, and the terminal re-sends the
 * same request (same idempotency key) later; one that did reach the disk is then answered as a duplicate.
 */
const storeErrors: ErrorRequestHandler = (err, req, res, next) => {
  if (!(err instanceof StoreUnavailableError) || res.headersSent) return next(err);
  res.setHeader("retry-after", String(err.retryAfterSeconds));
  // Answered here, not logged per request: the store logs once that it cannot write.
  const unavailable = new DomainError({ code: "store.unavailable", detail: "the gateway cannot write to its store now; send the same request again later" });
  sendProblem(req, res, toProblem(unavailable).problem);
};

/** A malformed slip is the client's fault: 422 with the slip's stable code. */
const slipErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err instanceof SlipError) next(new DomainError({ code: err.code, detail: err.message }));
  else next(err);
};
