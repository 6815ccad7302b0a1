/**
 * The gateway over a real PostgreSQL: first one gateway (embedded chain), then two gateways
 * (different PORT and DATA_DIR, each its own gateway key) over ONE database and ONE external
 * node, draining one shared outbox. Every accepted settlement is recorded on chain exactly once.
 *
 * Each run works in a database of its own (CREATE DATABASE credence_test_<random>), dropped
 * after. TEST_DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/test).
 * Without a reachable server the suite is skipped with a warning, or fails when REQUIRE_POSTGRES=1.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { Client } from "pg";
import { fundFromDevAccount, startLocalNode, type LocalNode } from "../../src/chain/node";
import { readDeployment } from "../../src/chain/deployment";
import { ROLES } from "../../src/chain/roles";
import { CredenceRegistry__factory } from "../../typechain-types";
import {
  cleanUp,
  countByKey,
  hasRole,
  loginOperators,
  planSettlements,
  readLedger,
  setUpDemo,
  startGatewayProcess,
  SettlementStream,
  tempDir,
  terminalClients,
  waitAllFinal,
  type GatewayProcess,
  type LedgerView,
} from "./helpers/process";
import { handedOverOperators, handedOverPasskeys } from "./helpers/gateway-fixture";
import { connectAdmin, createDatabase as createScenarioDatabase } from "./helpers/postgres-server";

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const quiet = { info: () => undefined, warn: () => undefined };

function expectExactlyOnce(stream: SettlementStream, chain: LedgerView): void {
  const onChain = countByKey(chain.earned);
  expect([...stream.accepted.keys()].filter((k) => onChain.get(k) !== 1), "accepted settlements not on chain exactly once").to.deep.equal([]);
  expect([...onChain.keys()].filter((k) => !stream.accepted.has(k)), "settlements on chain never accepted").to.deep.equal([]);
  expect(chain.rejected, "the ledger refused a copy of a settlement").to.deep.equal([]);
  expect(chain.totals.earned).to.equal(chain.earned.reduce((sum, e) => sum + e.points, 0n));
}

describe("gateway on PostgreSQL", function () {
  this.timeout(240_000);
  let admin: Client | undefined;
  const databases: string[] = [];
  const gateways: GatewayProcess[] = [];
  const dirs: string[] = [];
  let node: LocalNode | undefined;

  before(async function () {
    admin = await connectAdmin(this);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(gateways, dirs);
    await node?.stop();
    if (admin) {
      for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  /** A fresh, empty database for one scenario; its URL. */
  const createDatabase = () => createScenarioDatabase(admin!, databases);

  async function query<T>(databaseUrl: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  const start = async (dataDir: string, env: Record<string, string>) => {
    const gateway = await startGatewayProcess({ dataDir, env });
    gateways.push(gateway);
    return gateway;
  };

  it("settles 50 settlements through one gateway whose store is PostgreSQL, each once", async () => {
    const databaseUrl = await createDatabase();
    const dataDir = tempDir("pg-one");
    dirs.push(dataDir);
    const gateway = await start(dataDir, { DATABASE_URL: databaseUrl, IDENTITY_KEY: hex32() });
    expect(gateway.output()).to.include("(store: PostgreSQL)");
    expect(fs.existsSync(path.join(dataDir, "db")), "no embedded store was opened").to.equal(false);

    const operators = await loginOperators(gateway.url, dataDir);
    const demo = await setUpDemo(operators, { terminals: 3, cards: 4, tag: "pg" });
    const stream = new SettlementStream(planSettlements(demo, 50, `pg-${Date.now().toString(36)}`));
    const clients = await terminalClients(gateway.url, demo);
    await stream.run(clients, 10);
    expect(stream.refused.map((r) => r.error.message)).to.deep.equal([]);
    expect(stream.accepted.size).to.equal(50);

    const statuses = await waitAllFinal(clients[0], [...stream.accepted.values()].map((a) => a.id), 60_000);
    expect([...statuses.values()].map((s) => s.status)).to.deep.equal(Array(50).fill("confirmed"));
    expectExactlyOnce(stream, await readLedger(gateway.rpcEndpoint, path.join(dataDir, "deployment.json")));

    const rows = await query<{ status: string; n: number }>(databaseUrl, "select status, count(*)::int as n from submissions group by status");
    expect(rows).to.deep.equal([{ status: "confirmed", n: 50 }]);
    const txs = await query<{ status: string }>(databaseUrl, "select distinct status from chain_txs");
    expect(txs).to.deep.equal([{ status: "mined" }]);
  });

  it("lets two gateways with their own keys drain one shared outbox, each settlement confirmed once", async () => {
    const databaseUrl = await createDatabase();
    const nodeDir = tempDir("pg-node");
    const shared = tempDir("pg-shared");
    const dataDirA = tempDir("pg-a");
    const dataDirB = tempDir("pg-b");
    dirs.push(nodeDir, shared, dataDirA, dataDirB);
    node = await startLocalNode({ dataDir: nodeDir, log: quiet, isolation: "none" });

    const keys = {
      governance: Wallet.createRandom(),
      relayer: Wallet.createRandom(),
      gatewayA: Wallet.createRandom(),
      gatewayB: Wallet.createRandom(),
    };
    await fundFromDevAccount(node.httpUrl!, Object.values(keys).map((k) => k.address), parseEther("100"));
    const deploymentFile = path.join(shared, "deployment.json");
    const firstOperators = handedOverPasskeys();
    const common = {
      RPC_URL: node.httpUrl!,
      DATABASE_URL: databaseUrl,
      DEPLOYMENT_FILE: deploymentFile,
      GOVERNANCE_KEY: keys.governance.privateKey,
      RELAYER_KEY: keys.relayer.privateKey,
      ...firstOperators.env,
      IDENTITY_KEY: hex32(),
      // Small batches: many ledger transactions, so both gateways get a share of the outbox.
      BATCH_MAX: "20",
      // Governance grants B's key right after scheduling it (the delay has its own tests).
      ROLE_GRANT_DELAY_SECONDS: "0",
    };

    // A deploys the contracts (gateway role for its own key); governance grants B's key the role.
    const a = await start(dataDirA, { ...common, GATEWAY_KEY: keys.gatewayA.privateKey });
    const deployment = readDeployment(deploymentFile)!;
    const provider = new JsonRpcProvider(node.httpUrl!, undefined, { staticNetwork: true });
    try {
      const registry = CredenceRegistry__factory.connect(deployment.registry, keys.governance.connect(provider));
      // Explicit nonces: a node may answer a nonce query with a stale count right after a mined transaction.
      const nonce = await keys.governance.connect(provider).getNonce("latest");
      await (await registry.scheduleRoleGrant(ROLES.GATEWAY, keys.gatewayB.address, { nonce })).wait();
      await (await registry.grantRole(ROLES.GATEWAY, keys.gatewayB.address, { nonce: nonce + 1 })).wait();
    } finally {
      provider.destroy();
    }
    expect(await hasRole(node.httpUrl!, deploymentFile, ROLES.GATEWAY, keys.gatewayB.address)).to.equal(true);
    const b = await start(dataDirB, { ...common, GATEWAY_KEY: keys.gatewayB.privateKey });
    expect(b.url).to.not.equal(a.url);
    expect(readDeployment(deploymentFile), "B reused A's deployment").to.deep.equal(deployment);

    // Operators are the chain's: the institutions' passkeys sign in at A and at B alike.
    const operators = await handedOverOperators(a.url, firstOperators.passkeys);
    const demo = await setUpDemo(operators, { terminals: 4, cards: 4, tag: "pg2" });
    await handedOverOperators(b.url, firstOperators.passkeys);

    // Terminals 0 and 2 talk to A, 1 and 3 to B.
    const [viaA, viaB] = await Promise.all([terminalClients(a.url, demo), terminalClients(b.url, demo)]);
    const clients = demo.terminals.map((_, i) => (i % 2 === 0 ? viaA[i] : viaB[i]));
    const stream = new SettlementStream(planSettlements(demo, 200, `pg2-${Date.now().toString(36)}`));
    await stream.run(clients, 24);
    expect(stream.refused.map((r) => r.error.message)).to.deep.equal([]);
    expect(stream.accepted.size).to.equal(200);

    // Either gateway answers for any submission: read every status through B.
    const statuses = await waitAllFinal(viaB[1], [...stream.accepted.values()].map((x) => x.id), 90_000);
    const notConfirmed = [...statuses.values()].filter((s) => s.status !== "confirmed").map((s) => `${s.id}: ${s.status} ${s.reason}`);
    expect(notConfirmed).to.deep.equal([]);
    expectExactlyOnce(stream, await readLedger(node.httpUrl!, deploymentFile));

    // Both gateways sent ledger transactions, each from its own key, and no submission went twice.
    const bySender = await query<{ sender: string; txs: number; settlements: number }>(
      databaseUrl,
      `select c.sender, count(distinct c.tx_hash)::int as txs, count(s.id)::int as settlements
       from chain_txs c left join submissions s on s.tx_hash = c.tx_hash
       where c.status = 'mined' group by c.sender order by c.sender`,
    );
    const senders = Object.fromEntries(bySender.map((r) => [r.sender, r]));
    expect(Object.keys(senders).sort()).to.deep.equal([keys.gatewayA.address, keys.gatewayB.address].sort());
    expect(bySender.reduce((n, r) => n + r.settlements, 0)).to.equal(200);
    const unsettled = await query(databaseUrl, "select tx_hash as id from chain_txs where status <> 'mined' union all select id::text from submissions where status <> 'confirmed'");
    expect(unsettled).to.deep.equal([]);
    console.log(
      `      two gateways: ${bySender.map((r) => `${r.sender === keys.gatewayA.address ? "A" : "B"} sent ${r.txs} txs with ${r.settlements} settlements`).join(", ")}`,
    );
  });
});
