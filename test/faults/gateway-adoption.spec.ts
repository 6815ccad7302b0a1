/**
 * A gateway killed -9 for good (its key never comes back), with three gateways on one PostgreSQL
 * and one chain under load (ADR 0007). Two gateways stay up throughout and take the terminals'
 * settlements; a third, started with CREDENCE_FAILPOINT=submitter:<phase> (src/worker/failpoint.ts,
 * the mechanism the state-dump faults use), drains the shared outbox with them until its first
 * ledger transaction reaches that phase, and is killed -9 there:
 *
 * - claimed: its claim transaction open (the database rolls it back; its lease is ended);
 * - signed: stored, never broadcast (an adopter broadcasts the stored bytes);
 * - broadcast: in the node's pool, not mined (mining is stopped for the kill);
 * - mined: its receipt read, its outcomes not recorded (an adopter records them from the receipt).
 *
 * Each time, every settlement that got 202 is confirmed exactly once on chain, the dead
 * gateway's unanswered submissions are all confirmed within the lease time plus one batch, its
 * key is retired (never for the claimed phase: nothing was left), and at the end the auditor
 * (src/audit) finds the chain clean. Blocks are mined every second, as on a real network.
 *
 * Needs PostgreSQL (TEST_DATABASE_URL; skipped with a warning when unreachable). Run by
 * `npm run test:faults`.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { Client } from "pg";
import { fundFromDevAccount, startLocalNode, type LocalNode } from "../../src/chain/node";
import { readDeployment } from "../../src/chain/deployment";
import { ROLES } from "../../src/chain/roles";
import { connectProvider } from "../../src/chain/rpc-endpoint";
import { runAudit, type AuditProvider } from "../../src/audit/auditor";
import { CredenceRegistry__factory } from "../../typechain-types";
import {
  cleanUp,
  expectExactlyOnce,
  planSettlements,
  readLedger,
  rpc,
  setIntervalMining,
  setUpDemo,
  startGatewayProcess,
  stopMining,
  SettlementStream,
  tempDir,
  terminalClients,
  waitAllFinal,
  type Demo,
  type GatewayProcess,
} from "../gateway/helpers/process";
import { handedOverOperators, handedOverPasskeys } from "../gateway/helpers/gateway-fixture";
import { connectAdmin, createDatabase } from "../gateway/helpers/postgres-server";

const PHASES = ["claimed", "signed", "broadcast", "mined"] as const;
type Phase = (typeof PHASES)[number];
const LEASE_SECONDS = 3;
/** One batch: a block (mined every second), a renewal period to notice the lapse, and recording. */
const ONE_BATCH_MS = 4_000;
const SETTLEMENTS_PER_PHASE = 240;
const CONCURRENCY = 16;

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quiet = { info: () => undefined, warn: () => undefined };

