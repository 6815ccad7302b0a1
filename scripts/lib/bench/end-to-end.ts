/**
 * End to end through HTTP: a fresh gateway as `npm start` runs it (embedded store, or PostgreSQL
 * when DATABASE_URL is given), the simulator's terminals against it, and the CPU the gateway and
 * its anvil spent per confirmed settlement, read from /proc.
 */
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

export async function endToEnd(plan: EndToEndPlan): Promise<EndToEndRun[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The embedded run must not reach a database this shell happens to name.
  const gateway = spawnGateway(dataDir, port, plan.store === "embedded" ? { DATABASE_URL: undefined } : {});
  const runs: EndToEndRun[] = [];
  try {
    await waitUntilUp(url, gateway);
    const warm = parseSummary((await runSimulator({ dataDir, url, settlements: plan.warmup, terminals: plan.terminals[0] })).summary);
    plan.progress(`${plan.store} warm-up: ${warm.confirmed} confirmed at ${warm.rate}/s`);
    const anvil = anvilPid(dataDir);
    let rate = warm.rate;
    for (const terminals of plan.terminals) {
      const settlements = Math.max(terminals * 20, Math.round(rate * plan.seconds));
      const before = [cpuMs(gateway.pid!), cpuMs(anvil)];
      const started = performance.now();
      const { summary } = await runSimulator({ dataDir, url, settlements, terminals });
      const seconds = (performance.now() - started) / 1000;
      const after = [cpuMs(gateway.pid!), cpuMs(anvil)];
      const s = parseSummary(summary);
      const perSettlement = (i: number) => (before[i] === undefined || after[i] === undefined || s.confirmed === 0 ? undefined : (after[i]! - before[i]!) / s.confirmed);
      const gatewayCpuMs = perSettlement(0);
      const anvilCpuMs = perSettlement(1);
      runs.push({
        store: plan.store,
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
      });
      plan.progress(`${plan.store} ${terminals} terminals: ${summary}`);
      if (s.rate > 0) rate = s.rate;
    }
  } finally {
    await stopGateway(gateway);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return runs;
}
