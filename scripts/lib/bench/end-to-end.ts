/**
 * End to end through HTTP: a fresh gateway as `npm start` runs it (embedded store, or PostgreSQL
 * when DATABASE_URL is given; its own embedded node, or an external anvil reached over RPC_URL),
 * the simulator's terminals against it, and the CPU the gateway and its anvil spent per confirmed
 * settlement, read from /proc.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther, Wallet } from "ethers";
import { SoftwareAuthenticator } from "../../../src/auth/software-authenticator";
import { FIRST_OPERATOR_IDS } from "../../../src/chain/deploy";
import { fundFromDevAccount, startLocalNode, type LocalNode } from "../../../src/chain/node";
import { anvilPid, cpuMs, freePort, parseSummary, runSimulator, spawnGateway, stopGateway, waitUntilUp } from "../gateway-process";
import { monotonicUs, profileParts, readProfiles, type ClockWindow } from "./profile";
import { inRecoveries, type EndToEndRun, type GatewayProfile } from "./results";

export interface EndToEndPlan {
  store: EndToEndRun["store"];
  node: EndToEndRun["node"];
  /** Terminal counts, one measured run each, in this order. */
  terminals: readonly number[];
  /** Each run is sized to last about this long at the rate the previous run reached. */
  seconds: number;
  /** Settlements of the warm-up run (creates the demo; not reported). */
  warmup: number;
  recoveryUs: number;
  /** Shown between runs. */
  progress: (line: string) => void;
  /** Profile the gateway's threads (`--cpu-prof`) into this directory, and sum the measured runs' samples by part. */
  profileDir?: string;
}

/** A fresh gateway on a data directory of its own, warmed up (the demo created), ready for runs. */
export interface BenchGateway {
  url: string;
  dataDir: string;
  gateway: ChildProcess;
  /** The confirmed rate of the warm-up run. */
  warmRate: number;
  /** The pid of the gateway's anvil, embedded or external. */
  anvilPid: number;
  /** The external node the bench started (node "external"), else undefined. */
  external?: LocalNode;
  /** When each measured run ran, on the clock of the gateway's CPU profiles. */
  windows: ClockWindow[];
}

/**
 * An anvil of the bench's own in `nodeDir` standing in for a permissioned network (no state
 * dumps: nobody asks it for one), with funded gateway keys and two first operators registered
 * by public key, whose key files go where the simulator looks for them (DATA_DIR/demo-operators).
 * Returns the node and the gateway's environment.
 */
async function externalNode(nodeDir: string, dataDir: string): Promise<{ node: LocalNode; env: Record<string, string> }> {
  const node = await startLocalNode({ dataDir: nodeDir, log: { info: () => undefined, warn: () => undefined }, isolation: "none" });
  const keys = { gateway: Wallet.createRandom(), governance: Wallet.createRandom(), relayer: Wallet.createRandom() };
  await fundFromDevAccount(node.httpUrl!, Object.values(keys).map((k) => k.address), parseEther("1000"));
  const operators = path.join(dataDir, "demo-operators");
  fs.mkdirSync(operators, { recursive: true, mode: 0o700 });
  const publicKeys: Record<string, string> = {};
  for (const [institution, credentialId, operatorId] of [
    ["bank", "1", FIRST_OPERATOR_IDS.bank],
    ["credit_center", "2", FIRST_OPERATOR_IDS.creditCenter],
  ] as const) {
    const passkey = SoftwareAuthenticator.generate();
    const keyFile = path.join(operators, `${institution}.key`);
    passkey.save(keyFile);
    fs.writeFileSync(`${keyFile}.operator.json`, JSON.stringify({ institution, credentialId, operatorId }), { mode: 0o600 });
    publicKeys[institution] = `${passkey.publicKey.qx},${passkey.publicKey.qy}`;
  }
  return {
    node,
    env: {
      RPC_URL: node.httpUrl!,
      DEPLOYMENT_FILE: path.join(dataDir, "deployment.json"),
      GATEWAY_KEY: keys.gateway.privateKey,
      GOVERNANCE_KEY: keys.governance.privateKey,
      RELAYER_KEY: keys.relayer.privateKey,
      FIRST_OPERATORS: "public-keys",
      BANK_FIRST_CREDENTIAL: publicKeys.bank,
      CREDIT_CENTER_FIRST_CREDENTIAL: publicKeys.credit_center,
    },
  };
}

/**
 * Starts a fresh gateway as `npm start` runs it on `store`, runs the simulator's warm-up
 * (`warmup` settlements from `terminals` terminals) and hands it to `use`; stops it and removes
 * its data directory afterwards, whatever `use` did.
 */