describe("a gateway killed -9 for good among three on one PostgreSQL", function () {
  this.timeout(240_000);
  let admin: Client | undefined;
  const databases: string[] = [];
  let databaseUrl: string;
  let store: Client;
  let node: LocalNode;
  let deploymentFile: string;
  let demo: Demo;
  let common: Record<string, string>;
  let survivors: GatewayProcess[];
  const started: GatewayProcess[] = [];
  const dirs: string[] = [];
  const victimKeys = PHASES.map(() => Wallet.createRandom());
  const survivorKeys = [Wallet.createRandom(), Wallet.createRandom()];
  const streams: { stream: SettlementStream; runKeys: Set<string> }[] = [];

  const query = async <T>(sql: string, params: unknown[] = []) => (await store.query(sql, params)).rows as T[];
  /** Nothing left for any gateway to claim or answer: every submission final, every transaction answered. */
  const outboxDrained = async () =>
    (await query("select 1 from submissions where status in ('queued', 'submitted') union all select 1 from chain_txs where status = 'sent' limit 1")).length === 0;

  const startGateway = async (name: string, env: Record<string, string>) => {
    const dataDir = tempDir(`adopt-${name}`);
    dirs.push(dataDir);
    const g = await startGatewayProcess({ dataDir, env: { ...common, ...env } });
    started.push(g);
    return g;
  };

  before(async function () {
    this.timeout(180_000);
    admin = await connectAdmin(this);
    databaseUrl = await createDatabase(admin, databases);
    store = new Client({ connectionString: databaseUrl });
    await store.connect();
    const nodeDir = tempDir("adopt-node");
    const shared = tempDir("adopt-shared");
    dirs.push(nodeDir, shared);
    node = await startLocalNode({ dataDir: nodeDir, log: quiet, isolation: "none" });
    deploymentFile = path.join(shared, "deployment.json");

    const governance = Wallet.createRandom();
    const firstOperators = handedOverPasskeys();
    await fundFromDevAccount(node.httpUrl!, [governance, ...survivorKeys, ...victimKeys].map((k) => k.address), parseEther("100"));
    common = {
      RPC_URL: node.httpUrl!,
      DATABASE_URL: databaseUrl,
      DEPLOYMENT_FILE: deploymentFile,
      GOVERNANCE_KEY: governance.privateKey,
      RELAYER_KEY: Wallet.createRandom().privateKey,
      ...firstOperators.env,
      IDENTITY_KEY: hex32(),
      ID_KEY: hex32(),
      // Small batches: many ledger transactions, several in flight per gateway.
      BATCH_MAX: "16",
      LEASE_SECONDS: String(LEASE_SECONDS),
      ROLE_GRANT_DELAY_SECONDS: "0",
    };
    await fundFromDevAccount(node.httpUrl!, [new Wallet(common.RELAYER_KEY).address], parseEther("100"));

    // The first survivor deploys (gateway role for its key); governance grants every other key the role.
    const first = await startGateway("survivor-1", { GATEWAY_KEY: survivorKeys[0].privateKey });
    const provider = new JsonRpcProvider(node.httpUrl!, undefined, { staticNetwork: true });
    try {
      const registry = CredenceRegistry__factory.connect(readDeployment(deploymentFile)!.registry, governance.connect(provider));
      let nonce = await governance.connect(provider).getNonce("latest");
      for (const key of [survivorKeys[1], ...victimKeys]) {
        await (await registry.scheduleRoleGrant(ROLES.GATEWAY, key.address, { nonce: nonce++ })).wait();
        await (await registry.grantRole(ROLES.GATEWAY, key.address, { nonce: nonce++ })).wait();
      }
    } finally {
      provider.destroy();
    }
    survivors = [first, await startGateway("survivor-2", { GATEWAY_KEY: survivorKeys[1].privateKey })];
    demo = await setUpDemo(await handedOverOperators(first.url, firstOperators.passkeys), { terminals: 4, cards: 8, tag: "adopt" });
    await setIntervalMining(node.httpUrl!, 1);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(started, dirs.slice(2));
    await node?.stop();
    await store?.end();
    await cleanUp([], dirs.slice(0, 2));
    if (admin) {
      for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  let miningStopped = false;
  const stopMiningUntilRestored = async () => {
    miningStopped = true;
    await stopMining(node.httpUrl!);
  };
  const restoreMining = async () => {
    if (!miningStopped) return;
    await setIntervalMining(node.httpUrl!, 1);
    miningStopped = false;
  };
  // A phase that failed with blocks stopped must not leave the next phase without blocks.
  afterEach(restoreMining);

  /** Streams a phase's settlements at the survivors (terminals alternate between them). */
  const stream = async (phase: Phase) => {
    const planned = planSettlements(demo, SETTLEMENTS_PER_PHASE, `adopt-${phase}-${Date.now().toString(36)}`);
    const s = new SettlementStream(planned);
    streams.push({ stream: s, runKeys: new Set(planned.map((p) => p.key)) });
    const [viaFirst, viaSecond] = await Promise.all(survivors.map((g) => terminalClients(g.url, demo)));
    const clients = demo.terminals.map((_, i) => (i % 2 === 0 ? viaFirst[i] : viaSecond[i]));
    return { s, running: s.run(clients, CONCURRENCY) };
  };

  for (const [i, phase] of PHASES.entries()) {
    it(`confirms every accepted settlement once when a gateway dies with its first transaction ${phase}`, async () => {
      const key = victimKeys[i];
      const victim = await startGateway(`victim-${phase}`, { GATEWAY_KEY: key.privateKey, CREDENCE_FAILPOINT: `submitter:${phase}`, CREDENCE_FAILPOINT_MS: "120000" });
      // A transaction broadcast must still be in the pool at the kill: blocks stop before the
      // victim has anything to send (stopping them once the failpoint is seen races the next block).
      if (phase === "broadcast") await stopMiningUntilRestored();
      const { s, running } = await stream(phase);
      let reached: { tx?: string } | undefined;
      const deadline = Date.now() + 60_000;
      // The stream's last 202 is not the outbox's last claim: the victim may still take queued work.
      while (!(reached = victim.warnings().find((w) => w.msg === "failpoint reached") as { tx?: string } | undefined)) {
        const drained = s.pending === 0 && (await outboxDrained());
        if (Date.now() > deadline || drained) throw new Error(`the ${phase} failpoint was not reached (outbox drained: ${drained}):\n${victim.output()}`);
        await delay(s.pending === 0 ? 50 : 5);
      }
      const exit = await victim.kill("SIGKILL");
      expect(exit.signal).to.equal("SIGKILL");
      const killedAt = Date.now();

      // What the dead gateway left: its transactions not yet answered, and the submissions they carry.
      const left = await query<{ tx_hash: string; nonce: string }>("select tx_hash, nonce from chain_txs where sender = $1 and status = 'sent' order by nonce", [key.address]);
      const stranded = await query<{ id: string }>(
        "select s.id::text as id from submissions s join chain_txs c on c.tx_hash = s.tx_hash where c.sender = $1 and s.status = 'submitted'",
        [key.address],
      );
      if (phase === "claimed") {
        expect(left, "nothing of a claim open at the kill is stored").to.deep.equal([]);
      } else {
        expect(left.map((t) => t.tx_hash), "the transaction at the failpoint is left unanswered").to.include(reached.tx);
        expect(stranded.length, "submissions stranded with the dead gateway").to.be.greaterThan(0);
        const receipt = await rpc(node.httpUrl!, "eth_getTransactionReceipt", [reached.tx]);
        const inPool = await rpc(node.httpUrl!, "eth_getTransactionByHash", [reached.tx]);
        if (phase === "signed") expect(inPool, "never broadcast").to.equal(null);
        if (phase === "broadcast") expect([receipt, inPool !== null], "in the pool, not mined").to.deep.equal([null, true]);
        if (phase === "mined") expect(receipt, "mined").to.not.equal(null);
      }
      if (phase === "broadcast") await restoreMining();

      // Every stranded submission is answered within the lease time plus one batch.
      const bound = LEASE_SECONDS * 1000 + ONE_BATCH_MS;
      let answeredMs: number | undefined;
      while (Date.now() - killedAt < bound + 20_000) {
        const open = await query("select 1 from submissions where id = any($1::bigint[]) and status in ('queued', 'submitted')", [stranded.map((r) => r.id)]);
        const unanswered = await query("select 1 from chain_txs where sender = $1 and status = 'sent'", [key.address]);
        if (open.length === 0 && unanswered.length === 0) {
          answeredMs = Date.now() - killedAt;
          break;
        }
        await delay(50);
      }
      expect(answeredMs, "the dead gateway's work finished").to.not.equal(undefined);
      expect(answeredMs!, `finished within LEASE_SECONDS plus one batch (${bound} ms)`).to.be.at.most(bound);

      await running;
      expect(s.refused.map((r) => r.error.message)).to.deep.equal([]);
      expect(s.pending, "requests the survivors left unanswered").to.equal(0);
      const [client] = await terminalClients(survivors[1].url, demo);
      const statuses = await waitAllFinal(client, [...s.accepted.values()].map((a) => a.id), 90_000);
      const notConfirmed = [...statuses.values()].filter((x) => x.status !== "confirmed").map((x) => `${x.id}: ${x.status} ${x.reason}`);
      expect(notConfirmed).to.deep.equal([]);
      expectExactlyOnce(s, await readLedger(node.httpUrl!, deploymentFile), streams.at(-1)!.runKeys);

      const [lease] = await query<{ adopted_by: string | null }>("select adopted_by from gateway_leases where sender = $1", [key.address]);
      if (phase === "claimed") expect(lease, "nothing was left: the lease is ended, the key not retired").to.equal(undefined);
      else expect(survivorKeys.map((k) => k.address), "a survivor adopted the lease").to.include(lease?.adopted_by);
      console.log(
        `      ${phase}: ${s.accepted.size} accepted, all confirmed once; the dead gateway left ${left.length} transaction(s) with ${stranded.length} submission(s), ` +
          `finished ${answeredMs} ms after the kill (bound ${bound} ms); lease ${lease ? `adopted by ${lease.adopted_by}` : "ended"}`,
      );
    });
  }

  it("leaves a chain the auditor finds clean", async () => {
    const provider = connectProvider(node.httpUrl!, undefined, { staticNetwork: true }) as unknown as AuditProvider;
    try {
      const report = await runAudit({ provider, rpcUrl: node.httpUrl!, deployment: readDeployment(deploymentFile)!, workers: 0 });
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.discrepanciesOmitted).to.equal(0);
      const accepted = streams.reduce((n, x) => n + x.stream.accepted.size, 0);
      expect(report.counts.settlements, "every accepted settlement, and the demo's none").to.be.at.least(accepted);
      console.log(`      audit: ${report.counts.settlements} settlements in ${report.counts.batches} batches, no discrepancy`);
    } finally {
      (provider as unknown as { destroy(): void }).destroy();
    }
  });
});
