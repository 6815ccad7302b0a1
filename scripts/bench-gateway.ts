/**
 * Gateway benchmark: a fresh embedded gateway (as `npm start` runs it, in a temporary DATA_DIR),
 * a warm-up run of the simulator that also creates the demo, then measured runs. Each run prints
 * the simulator's line and, where /proc exists (Linux), the CPU the gateway (all its threads) and
 * its anvil spent per settlement.
 *
 *   npm run bench:gateway [-- --settlements 4000 --runs 3 --warmup 1000 --terminals 8 --rate N]
 *
 * Last line: gateway: runs=R settlements=N rate=median X/s (min–max) p99=median Xms
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { anvilPid, cpuMs, freePort, parseSummary, runSimulator, spawnGateway, stopGateway, waitUntilUp } from "./lib/gateway-process";

const opts = new Command()
  .option("--settlements <n>", "settlements per measured run", "4000")
  .option("--runs <n>", "measured runs", "3")
  .option("--warmup <n>", "settlements of the warm-up run (creates the demo; not measured)", "1000")
  .option("--terminals <n>", "simulated terminals", "8")
  .option("--rate <n>", "offered settlements a second (default: as fast as answers come)")
  .parse()
  .opts<{ settlements: string; runs: string; warmup: string; terminals: string; rate?: string }>();

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-gateway-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = spawnGateway(dataDir, port);
  try {
    await waitUntilUp(url, gateway);
    const simulate = async (settlements: string) => (await runSimulator({ dataDir, url, settlements, terminals: opts.terminals, rate: opts.rate })).summary;
    process.stderr.write(`warm-up: ${await simulate(opts.warmup)}\n`);
    const anvil = anvilPid(dataDir);
    const results: { rate: number; p99: number }[] = [];
    for (let run = 1; run <= Number(opts.runs); run++) {
      const before = [cpuMs(gateway.pid!), cpuMs(anvil)];
      const line = await simulate(opts.settlements);
      const after = [cpuMs(gateway.pid!), cpuMs(anvil)];
      const perSettlement = (i: number) => (((after[i] ?? 0) - (before[i] ?? 0)) / Number(opts.settlements)).toFixed(2);
      const cpu = before[0] === undefined ? "" : `  (CPU per settlement: gateway ${perSettlement(0)} ms, anvil ${perSettlement(1)} ms)`;
      process.stdout.write(`run ${run}: ${line}${cpu}\n`);
      results.push(parseSummary(line));
    }
    const rates = results.map((r) => r.rate).sort((a, b) => a - b);
    const p99s = results.map((r) => r.p99).sort((a, b) => a - b);
    const median = (xs: number[]) => (xs[Math.floor((xs.length - 1) / 2)] + xs[Math.ceil((xs.length - 1) / 2)]) / 2;
    process.stdout.write(
      `gateway: runs=${results.length} settlements=${opts.settlements} rate=median ${median(rates)}/s (${rates[0]}–${rates.at(-1)}) p99=median ${median(p99s)}ms\n`,
    );
  } finally {
    await stopGateway(gateway);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:gateway failed: ${(err as Error).message}\n`);
  process.exit(1);
});
