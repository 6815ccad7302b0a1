/**
 * Where the gateway's chain comes from. With RPC_URL it uses a node it did not start (here an
 * anvil launched by the test, standing in for a permissioned network), with the keys it is given
 * and the public keys of the institutions' first passkeys: it deploys on first start, writes DEPLOYMENT_FILE, reuses it after, and leaves the node
 * alone when it stops. Without RPC_URL (the embedded default) two gateways with different PORT
 * and DATA_DIR run side by side, each with its own anvil and store.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Wallet, parseEther } from "ethers";
import { fundFromDevAccount, startLocalNode, type LocalNode } from "../../src/chain/node";
import { readDeployment } from "../../src/chain/deployment";
import { ROLES } from "../../src/chain/roles";
import { OperatorClient } from "../../src/sdk/operator-client";
import { GatewayError } from "../../src/sdk/terminal-client";
import { PasskeyOperator } from "../../scripts/lib/passkey-operator";
import { DEFAULT_RP, handedOverOperators, handedOverPasskeys } from "../gateway/helpers/gateway-fixture";
import {
  anvilPid,
  blockNumber,
  cleanUp,
  countByKey,
  hasRole,
  isAlive,
  loginOperators,
  planSettlements,
  readLedger,
  setUpDemo,
  startGatewayProcess,
  SettlementStream,
  tempDir,
  terminalClients,
  waitAllFinal,
  type Demo,
  type GatewayProcess,
} from "../gateway/helpers/process";

const quiet = { info: () => undefined, warn: () => undefined };

/** Submits `count` settlements, waits for all, and checks each is on chain exactly once. */
async function settleAndCheck(gateway: GatewayProcess, demo: Demo, count: number, tag: string, deploymentFile: string) {
  const stream = new SettlementStream(planSettlements(demo, count, `${tag}-${Date.now().toString(36)}`));
  const clients = await terminalClients(gateway.url, demo);
  await stream.run(clients, 4);
  expect(stream.refused.map((r) => r.error.message)).to.deep.equal([]);
  expect(stream.accepted.size).to.equal(count);
  const statuses = await waitAllFinal(clients[0], [...stream.accepted.values()].map((a) => a.id), 60_000);
  expect([...statuses.values()].map((s) => s.status)).to.deep.equal(Array(count).fill("confirmed"));
  const chain = await readLedger(gateway.rpcEndpoint, deploymentFile);
  const onChain = countByKey(chain.earned);
  for (const [key, { id }] of stream.accepted) {
    expect(onChain.get(key), `${key} on chain`).to.equal(1);
    expect(statuses.get(id)!.points).to.equal(chain.earned.find((e) => e.key === key)!.points.toString());
  }
  expect(chain.totals.earned).to.equal(chain.earned.reduce((sum, e) => sum + e.points, 0n));
  return { stream, chain };
}