export async function withBenchGateway<T>(
  plan: { store: EndToEndRun["store"]; node: EndToEndRun["node"]; warmup: number; terminals: number; progress: (line: string) => void; profileDir?: string },
  use: (g: BenchGateway) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-"));
  const nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-node-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let external: Awaited<ReturnType<typeof externalNode>> | undefined;
  let gateway: ChildProcess | undefined;
  try {
    if (plan.node === "external") external = await externalNode(nodeDir, dataDir);
    const profile = plan.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${plan.profileDir}`] : [];
    // The embedded store must not reach a database this shell happens to name; a gateway on
    // PostgreSQL needs an IDENTITY_KEY (which every gateway of that database shares).
    const store = plan.store === "embedded" ? { DATABASE_URL: undefined } : { IDENTITY_KEY: process.env.IDENTITY_KEY ?? randomBytes(32).toString("hex") };
    gateway = spawnGateway(dataDir, port, { ...store, ...external?.env }, profile);
    await waitUntilUp(url, gateway);
    const warm = parseSummary((await runSimulator({ dataDir, url, settlements: plan.warmup, terminals: plan.terminals })).summary);
    plan.progress(`${plan.store} store, ${plan.node} node, warm-up: ${warm.confirmed} confirmed at ${warm.rate}/s`);
    return await use({ url, dataDir, gateway, warmRate: warm.rate, anvilPid: anvilPid(external ? nodeDir : dataDir), external: external?.node, windows: [] });
  } finally {
    if (gateway) await stopGateway(gateway);
    await external?.node.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(nodeDir, { recursive: true, force: true });
  }
}

/**
 * One run per terminal count on a fresh gateway; with `profileDir`, also where the gateway's CPU
 * went over those runs (the profiles are read once the gateway has exited and written them).
 */
export async function endToEnd(plan: EndToEndPlan): Promise<{ runs: EndToEndRun[]; profile: GatewayProfile | null }> {
  let windows: ClockWindow[] = [];
  const runs = await withBenchGateway({ ...plan, terminals: plan.terminals[0] }, async (g) => {
    windows = g.windows;
    const runs: EndToEndRun[] = [];
    let rate = g.warmRate;
    for (const terminals of plan.terminals) {
      const run = await measuredRun(g, { ...plan, terminals, settlements: Math.max(terminals * 20, Math.round(rate * plan.seconds)) });
      runs.push(run);
      if (run.rate > 0) rate = run.rate;
    }
    return runs;
  });
  if (!plan.profileDir) return { runs, profile: null };
  const settlements = runs.reduce((sum, r) => sum + r.confirmed, 0);
  // Kept beside the profiles, so that they can be read again over the same spans.
  fs.writeFileSync(path.join(plan.profileDir, "windows.json"), JSON.stringify(windows) + "\n");
  const threads = readProfiles(plan.profileDir, windows);
  return { runs, profile: { store: plan.store, node: plan.node, settlements, threads: threads.length, parts: profileParts(threads, settlements) } };
}

/**
 * One measured run of `settlements` from `terminals` terminals as fast as answers come: the
 * confirmed rate, latencies, and CPU of the gateway and its anvil per confirmed settlement.
 */
export async function measuredRun(
  { url, dataDir, gateway, anvilPid: anvil, windows }: BenchGateway,
  plan: { store: EndToEndRun["store"]; node: EndToEndRun["node"]; terminals: number; settlements: number; recoveryUs: number; progress: (line: string) => void },
): Promise<EndToEndRun> {
  const { store, node, terminals, settlements } = plan;
  const before = [cpuMs(gateway.pid!), cpuMs(anvil)];
  const started = performance.now();
  const fromUs = monotonicUs();
  const { summary } = await runSimulator({ dataDir, url, settlements, terminals });
  windows.push({ fromUs, toUs: monotonicUs() });
  const seconds = (performance.now() - started) / 1000;
  const after = [cpuMs(gateway.pid!), cpuMs(anvil)];
  const s = parseSummary(summary);
  const perSettlement = (i: number) => (before[i] === undefined || after[i] === undefined || s.confirmed === 0 ? undefined : (after[i]! - before[i]!) / s.confirmed);
  const gatewayCpuMs = perSettlement(0);
  const anvilCpuMs = perSettlement(1);
  plan.progress(`${store} store, ${node} node, ${terminals} terminals: ${summary}`);
  return {
    store,
    node,
    terminals,
    settlements,
    confirmed: s.confirmed,
    rejected: s.rejected,
    seconds,
    rate: s.rate,
    p50ConfirmMs: s.p50,
    p99ConfirmMs: s.p99,
    gatewayCpuMs,
    gatewayCpuRecoveries: gatewayCpuMs === undefined ? undefined : inRecoveries(gatewayCpuMs, plan.recoveryUs),
    anvilCpuMs,
    anvilCpuRecoveries: anvilCpuMs === undefined ? undefined : inRecoveries(anvilCpuMs, plan.recoveryUs),
  };
}
