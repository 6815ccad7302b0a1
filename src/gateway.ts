/**
 * Boot: assemble the gateway from its configuration. On the embedded default it starts a local
 * node (anvil, a separate process keeping its state in DATA_DIR/chain, reachable by the gateway
 * alone over its IPC socket), funds and uses the keys
 * in DATA_DIR/keys.json, deploys the contracts on first start (printing each institution's
 * one-time enrolment code), and opens the embedded store in DATA_DIR/db. With RPC_URL and
 * DATABASE_URL it uses an existing chain and PostgreSQL instead. The gateway holds no key of
 * either institution: its keys relay settlements (GATEWAY), operators' signed steps (the
 * role-less relayer) and deploy (governance).
 */
import os from "node:os";
import type { Server } from "node:http";
import { Wallet, parseEther } from "ethers";
import type { Logger } from "pino";
import type { Config } from "./config";
import { resolveSecrets } from "./config";
import { lockDataDir } from "./data-dir-lock";
import { removeGatewayUrl, writeGatewayUrl } from "./gateway-address";
import { startLocalNode, fundFromDevAccount, type LocalNode } from "./chain/node";
import { connectProvider } from "./chain/rpc-endpoint";
import { FailoverHttpTransport } from "./chain/rpc-transport";
import { redactUrl } from "./redact-url";
import { readDeployment, writeDeployment, type DeploymentRecord } from "./chain/deployment";
import { deployCredence, deployCreditCenter, publicKeyInitialOperators } from "./chain/deploy";
import { LedgerClient } from "./chain/ledger-client";
import { openDb, type Db } from "./store/db";
import { openIdentityVault } from "./auth/open-identity-vault";
import { destroyOrphanKeys } from "./auth/identity-vault";
import { IdentitySweep } from "./api/operations/identity-sweep";
import { SessionPurge } from "./api/operations/session-purge";
import { Periodic } from "./api/operations/periodic";
import { cardsOfAccount } from "./chain/account-cards";
import { holdDeploymentLock, storeDeployment, storedDeployment } from "./store/deployments";
import { ENROLMENT_CODES_FILE, enrolmentCodeInitialOperators, enrolmentCodesNotice, writeEnrolmentCodes } from "./auth/enrolment-codes";
import { createLogger, createMetrics, registerLeaseMetrics, registerOutboxMetrics, registerRpcEndpointMetrics } from "./http/observability";
import { answerClientErrors } from "./http/client-errors";
import { listLeases } from "./store/leases";
import { outboxHealth } from "./store/outbox-health";
import { Submitter } from "./worker/submitter";
import { LeaseKeeper } from "./worker/lease-keeper";
import { WriteGate } from "./chain/write-gate";
import { EMBEDDED_STATE_CEILING_BYTES, StateDumps } from "./chain/state-dumps";
import { SignerPool } from "./domain/signer-pool";
import { SubmissionIds } from "./api/submissions/public-ids";
import { ReadIndex } from "./index/indexer";

import { createApp } from "./app";
// After the app: these modules' schemas need the OpenAPI extension of zod that it loads.
import { SESSION_IDLE_MS } from "./api/operator-session/service";
import { PORTAL_SESSION_IDLE_MS } from "./api/portal/accounts";
import { cardFreezerKey } from "./chain/card-freezer-key";

export interface RunningGateway {
  url: string;
  /** The chain's JSON-RPC endpoint: RPC_URL (its URLs comma-separated), or the embedded node's IPC socket path. */
  rpcEndpoint: string;
  deployment: DeploymentRecord;
  /** Where the one-time enrolment codes were written at first start (FIRST_OPERATORS=enrolment-codes). */
  enrolmentCodesFile: string;
  db: Db;
  log: Logger;
  /** Erases the identities no card will carry; runs every IDENTITY_SWEEP_INTERVAL_MS. */
  identitySweep: IdentitySweep;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where first start's one-time notice (the enrolment codes) goes; default standard output, never the log. */
  print?: (text: string) => void;
}