/** A TCP port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("gateway against an external node", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let nodeDir: string;
  let shared: string;
  let dataDir: string;
  const gateways: GatewayProcess[] = [];
  const keys = {
    gateway: Wallet.createRandom(),
    governance: Wallet.createRandom(),
    relayer: Wallet.createRandom(),
  };
  const firstOperators = handedOverPasskeys();
  let env: Record<string, string>;
  let deploymentFile: string;

  before(async () => {
    nodeDir = tempDir("ext-node");
    shared = tempDir("ext-shared");
    dataDir = tempDir("ext-gateway");
    node = await startLocalNode({ dataDir: nodeDir, log: quiet, isolation: "none" });
    await fundFromDevAccount(node.httpUrl!, Object.values(keys).map((k) => k.address), parseEther("100"));
    deploymentFile = path.join(shared, "deployment.json");
    env = {
      RPC_URL: node.httpUrl!,
      DEPLOYMENT_FILE: deploymentFile,
      GATEWAY_KEY: keys.gateway.privateKey,
      GOVERNANCE_KEY: keys.governance.privateKey,
      RELAYER_KEY: keys.relayer.privateKey,
      ...firstOperators.env,
    };
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(gateways, [dataDir, shared]);
    await node?.stop();
    fs.rmSync(nodeDir, { recursive: true, force: true });
  });

  it("deploys with the given keys, writes DEPLOYMENT_FILE, settles, and leaves the node running when it stops", async () => {
    expect(fs.existsSync(deploymentFile)).to.equal(false);
    const gateway = await startGatewayProcess({ dataDir, env });
    gateways.push(gateway);
    expect(gateway.rpcEndpoint).to.equal(node.httpUrl!);
    expect(fs.existsSync(path.join(dataDir, "chain")), "the gateway started no node of its own").to.equal(false);

    const deployment = readDeployment(deploymentFile)!;
    expect(deployment.chainId).to.equal(String(node.chainId));
    expect(await hasRole(node.httpUrl!, deploymentFile, ROLES.GATEWAY, keys.gateway.address), "GATEWAY of the gateway key").to.equal(true);
    // The gateway's keys hold no institution's role: the institutions' passkeys are their first credentials.
    for (const role of [ROLES.BANK, ROLES.CREDIT_CENTER]) {
      for (const key of Object.values(keys)) expect(await hasRole(node.httpUrl!, deploymentFile, role, key.address), `${role} of ${key.address}`).to.equal(false);
    }

    const operators = await handedOverOperators(gateway.url, firstOperators.passkeys);
    const demo = await setUpDemo(operators, { terminals: 2, cards: 3, tag: "ext" });
    const { chain } = await settleAndCheck(gateway, demo, 6, "ext", deploymentFile);
    expect(chain.earned).to.have.length(6);

    const exit = await gateway.kill("SIGTERM");
    expect(exit).to.deep.equal({ code: 0, signal: null });
    const head = await blockNumber(node.httpUrl!); // the node still answers
    expect(head).to.be.greaterThan(deployment.deploymentBlock);

    // Restarted, it finds its contracts through DEPLOYMENT_FILE instead of deploying again.
    const again = await startGatewayProcess({ dataDir, env });
    gateways.push(again);
    expect(readDeployment(deploymentFile)).to.deep.equal(deployment);
    const after = await settleAndCheck(again, demo, 3, "ext-again", deploymentFile);
    expect(after.chain.earned.slice(0, 6)).to.deep.equal(chain.earned);
    expect(after.chain.earned).to.have.length(9);
  });
});

/**
 * A JSON-RPC proxy in front of `target` that, once `lag.ms` is set, hides each transaction receipt
 * for that long after the node first serves it: a node that counts a nonce before it serves the
 * receipt of the block that used it, as anvil has for a moment after mining.
 */
async function startLaggingProxy(target: string): Promise<{ url: string; lag: { ms: number }; hidden: () => number; close: () => Promise<void> }> {
  const lag = { ms: 0 };
  const firstSeen = new Map<string, number>();
  let hidden = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
      const parsed = (await answer.json()) as unknown;
      const asked = JSON.parse(body) as { id: number; method: string; params: unknown[] } | { id: number; method: string; params: unknown[] }[];
      const calls = new Map((Array.isArray(asked) ? asked : [asked]).map((c) => [c.id, c]));
      for (const a of (Array.isArray(parsed) ? parsed : [parsed]) as { id: number; result?: unknown }[]) {
        const call = calls.get(a.id);
        if (call?.method !== "eth_getTransactionReceipt" || !a.result) continue;
        const hash = String(call.params[0]);
        const seen = firstSeen.get(hash) ?? Date.now();
        firstSeen.set(hash, seen);
        if (Date.now() - seen < lag.ms) {
          a.result = null;
          hidden++;
        }
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(parsed));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lag,
    hidden: () => hidden,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("gateway against a node whose receipts lag its nonces", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let proxy: Awaited<ReturnType<typeof startLaggingProxy>>;
  const dirs = { node: tempDir("lag-node"), shared: tempDir("lag-shared"), gateway: tempDir("lag-gateway") };
  const gateways: GatewayProcess[] = [];
  const keys = { gateway: Wallet.createRandom(), governance: Wallet.createRandom(), relayer: Wallet.createRandom() };
  const firstOperators = handedOverPasskeys();

  before(async () => {
    node = await startLocalNode({ dataDir: dirs.node, log: quiet, isolation: "none" });
    await fundFromDevAccount(node.httpUrl!, Object.values(keys).map((k) => k.address), parseEther("100"));
    proxy = await startLaggingProxy(node.httpUrl!);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(gateways, [dirs.gateway, dirs.shared]);
    await proxy?.close();
    await node?.stop();
    fs.rmSync(dirs.node, { recursive: true, force: true });
  });

  it("records each settlement with the ledger's points once the receipt shows, none as ledger.receipt_lost", async () => {
    const deploymentFile = path.join(dirs.shared, "deployment.json");
    const gateway = await startGatewayProcess({
      dataDir: dirs.gateway,
      env: {
        RPC_URL: proxy.url,
        DEPLOYMENT_FILE: deploymentFile,
        GATEWAY_KEY: keys.gateway.privateKey,
        GOVERNANCE_KEY: keys.governance.privateKey,
        RELAYER_KEY: keys.relayer.privateKey,
        ...firstOperators.env,
      },
    });
    gateways.push(gateway);
    const demo = await setUpDemo(await handedOverOperators(gateway.url, firstOperators.passkeys), { terminals: 2, cards: 3, tag: "lag" });
    proxy.lag.ms = 1_500;
    await settleAndCheck(gateway, demo, 6, "lag", deploymentFile);
    expect(proxy.hidden(), "receipts the proxy hid while the settlements were mined").to.be.greaterThan(0);
  });
});

