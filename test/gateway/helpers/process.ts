/**
 * The gateway as its operators run it: a CHILD PROCESS (`node -r ts-node/register/transpile-only
 * src/index.ts`) configured by environment variables, started, killed (SIGTERM or SIGKILL) and
 * restarted on the same DATA_DIR. Beside it: demo data set up through the SDK (operator and
 * terminal clients, as scripts/simulate.ts does), a stream of signed settlements that survives
 * the gateway dying under it, and reads of the ledger's events to check every accepted
 * settlement against the chain.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import { CredenceRegistry__factory, PointsLedger__factory } from "../../../typechain-types";
import { readDeployment, type DeploymentRecord } from "../../../src/chain/deployment";
import { isAnvil } from "../../../src/chain/node";
import { JsonRpc } from "../../../src/chain/json-rpc";
import { connectProvider } from "../../../src/chain/rpc-endpoint";
import { openPglite } from "../../../src/store/db";
import { issueCardJointly } from "../../../src/sdk/operator-client";
import { firstOperators, registerMerchant, type Operators } from "./gateway-fixture";

export type { Operators };
import {
  GatewayError,
  TerminalClient,
  walletCardSigner,
  type CardSigner,
  type SlipInput,
  type SubmissionStatus,
} from "../../../src/sdk/terminal-client";

export const REPO_ROOT = path.resolve(__dirname, "../../..");

/** Variables src/config.ts reads: never inherited from the test's own environment. */
const CONFIG_VARIABLES = [
  "PORT",
  "HOST",
  "DATA_DIR",
  "RPC_URL",
  "DATABASE_URL",
  "DEPLOYMENT_FILE",
  "GATEWAY_KEY",
  "GOVERNANCE_KEY",
  "RELAYER_KEY",
  "FIRST_OPERATORS",
  "BANK_FIRST_CREDENTIAL",
  "CREDIT_CENTER_FIRST_CREDENTIAL",
  "IDENTITY_KEY",
  "BATCH_MAX",
  "BATCH_WAIT_MS",
  "LOG_LEVEL",
  "LOCAL_NODE_ISOLATION",
  "METRICS_ALLOW",
];

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `credence-${prefix}-`));
}