export async function startGateway(
  config: Config,
  log: Logger = createLogger({ level: config.logLevel }),
  options: StartOptions = {},
): Promise<RunningGateway> {
  const print = options.print ?? ((text: string) => process.stdout.write(text + "\n"));
  // The embedded node and store live in DATA_DIR: one gateway at a time (data-dir-lock.ts).
  const unlock = !config.rpcUrls || !config.databaseUrl ? lockDataDir(config.dataDir) : () => undefined;
  const cleanups: (() => Promise<void>)[] = [async () => unlock()];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => log.error({ err: err.message }, "shutdown step failed"));
  };
  try {
    const secrets = resolveSecrets(config);
    let node: LocalNode | undefined;
    let rpcEndpoint = config.rpcUrls?.join(",");
    const wallets = {
      gateway: new Wallet(secrets.keys.gateway),
      // Relays holders' lost-card reports; holds only CARD_FREEZER (ADR 0010).
      cardFreezer: new Wallet(cardFreezerKey(secrets.keys.gateway)),
      governance: new Wallet(secrets.keys.governance),
      ...(secrets.keys.relayer ? { relayer: new Wallet(secrets.keys.relayer) } : {}),
    };
    // Chain writers hold the gate; the local node's state dumps, the final one included, take it alone.
    const writeGate = new WriteGate();
    if (!rpcEndpoint) {
      node = await startLocalNode({ dataDir: config.dataDir, isolation: config.localNodeIsolation, log });
      const started = node;
      cleanups.push(() => writeGate.exclusive(() => started.stop()));
      rpcEndpoint = node.ipcPath;
      await fundFromDevAccount(rpcEndpoint, Object.values(wallets).map((w) => w.address), parseEther("1000"));
    }
    const provider = connectProvider(rpcEndpoint, undefined, { staticNetwork: true });
    cleanups.push(async () => provider.destroy());
    const failover = provider.transport instanceof FailoverHttpTransport ? provider.transport : undefined;
    if (failover) {
      // One chain behind every URL; a URL down now is checked when first failed over to.
      const { unanswered } = await failover.checkChain();
      for (const i of unanswered) log.warn({ url: redactUrl(failover.urls[i]) }, "RPC_URL: a node does not answer at start; its chain is checked before it is used");
      failover.onFailover(({ from, to, reason }) =>
        log.warn({ from: redactUrl(failover.urls[from]), to: redactUrl(failover.urls[to]), reason }, "RPC_URL: a node did not answer; failing over to the next URL"),
      );
    }
    const chainId = (await provider.getNetwork()).chainId;
    const signer = (w: Wallet) => w.connect(provider);

    const db = await openDb({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      onError: (err) => log.warn({ err: err.message }, "database client error"),
      log: log.child({ component: "store" }),
    });
    cleanups.push(() => db.close());
    // Gateways on one store deploy once: the first to hold the lock deploys, the others find its record.
    const releaseDeploymentLock = await holdDeploymentLock(db);
    cleanups.push(releaseDeploymentLock);
    let deployment = readDeployment(config.deploymentFile);
    const stored = deployment ? undefined : await storedDeployment(db, chainId.toString());
    if (stored) {
      deployment = stored;
      writeDeployment(config.deploymentFile, stored);
      log.info({ ledger: stored.ledger, file: config.deploymentFile }, "using the deployment recorded in the store");
    }
    if (deployment) {
      if (BigInt(deployment.chainId) !== chainId) throw new Error(`${config.deploymentFile} is for chain ${deployment.chainId}, the node is chain ${chainId}`);
      if ((await provider.getCode(deployment.ledger)) === "0x") {
        throw new Error(`no ledger contract at ${deployment.ledger}: the chain does not match ${config.deploymentFile}`);
      }
      if (!deployment.operators) {
        throw new Error(
          `${config.deploymentFile} predates operator credentials (its contracts take no signed dual-control steps): deploy afresh with an empty DATA_DIR or a new DEPLOYMENT_FILE`,
        );
      }
    } else {
      log.info({ chainId: chainId.toString(), firstOperators: config.firstOperators }, "deploying the Credence contracts");
      // Enrolment codes: only the codes' key addresses go on chain; the codes are printed below,
      // once the deployment that knows them is recorded.
      const codes = config.firstOperators === "enrolment-codes" ? writeEnrolmentCodes(config.dataDir) : undefined;
      if (!codes && !config.firstCredentials) {
        throw new Error("deploying needs each institution's first credential: set BANK_FIRST_CREDENTIAL and CREDIT_CENTER_FIRST_CREDENTIAL (FIRST_OPERATORS=public-keys)");
      }
      const d = await deployCredence(
        signer(wallets.governance),
        { gateway: [wallets.gateway.address], cardFreezers: [wallets.cardFreezer.address] },
        codes ? enrolmentCodeInitialOperators(codes.codes) : publicKeyInitialOperators(config.firstCredentials!),
        config.roleGrantDelaySeconds,
      );
      deployment = {
        chainId: chainId.toString(),
        operators: await d.operators.getAddress(),
        registry: await d.registry.getAddress(),
        ledger: await d.ledger.getAddress(),
        deploymentBlock: d.deploymentBlock,
        creditScores: await d.creditScores.getAddress(),
        creditGrants: await d.creditGrants.getAddress(),
      };
      writeDeployment(config.deploymentFile, deployment);
      log.info({ ...deployment, file: config.deploymentFile }, "contracts deployed");
      if (codes) {
        print(enrolmentCodesNotice(codes.codes, codes.file, config.publicOrigin));
        log.info({ file: codes.file }, "wrote the one-time enrolment codes (printed once on standard output)");
      }
    }
    const creditMissing = async (address?: string) => !address || (await provider.getCode(address)) === "0x";
    if ((await creditMissing(deployment.creditScores)) || (await creditMissing(deployment.creditGrants))) {
      // A record from before the credit center existed (or a chain that lost their deployment):
      // add the credit contracts beside the ledger (nothing is lost: the chain has none of theirs).
      const c = await deployCreditCenter(signer(wallets.governance), deployment.registry, deployment.ledger);
      deployment = { ...deployment, creditScores: await c.creditScores.getAddress(), creditGrants: await c.creditGrants.getAddress() };
      writeDeployment(config.deploymentFile, deployment);
      log.info({ creditScores: deployment.creditScores, creditGrants: deployment.creditGrants }, "credit center contracts deployed");
    }
    await storeDeployment(db, deployment);
    await releaseDeploymentLock();
    const chain = new LedgerClient(provider, deployment);
    log.info({ cardFreezer: wallets.cardFreezer.address }, "card-freezer key: relays holders' lost-card reports (holds CARD_FREEZER; fund it on RPC_URL)");

    // The read index follows the chain's logs from its checkpoint, whoever relayed them (ADR 0008).
    const index = new ReadIndex({ db, provider, source: deployment, confirmations: config.indexConfirmations, log });
    index.start();
    cleanups.push(() => index.stop());

    const metrics = createMetrics();
    registerOutboxMetrics(metrics.registry, () => outboxHealth(db));
    registerLeaseMetrics(metrics.registry, () => listLeases(db));
    if (failover) registerRpcEndpointMetrics(metrics.registry, failover);
    // The gateway key's lease fences its claims; a retired key stops the start here (ADR 0007).
    const leases: LeaseKeeper = new LeaseKeeper({
      db,
      sender: wallets.gateway.address,
      instance: `${os.hostname()}:${process.pid}`,
      seconds: config.leaseSeconds,
      adopt: db.engine === "postgres",
      finish: (sender) => submitter.finishAdopted(sender),
      onLost: () => submitter.stop(),
      log,
    });
    await leases.start();
    cleanups.push(() => leases.stop());
    const submitter: Submitter = new Submitter({
      fence: leases.fence,
      writeGate,
      db,
      chain,
      wallet: signer(wallets.gateway),
      batchMax: config.batch.max,
      batchWaitMs: config.batch.waitMs,
      inFlightMax: config.batch.inFlight,
      log,
      onConfirmed: (kind, seconds) => {
        metrics.batchSize.observe(seconds.length);
        for (const s of seconds) metrics.timeToConfirm.observe(s);
        metrics.submissions.inc({ kind, outcome: "recorded" }, seconds.length);
      },
    });
    await submitter.reconcileMined();
    submitter.start();
    cleanups.push(() => submitter.stop());
    if (node) {
      // Bound what a power cut can lose, with dumps that never catch a block half-mined.
      const dumps = new StateDumps({
        node,
        writeGate,
        ceilingBytes: EMBEDDED_STATE_CEILING_BYTES,
        log,
        metrics: { stateBytes: metrics.localNodeStateBytes, ceilingBytes: metrics.localNodeStateCeilingBytes, pauseSeconds: metrics.localNodeDumpPauseSeconds },
      });
      dumps.start();
      cleanups.push(() => dumps.stop());
    }

    const { identities, keys: identityKeys } = await openIdentityVault(config, secrets, db, log, cardsOfAccount(chain));
    const identitySweep = new IdentitySweep({
      db,
      chain,
      identities,
      log,
      erasedTotal: metrics.identitySweepErased,
      destroyOrphanKeys: () => destroyOrphanKeys(db, identityKeys),
    });
    const sweeping = new Periodic(() => identitySweep.run(), log, "identity sweep failed");
    sweeping.start(IDENTITY_SWEEP_INTERVAL_MS);
    cleanups.push(() => sweeping.stop());
    const sessionPurge = new SessionPurge({
      db,
      log,
      idleMs: { operator: SESSION_IDLE_MS, portal: PORTAL_SESSION_IDLE_MS },
      purgedTotal: metrics.sessionsPurged,
    });
    const purging = new Periodic(() => sessionPurge.run(), log, "session purge failed");
    purging.start(SESSION_PURGE_INTERVAL_MS);
    cleanups.push(() => purging.stop());

    // Signature recovery on a thread of its own wherever a second core can run it.
    const signerPool = new SignerPool(os.availableParallelism() >= 2 ? 1 : 0, (err) =>
      log.error({ err: err.message }, "the signature thread failed; recovering signatures on the main thread"),
    );
    cleanups.push(() => signerPool.close());
    const app = createApp({
      db,
      chain,
      log,
      metrics,
      relayer: wallets.relayer && signer(wallets.relayer),
      cardFreezer: signer(wallets.cardFreezer),
      passkeys: { rpId: config.rpId, origin: config.publicOrigin },
      operatorIdKey: secrets.idKey,
      identities,
      outcomes: submitter.events,
      writeGate,
      onAccepted: () => submitter.poke(),
      signerPool,
      submissionIds: new SubmissionIds(secrets.idKey),
      index,
      metricsAllow: config.metricsAllow,
      trustProxy: config.trustProxy,
      ready: async () => {
        if (!leases.held) throw new Error("the gateway's lease is lost");
        await provider.getBlockNumber();
        await db.query("select 1");
      },
    });
    const server: Server = await new Promise((resolve, reject) => {
      // A deep accept queue: a fleet of terminals opening connections at once must not see
      // dropped SYNs (each costs the client a 1, 3, 7... second retransmission).
      const s = app.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve(s)).once("error", reject);
    });
    answerClientErrors(server);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    if (!config.rpcUrls || !config.databaseUrl) {
      // This gateway holds DATA_DIR's lock: the command lines find it here (gateway-address.ts).
      writeGatewayUrl(config.dataDir, url);
      cleanups.push(async () => removeGatewayUrl(config.dataDir, url));
    }
    return {
      url,
      rpcEndpoint,
      deployment,
      enrolmentCodesFile: `${config.dataDir}/${ENROLMENT_CODES_FILE}`,
      db,
      log,
      identitySweep,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** How often the identity sweep erases the identities no card will carry. */
export const IDENTITY_SWEEP_INTERVAL_MS = 10 * 60_000;

/** How often the session purge deletes the sessions dead longer than their retention. */
export const SESSION_PURGE_INTERVAL_MS = 60 * 60_000;

