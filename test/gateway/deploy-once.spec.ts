/**
 * Gateways starting at the same moment on one PostgreSQL and one chain, with no deployment record
 * anywhere (each its own DATA_DIR and deployment file): the contracts are deployed once, under the
 * store's deployment lock, and every gateway uses that deployment (ADR 0007).
 *
 * Works in a database of its own (dropped after) on the server TEST_DATABASE_URL names (default
 * postgres://postgres@127.0.0.1:5432/test); skipped with a warning when it is unreachable, or
 * failed when REQUIRE_POSTGRES=1.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { Wallet, parseEther } from "ethers";
import { Client } from "pg";
import pino from "pino";
import { fundFromDevAccount, startLocalNode, type LocalNode } from "../../src/chain/node";
import { loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { rpc, tempDir } from "./helpers/process";
import { connectAdmin, createDatabase } from "./helpers/postgres-server";
import { handedOverPasskeys } from "./helpers/gateway-fixture";

const GATEWAYS = 3;
/** Transactions of one deployment by the governance key: credentials, registry, ledger, the registry's link to the ledger, scores, grants. */
const DEPLOYMENT_TRANSACTIONS = 6;

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const quiet = { info: () => undefined, warn: () => undefined };

describe("deployment on start, several gateways on one store", function () {
  this.timeout(180_000);
  let admin: Client | undefined;
  const databases: string[] = [];
  let node: LocalNode | undefined;
  const gateways: RunningGateway[] = [];
  const dirs: string[] = [];

  before(async function () {
    admin = await connectAdmin(this);
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all(gateways.map((g) => g.stop()));
    await node?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (admin) {
      for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it("deploys once when three gateways start together, and all three use that deployment", async () => {
    const databaseUrl = await createDatabase(admin!, databases);

    const nodeDir = tempDir("deploy-once-node");
    dirs.push(nodeDir);
    node = await startLocalNode({ dataDir: nodeDir, log: quiet, isolation: "none" });
    const governance = Wallet.createRandom();
    const gatewayKeys = Array.from({ length: GATEWAYS }, () => Wallet.createRandom());
    const shared = {
      RPC_URL: node.httpUrl!,
      DATABASE_URL: databaseUrl,
      GOVERNANCE_KEY: governance.privateKey,
      ...handedOverPasskeys().env,
      IDENTITY_KEY: hex32(),
      ID_KEY: hex32(),
      PORT: "0",
      LOG_LEVEL: "silent",
    };
    await fundFromDevAccount(node.httpUrl!, [governance.address, ...gatewayKeys.map((k) => k.address)], parseEther("100"));

    const started = await Promise.all(
      gatewayKeys.map(async (key, i) => {
        const dataDir = tempDir(`deploy-once-${i}`);
        dirs.push(dataDir);
        const gateway = await startGateway(loadConfig({ ...shared, DATA_DIR: dataDir, GATEWAY_KEY: key.privateKey }), pino({ level: "silent" }));
        gateways.push(gateway);
        return gateway;
      }),
    );

    const ledgers = new Set(started.map((g) => g.deployment.ledger));
    expect(ledgers.size, "one deployment for all").to.equal(1);
    const governanceTxs = Number(await rpc(node.httpUrl!, "eth_getTransactionCount", [governance.address, "latest"]));
    expect(governanceTxs, "the governance key deployed the suite once").to.equal(DEPLOYMENT_TRANSACTIONS);
    const rows = await started[0].db.query<{ chain_id: string; record: { ledger: string } }>("select chain_id, record from deployments");
    expect(rows.map((r) => r.record.ledger)).to.deep.equal([...ledgers]);
  });
});