/** True while a process with this id exists (a zombie counts until its parent reaps it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway process

export interface GatewayProcessOptions {
  dataDir: string;
  /** Extra configuration (RPC_URL, DATABASE_URL, keys...). PORT defaults to 0, LOG_LEVEL to warn. */
  env?: Record<string, string>;
  /** Default 60 s: a first start deploys the contracts. */
  startTimeoutMs?: number;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The URL the gateway printed ("Credence gateway  http://127.0.0.1:41234"). */
  readonly url: string;
  /** The chain it uses, as printed at start: RPC_URL, or the embedded node's IPC socket. */
  readonly rpcEndpoint: string;
  readonly chainId: number;
  readonly dataDir: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines of stdout and stderr, for failure messages. */
  output(): string;
  /** The gateway's log entries at warn level and above (pino JSON on stdout), oldest first. */
  warnings(): { msg: string; [field: string]: unknown }[];
  /** Sends `signal` and waits for the exit; SIGTERM escalates to SIGKILL after `graceMs`. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

const BANNER = /^Credence gateway\s+(https?:\/\/\S+)\s*$/m;
const CHAIN_LINE = /^\s+chain\s+(https?:\/\/\S+|\/\S+)(?: \(IPC socket\))?\s+\(chain (\d+)\)\s*$/m;

/** Starts `src/index.ts` as a child process and resolves once it has printed where it listens. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  Object.assign(env, { PORT: "0", LOG_LEVEL: "warn", ...options.env, DATA_DIR: options.dataDir });
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "src/index.ts"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Should the test run itself end abruptly, take the gateway down too (its anvil follows).
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      process.removeListener("exit", orphanGuard);
      resolve({ code, signal });
    }),
  );
  const tail: string[] = [];
  const remember = (stream: string) => (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim()) tail.push(`[${stream}] ${line.slice(0, 600)}`);
    if (tail.length > 200) tail.splice(0, tail.length - 200);
  };
  let head = "";
  let partial = "";
  const warnings: { msg: string; [field: string]: unknown }[] = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    if (head.length < 1_000_000) head += chunk;
    remember("stdout")(chunk);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg: string };
        if ((entry.level ?? 0) >= 40 && warnings.length < 10_000) warnings.push(entry);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", remember("stderr"));
  const output = () => tail.join("\n");

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exit = e));
  for (;;) {
    const banner = BANNER.exec(head);
    const chain = CHAIN_LINE.exec(head);
    if (banner && chain) {
      const gateway: GatewayProcess = {
        child,
        pid: child.pid!,
        url: banner[1],
        rpcEndpoint: chain[1],
        chainId: Number(chain[2]),
        dataDir: options.dataDir,
        exited,
        output,
        warnings: () => [...warnings],
        running: () => child.exitCode === null && child.signalCode === null,
        kill: (signal = "SIGTERM", graceMs = 20_000) => killProcess(child, exited, signal, graceMs),
      };
      return gateway;
    }
    if (exit) {
      throw new Error(`the gateway exited during start (code ${exit.code}, signal ${exit.signal}):\n${output()}`);
    }
    if (Date.now() > deadline) {
      await killProcess(child, exited, "SIGKILL", 0);
      throw new Error(`the gateway did not print its URL within ${timeoutMs} ms:\n${output()}`);
    }
    await delay(50);
  }
}

async function killProcess(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    if (signal !== "SIGKILL") {
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
  }
  return exited;
}

/** The pid of the anvil a gateway started in `dataDir` (DATA_DIR/chain/anvil.pid), if any. */
export function anvilPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the anvil `pid` has exited; SIGTERM after `timeoutMs`, then SIGKILL (never to a
 * process that is not anvil). Returns whether it exited by itself.
 */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && isAnvil(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
      await delay(3_000);
      if (isAlive(pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
      return false;
    }
    await delay(50);
  }
  return true;
}

/**
 * For `after` hooks: stops the gateways (SIGTERM, then SIGKILL), then any anvil still running
 * from one of the data directories, then removes the directories (kept with KEEP_TEST_DATA=1,
 * to look into a failure).
 */
