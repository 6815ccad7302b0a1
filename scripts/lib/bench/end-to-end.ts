/**
 * End to end through HTTP: a fresh gateway as `npm start` runs it (embedded store, or PostgreSQL
 * when DATABASE_URL is given), the simulator's terminals against it, and the CPU the gateway and
 * its anvil spent per confirmed settlement, read from /proc.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { anvilPid, cpuMs, freePort, parseSummary, runSimulator, spawnGateway, stopGateway, waitUntilUp } from "../gateway-process";
import { inRecoveries, type EndToEndRun } from "./results";

export interface EndToEndPlan {
  store: EndToEndRun["store"];
  /** Terminal counts, one measured run each, in this order. */
  terminals: readonly number[];
  /** Each run is sized to last about this long at the rate the previous run reached. */
  seconds: number;
  /** Settlements of the warm-up run (creates the demo; not reported). */
  warmup: number;
  recoveryUs: number;
  /** Shown between runs. */
  progress: (line: string) => void;
}

/** A fresh gateway on a data directory of its own, warmed up (the demo created), ready for runs. */
export interface BenchGateway {
  url: string;
  dataDir: string;
  gateway: ChildProcess;
  /** The confirmed rate of the warm-up run. */
  warmRate: number;
}

/**
 * Starts a fresh gateway as `npm start` runs it on `store`, runs the simulator's warm-up
 * (`warmup` settlements from `terminals` terminals) and hands it to `use`; stops it and removes
 * its data directory afterwards, whatever `use` did.
 */
export async function withBenchGateway<T>(
  plan: { store: EndToEndRun["store"]; warmup: number; terminals: number; progress: (line: string) => void },
  use: (g: BenchGateway) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The embedded run must not reach a database this shell happens to name.
  const gateway = spawnGateway(dataDir, port, plan.store === "embedded" ? { DATABASE_URL: undefined } : {});
  try {
    await waitUntilUp(url, gateway);
    const warm = parseSummary((await runSimulator({ dataDir, url, settlements: plan.warmup, terminals: plan.terminals })).summary);
    plan.progress(`${plan.store} warm-up: ${warm.confirmed} confirmed at ${warm.rate}/s`);
    return await use({ url, dataDir, gateway, warmRate: warm.rate });
  } finally {
    await stopGateway(gateway);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function endToEnd(plan: EndToEndPlan): Promise<EndToEndRun[]> {
  return withBenchGateway({ ...plan, terminals: plan.terminals[0] }, async (g) => {
    const runs: EndToEndRun[] = [];
    let rate = g.warmRate;
    for (const terminals of plan.terminals) {
      const run = await measuredRun(g, { ...plan, terminals, settlements: Math.max(terminals * 20, Math.round(rate * plan.seconds)) });
      runs.push(run);
      if (run.rate > 0) rate = run.rate;
    }
    return runs;
  });
}

/**
 * One measured run of `settlements` from `terminals` terminals as fast as answers come: the
 * confirmed rate, latencies, and CPU of the gateway and its anvil per confirmed settlement.
 */
export async function measuredRun(
  { url, dataDir, gateway }: BenchGateway,
  plan: { store: EndToEndRun["store"]; terminals: number; settlements: number; recoveryUs: number; progress: (line: string) => void },
): Promise<EndToEndRun> {
  const { store, terminals, settlements } = plan;
  const anvil = anvilPid(dataDir);
  const before = [cpuMs(gateway.pid!), cpuMs(anvil)];
  const started = performance.now();
  const { summary } = await runSimulator({ dataDir, url, settlements, terminals });
  const seconds = (performance.now() - started) / 1000;
  const after = [cpuMs(gateway.pid!), cpuMs(anvil)];
  const s = parseSummary(summary);
  const perSettlement = (i: number) => (before[i] === undefined || after[i] === undefined || s.confirmed === 0 ? undefined : (after[i]! - before[i]!) / s.confirmed);
  const gatewayCpuMs = perSettlement(0);
  const anvilCpuMs = perSettlement(1);
  plan.progress(`${store} ${terminals} terminals: ${summary}`);
  return {
    store,
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