describe("two embedded gateways side by side", function () {
  this.timeout(360_000);
  const dirs = [tempDir("side-a"), tempDir("side-b")];
  const gateways: GatewayProcess[] = [];

  after(async function () {
    this.timeout(60_000);
    await cleanUp(gateways, dirs);
  });

  it("run on different PORT and DATA_DIR, each with its own anvil, store and ledger", async () => {
    const ports = [await freePort(), await freePort()];
    // Two first starts at once (two nodes, two deployments) share the machine's cores: allow them time.
    const [a, b] = await Promise.all(dirs.map((dataDir, i) => startGatewayProcess({ dataDir, env: { PORT: String(ports[i]) }, startTimeoutMs: 150_000 })));
    gateways.push(a, b);
    expect(a.url).to.equal(`http://127.0.0.1:${ports[0]}`);
    expect(b.url).to.equal(`http://127.0.0.1:${ports[1]}`);
    expect(a.rpcEndpoint).to.not.equal(b.rpcEndpoint);
    const anvils = dirs.map((d) => anvilPid(d)!);
    expect(anvils[0]).to.not.equal(anvils[1]);
    expect(anvils.every(isAlive)).to.equal(true);

    const deploymentFiles = dirs.map((d) => path.join(d, "deployment.json"));
    const results = await Promise.all(
      [a, b].map(async (gateway, i) => {
        const operators = await loginOperators(gateway.url, dirs[i]);
        const demo = await setUpDemo(operators, { terminals: 1, cards: 2, tag: `side${i}` });
        return settleAndCheck(gateway, demo, 3 + i, `side${i}`, deploymentFiles[i]);
      }),
    );
    // Each chain holds its own gateway's settlements only.
    expect(results[0].chain.earned.map((e) => e.key).sort()).to.deep.equal([...results[0].stream.accepted.keys()].sort());
    expect(results[1].chain.earned.map((e) => e.key).sort()).to.deep.equal([...results[1].stream.accepted.keys()].sort());
    // Each chain has its own operators: A's bank passkey does not sign in at B.
    const bankOfA = PasskeyOperator.open({ gateway: a.url, ...DEFAULT_RP }, path.join(dirs[0], "test-operators", "bank.key"));
    const refused = await OperatorClient.signIn(b.url, bankOfA.passkey, bankOfA.identity!, DEFAULT_RP).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(GatewayError);
    expect((refused as GatewayError).status).to.equal(401);

    await Promise.all([a.kill("SIGTERM"), b.kill("SIGTERM")]);
    expect(anvils.some(isAlive), "an anvil outlived its gateway").to.equal(false);
  });
});