export async function cleanUp(gateways: (GatewayProcess | undefined)[], dirs: string[]): Promise<void> {
  await Promise.all(gateways.map((g) => (g?.running() ? g.kill("SIGTERM", 10_000) : undefined)));
  for (const dir of dirs) {
    const pid = anvilPid(dir);
    if (pid !== undefined && isAlive(pid)) await waitForExit(pid, 10_000);
  }
  if (process.env.KEEP_TEST_DATA === "1") console.log(`      KEEP_TEST_DATA=1: kept ${dirs.join(" ")}`);
  else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * What the embedded store of a STOPPED gateway holds: submissions and ledger transactions by
 * status. Reads a copy of DATA_DIR/db, so the gateway's own recovery later starts from the
 * files exactly as the crash left them.
 */
export async function inspectStore(dataDir: string): Promise<{ submissions: Record<string, number>; chainTxs: Record<string, number> }> {
  const copy = tempDir("store-copy");
  try {
    fs.cpSync(path.join(dataDir, "db"), path.join(copy, "db"), { recursive: true });
    const db = await openPglite(path.join(copy, "db"));
    try {
      const count = async (table: string) =>
        Object.fromEntries(
          (await db.query<{ status: string; n: number }>(`select status, count(*)::int as n from ${table} group by status`)).map((r) => [r.status, r.n]),
        );
      return { submissions: await count("submissions"), chainTxs: await count("chain_txs") };
    } finally {
      await db.close();
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * Each institution's first operator at `url`, signed in: enrolled on first use with the codes
 * the gateway wrote to `dataDir` (passkeys kept in `dataDir`/test-operators, so the operators of
 * a restarted gateway sign in again with them).
 */
export function loginOperators(url: string, dataDir: string): Promise<Operators> {
  return firstOperators(url, dataDir);
}

// ---------------------------------------------------------------------------------------------
// Demo data through the operator API

export interface DemoCard {
  cardId: string;
  key: Wallet;
  signer: CardSigner;
}

export interface Demo {
  merchantId: number;
  merchantCardId: string;
  terminals: Wallet[];
  cards: DemoCard[];
  /** Next unused nonce of each terminal (index as in `terminals`). */
  nextNonce: bigint[];
}

export const DEMO_AGREEMENT = {
  baseRateBps: 100,
  maxPointsPerSettlement: 10_000,
  minAmount: "100",
  validFrom: 0,
  validUntil: 2 ** 40 - 1,
  currency: "CNY",
  categoryMultipliers: Array.from({ length: 16 }, (_, c) => (c === 1 ? 200 : 100)),
};

/**
 * A merchant (its card issued jointly, registered, with an agreement), the credit-point rule,
 * `terminals` terminal keys and `cards` consumer cards, proposed alternately by the bank and the
 * credit center and approved by the other.
 */
export async function setUpDemo(ops: Operators, counts: { terminals: number; cards: number; tag: string }): Promise<Demo> {
  const { bank, creditCenter } = ops;
  await bank.decide("PUT", "/v1/credit-point-rule", { rateBps: 1000 });
  const merchantCardId = await issueCardJointly(bank, creditCenter, {
    kind: "merchant",
    key: Wallet.createRandom().address,
    holder: { name: `Merchant ${counts.tag}`, nationalId: `M-${counts.tag}` },
  });
  const merchantId = await registerMerchant(ops, merchantCardId);
  await bank.decide("PUT", `/v1/merchants/${merchantId}/agreement`, DEMO_AGREEMENT);
  const terminals: Wallet[] = [];
  for (let i = 0; i < counts.terminals; i++) {
    const key = Wallet.createRandom();
    await bank.decide("POST", "/v1/terminals", { terminal: key.address, merchantId });
    terminals.push(new Wallet(key.privateKey));
  }
  const cards: DemoCard[] = [];
  for (let i = 0; i < counts.cards; i++) {
    const key = new Wallet(Wallet.createRandom().privateKey);
    const [proposer, approver] = i % 2 ? [creditCenter, bank] : [bank, creditCenter];
    const cardId = await issueCardJointly(proposer, approver, {
      kind: "consumer",
      key: key.address,
      holder: { name: `Consumer ${counts.tag}-${i}`, nationalId: `C-${counts.tag}-${i}` },
    });
    cards.push({ cardId, key, signer: walletCardSigner(key) });
  }
  return { merchantId, merchantCardId, terminals, cards, nextNonce: terminals.map(() => 1n) };
}

// ---------------------------------------------------------------------------------------------
// Settlements

export interface PlannedSettlement {
  /** `${terminal address}:${nonce}`: the ledger's replay key. */
  key: string;
  terminal: number;
  nonce: bigint;
  card: DemoCard;
  /** Fixed time included: re-sending it yields the very same signed request (an idempotent retry). */
  slip: SlipInput;
}

export function settlementKey(terminal: string, nonce: bigint): string {
  return `${getAddress(terminal)}:${nonce}`;
}

/** `count` settlements spread over the demo's terminals and cards, each with a fresh nonce. */
export function planSettlements(demo: Demo, count: number, tag: string): PlannedSettlement[] {
  const time = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const terminal = i % demo.terminals.length;
    const nonce = demo.nextNonce[terminal]++;
    const card = demo.cards[(i * 7) % demo.cards.length];
    return {
      key: settlementKey(demo.terminals[terminal].address, nonce),
      terminal,
      nonce,
      card,
      slip: {
        orderNumber: `${tag}-${i}`,
        cardId: card.cardId,
        currency: "CNY",
        category: i % 3,
        time,
        lines: [{ description: "Item", quantity: 1 + (i % 3), unitPrice: String(500 + (i % 97) * 10) }],
      },
    };
  });
}

export async function terminalClients(url: string, demo: Demo): Promise<TerminalClient[]> {
  return Promise.all(demo.terminals.map((key) => TerminalClient.connect(url, key)));
}

/** Signs and submits one planned settlement; resolves with the submission ID on a 2xx answer. */
export async function submit(clients: TerminalClient[], s: PlannedSettlement): Promise<{ id: string; duplicate: boolean }> {
  const client = clients[s.terminal];
  const accepted = await client.settle(client.slip(s.slip), s.card.signer, s.nonce);
  return { id: accepted.id, duplicate: accepted.duplicate };
}

/**
 * A stream of settlements submitted by `concurrency` workers. It records what the gateway
 * ACCEPTED (a 2xx answer: stored durably), what it refused (a 4xx problem), and the requests
 * whose fate is unknown (the connection died, or a 5xx): those may or may not be stored, and are
 * re-sent unchanged by the next run (idempotent). A network failure stops the workers from
 * taking new items: the gateway is gone.
 */
export class SettlementStream {
  readonly accepted = new Map<string, { id: string; planned: PlannedSettlement; duplicate: boolean }>();
  readonly refused: { planned: PlannedSettlement; error: GatewayError }[] = [];
  private unknown: PlannedSettlement[] = [];
  private readonly queue: PlannedSettlement[];
  /** Planned settlements never sent (see `truncate`). */
  dropped = 0;
  /** Requests answered 200 "duplicate" on a re-send: stored before the kill, answer lost. */
  duplicates = 0;
  /** Why requests went unanswered, most recent last. */
  readonly errors: string[] = [];

  constructor(planned: PlannedSettlement[]) {
    this.queue = [...planned];
  }

  /** Sends at most `n` more new settlements; unanswered ones are still re-sent. */
  truncate(n: number): void {
    this.dropped += Math.max(0, this.queue.length - n);
    this.queue.splice(n);
  }

  get pending(): number {
    return this.queue.length + this.unknown.length;
  }

  /** Submits until the queue is empty or the gateway stops answering. Unknown outcomes are retried first. */
  async run(clients: TerminalClient[], concurrency: number): Promise<{ accepted: number; unknown: number }> {
    this.queue.unshift(...this.unknown);
    this.unknown = [];
    let stopped = false;
    let accepted = 0;
    const worker = async () => {
      while (!stopped) {
        const s = this.queue.shift();
        if (!s) return;
        try {
          const a = await submit(clients, s);
          this.accepted.set(s.key, { id: a.id, planned: s, duplicate: a.duplicate });
          if (a.duplicate) this.duplicates++;
          accepted++;
        } catch (err) {
          if (err instanceof GatewayError && err.status < 500) {
            this.refused.push({ planned: s, error: err });
          } else {
            this.unknown.push(s);
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            this.errors.push(`${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`);
            if (this.errors.length > 100) this.errors.shift();
            if (!(err instanceof GatewayError)) stopped = true;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { accepted, unknown: this.unknown.length };
  }
}

/**
 * Waits until every submission is final (confirmed or rejected), long-polling the status
 * endpoint with a few requests at a time. Returns the final statuses by ID.
 */
export async function waitAllFinal(client: TerminalClient, ids: string[], timeoutMs: number): Promise<Map<string, SubmissionStatus>> {
  const deadline = Date.now() + timeoutMs;
  const result = new Map<string, SubmissionStatus>();
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      result.set(id, await client.waitFor(id, Math.max(1, deadline - Date.now())));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The chain

export interface EarnedEvent {
  key: string;
  terminal: string;
  nonce: bigint;
  cardId: string;
  points: bigint;
  creditPoints: bigint;
  txHash: string;
}

export interface LedgerView {
  deployment: DeploymentRecord;
  earned: EarnedEvent[];
  /** SettlementRejected events: the ledger refused a settlement (a replayed nonce, say). */
  rejected: { key: string; reason: bigint }[];
  totals: { earned: bigint; reversed: bigint; redeemed: bigint };
  /** The ledger's balance of each card asked for. */
  balances: Map<string, bigint>;
}

/** Reads the ledger named in `deploymentFile` through `rpcEndpoint`: every PointsEarned and SettlementRejected since deployment. */
export async function readLedger(rpcEndpoint: string, deploymentFile: string, cardIds: string[] = []): Promise<LedgerView> {
  const deployment = readDeployment(deploymentFile);
  if (!deployment) throw new Error(`no deployment record at ${deploymentFile}`);
  const provider = connectProvider(rpcEndpoint, undefined, { staticNetwork: true });
  try {
    const ledger = PointsLedger__factory.connect(deployment.ledger, provider);
    const head = await provider.getBlockNumber();
    const [earned, rejected, totals] = await Promise.all([
      ledger.queryFilter(ledger.filters.PointsEarned(), deployment.deploymentBlock, head),
      ledger.queryFilter(ledger.filters.SettlementRejected(), deployment.deploymentBlock, head),
      ledger.totals(),
    ]);
    const balances = new Map<string, bigint>();
    for (const cardId of cardIds) balances.set(cardId, await ledger.balanceOf(cardId));
    return {
      deployment,
      earned: earned.map((e) => ({
        key: settlementKey(e.args.terminal, e.args.nonce),
        terminal: getAddress(e.args.terminal),
        nonce: e.args.nonce,
        cardId: e.args.cardId,
        points: e.args.points,
        creditPoints: e.args.creditPoints,
        txHash: e.transactionHash,
      })),
      rejected: rejected.map((e) => ({ key: settlementKey(e.args.terminal, e.args.nonce), reason: e.args.reason })),
      totals: { earned: totals.earned, reversed: totals.reversed, redeemed: totals.redeemed },
      balances,
    };
  } finally {
    provider.destroy();
  }
}

/**
 * Makes anvil mine a block every `seconds` instead of on every transaction, as a real network
 * does: a ledger transaction then spends most of its life broadcast but not yet mined.
 */
export async function setIntervalMining(rpcEndpoint: string, seconds: number): Promise<void> {
  await rpc(rpcEndpoint, "evm_setAutomine", [false]);
  await rpc(rpcEndpoint, "evm_setIntervalMining", [seconds]);
}

/**
 * Stops anvil mining (no automine, no interval); transactions wait in its mempool.
 *
 * Needed before anvil dumps its state: anvil reads the blocks and the account state under
 * separate locks (Backend::serialized_state in foundry's crates/anvil/src/eth/backend/mem/mod.rs),
 * so a block mined during a dump leaves a state file whose accounts include transactions that its
 * blocks and receipts lack.
 */
export async function stopMining(rpcEndpoint: string): Promise<void> {
  await rpc(rpcEndpoint, "evm_setAutomine", [false]);
  await rpc(rpcEndpoint, "evm_setIntervalMining", [0]);
}

/** Mines every pending transaction now and goes back to mining each one on arrival. */
export async function resumeAutomine(rpcEndpoint: string): Promise<void> {
  await rpc(rpcEndpoint, "evm_mine", []);
  await rpc(rpcEndpoint, "evm_setAutomine", [true]);
}

/** One JSON-RPC call to the node at `endpoint` (an http URL or the embedded node's IPC socket). */
export async function rpc(endpoint: string, method: string, params: unknown[] = []): Promise<unknown> {
  const client = new JsonRpc(endpoint);
  try {
    return await client.call(method, params);
  } finally {
    client.close();
  }
}

export async function blockNumber(rpcEndpoint: string): Promise<number> {
  const provider = connectProvider(rpcEndpoint, undefined, { staticNetwork: true });
  try {
    return await provider.getBlockNumber();
  } finally {
    provider.destroy();
  }
}

/** Transactions waiting in anvil's mempool (broadcast, not yet mined). */
export async function pendingTransactions(rpcEndpoint: string): Promise<number> {
  const { pending } = (await rpc(rpcEndpoint, "txpool_status", [])) as { pending: string };
  return Number(pending);
}

/** How many times each replay key was recorded on chain. */
export function countByKey(events: { key: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  return counts;
}

/** Whether `account` holds `role` in the registry named by `deploymentFile`. */
export async function hasRole(rpcEndpoint: string, deploymentFile: string, role: string, account: string): Promise<boolean> {
  const deployment = readDeployment(deploymentFile);
  if (!deployment) throw new Error(`no deployment record at ${deploymentFile}`);
  const provider = connectProvider(rpcEndpoint, undefined, { staticNetwork: true });
  try {
    return await CredenceRegistry__factory.connect(deployment.registry, provider).hasRole(role, account);
  } finally {
    provider.destroy();
  }
}

/** Every accepted settlement is on chain exactly once, nothing else of this run is, and the totals add up. */
export function expectExactlyOnce(stream: SettlementStream, chain: LedgerView, runKeys: Set<string>): void {
  const onChain = countByKey(chain.earned.filter((e) => runKeys.has(e.key)));
  const missing = [...stream.accepted.keys()].filter((k) => !onChain.has(k));
  const duplicated = [...onChain].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
  const unaccepted = [...onChain.keys()].filter((k) => !stream.accepted.has(k));
  expect(missing, "accepted settlements missing on chain").to.deep.equal([]);
  expect(duplicated, "settlements recorded more than once").to.deep.equal([]);
  expect(unaccepted, "settlements on chain that were never accepted").to.deep.equal([]);
  expect(onChain.size).to.equal(stream.accepted.size);
  expect(chain.rejected.filter((r) => runKeys.has(r.key)), "the ledger refused a copy of a settlement").to.deep.equal([]);
  const sum = chain.earned.reduce((total, e) => total + e.points, 0n);
  expect(chain.totals.earned, "totals().earned vs the sum of PointsEarned").to.equal(sum);
}

/**
 * Waits for every submission `stream` had accepted to be final and checks each was confirmed;
 * a failure lists the warnings every gateway of the run logged.
 */
export async function expectAllConfirmed(
  gateway: GatewayProcess,
  demo: Demo,
  stream: SettlementStream,
  started: GatewayProcess[],
): Promise<Map<string, SubmissionStatus>> {
  const [client] = await terminalClients(gateway.url, demo);
  const ids = [...stream.accepted.values()].map((a) => a.id);
  const statuses = await waitAllFinal(client, ids, 120_000);
  const notConfirmed = [...statuses.values()].filter((s) => s.status !== "confirmed").map((s) => `${s.id}: ${s.status} ${s.reason}`);
  const warnings = started.flatMap((g, i) => g.warnings().map((w) => `gateway #${i + 1}: ${JSON.stringify(w)}`));
  expect(notConfirmed, `accepted submissions that were not confirmed; gateway warnings:\n${warnings.join("\n")}\n`).to.deep.equal([]);
  return statuses;
}

/**
 * After a kill and a restart: sends what is left of `stream` (its unanswered requests first, then
 * at most `more` new ones), then checks that every accepted settlement was confirmed and is on
 * chain exactly once. Returns the final statuses and the ledger as read.
 */
export async function finishExactlyOnce(o: {
  gateway: GatewayProcess;
  started: GatewayProcess[];
  demo: Demo;
  stream: SettlementStream;
  planned: number;
  runKeys: Set<string>;
  more: number;
  concurrency: number;
}): Promise<{ statuses: Map<string, SubmissionStatus>; chain: LedgerView }> {
  const { gateway, stream } = o;
  stream.truncate(o.more); // streams are planned long enough never to run dry before a kill
  const last = await stream.run(await terminalClients(gateway.url, o.demo), o.concurrency);
  expect(last.unknown, "requests without an answer after the restart").to.equal(0);
  expect(stream.refused.map((r) => r.error.message)).to.deep.equal([]);
  expect(stream.accepted.size).to.equal(o.planned - stream.dropped);
  const statuses = await expectAllConfirmed(gateway, o.demo, stream, o.started);
  const chain = await readLedger(gateway.rpcEndpoint, path.join(gateway.dataDir, "deployment.json"));
  expectExactlyOnce(stream, chain, o.runKeys);
  return { statuses, chain };
}
