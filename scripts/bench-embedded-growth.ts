/**
 * The embedded default as its chain grows: the gateway started as `npm start` starts it (the
 * chain's state kept in DATA_DIR/chain/state.json), fed by the simulator in steps at a fixed rate.
 * After each step it reads the memory of the gateway and of anvil, stops the gateway as Ctrl-C
 * would, and starts it again, timing how long until it is ready.
 *
 *   npm run bench:embedded-growth [-- --steps 6 --step-settlements 15000 --rate N --terminals 8
 *                                     --data-dir DIR --keep]
 *
 * Without --rate, a warm-up run (it creates the demo) and an unthrottled calibration run measure
 * the capacity, and the steps offer half of it. Without --data-dir the chain is a new one in a
 * temporary DATA_DIR, deleted at the end unless --keep; --data-dir continues a kept one (never
 * deleted). Settlements held are counted in DATA_DIR/bench-embedded-growth.json.
 *
 * One line a step (MB = 10^6 bytes; load is the machine's 1-minute load average):
 *   step S: held=N state=X MB (B/settlement; this step B/settlement) rate=X/s p99=Xms
 *           dumps=N (writes paused mean X s, max <= X s) cpu/settlement gateway=X ms anvil=X ms
 *           rss gateway=X MB anvil=X MB (peak X MB)
 *           stop=Xs restart=Xs state after restart=X MB load=X
 * Last line: embedded-growth: steps=S held=N state=X MB ... (the worst step's figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { Command } from "commander";
import { anvilPid, cpuMs, freePort, parseSummary, memoryBytes, runSimulator, spawnGateway, stopGateway, waitUntilUp } from "./lib/gateway-process";

const opts = new Command()
  .option("--steps <n>", "steps", "6")
  .option("--step-settlements <n>", "settlements offered in each step", "15000")
  .option("--rate <n>", "settlements offered a second (default: half the capacity of an unthrottled calibration run)")
  .option("--calibration <n>", "settlements of the calibration run (without --rate)", "3000")
  .option("--terminals <n>", "simulated terminals", "8")
  .option("--data-dir <dir>", "continue the chain of a kept DATA_DIR (default: a new one in a temporary directory)")
  .option("--keep", "keep the temporary DATA_DIR (its path is printed)")
  .parse()
  .opts<{ steps: string; stepSettlements: string; rate?: string; calibration: string; terminals: string; dataDir?: string; keep?: boolean }>();

const RECORD = "bench-embedded-growth.json";
const MB = 1_000_000;
/** How long the gateway may take to become ready after a restart before the run gives up. */
const READY_TIMEOUT_MS = 600_000;

interface Step {
  held: number;
  stateBytes: number;
  rate: number;
  p99: number;
  rssGateway?: number;
  rssAnvil?: number;
  peakAnvil?: number;
  stopSeconds: number;
  restartSeconds?: number;
}

async function main(): Promise<void> {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-growth-"));
  const temporary = !opts.dataDir;
  const stateFile = path.join(dataDir, "chain", "state.json");
  const terminals = positive("terminals", opts.terminals);
  const stepSettlements = positive("step-settlements", opts.stepSettlements);
  let held = heldBefore(dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`DATA_DIR ${dataDir}${temporary ? (opts.keep ? " (kept)" : " (deleted at the end)") : ""}; settlements held at start: ${held}\n`);

  let gateway: ChildProcess | undefined;
  const steps: Step[] = [];
  let failure: string | undefined;
  try {
    let started = performance.now();
    gateway = spawnGateway(dataDir, port);
    await waitUntilUp(url, gateway, { check: "/readyz", timeoutMs: READY_TIMEOUT_MS, pollMs: 100 });
    // The growth of a step is counted from the state as loaded (a new chain: from nothing, the
    // warm-up and calibration runs included), then from the state the restarted gateway wrote.
    let base = { bytes: fs.existsSync(stateFile) ? fs.statSync(stateFile).size : 0, held };
    process.stdout.write(`start: ready in ${seconds(started)} s, state ${mb(base.bytes)} MB\n`);

    const simulate = async (settlements: number, rate?: number) => {
      const { summary, rejections } = await runSimulator({ dataDir, url, settlements, terminals, rate });
      return { ...parseSummary(summary), rejections };
    };
    let rate = opts.rate === undefined ? undefined : positive("rate", opts.rate);
    if (rate === undefined) {
      const warmup = await simulate(500);
      held = record(dataDir, held + warmup.confirmed);
      const calibration = await simulate(positive("calibration", opts.calibration));
      held = record(dataDir, held + calibration.confirmed);
      rate = Math.max(1, Math.floor(calibration.rate / 2));
      process.stdout.write(`capacity ${calibration.rate}/s (unthrottled run of ${opts.calibration}, p99 ${calibration.p99}ms); rate chosen ${rate}/s (half)\n`);
    } else {
      process.stdout.write(`rate chosen ${rate}/s (--rate)\n`);
    }

    for (let s = 1; s <= positive("steps", opts.steps); s++) {
      const pausesBefore = await dumpPauses(url);
      const cpuBefore = [cpuMs(gateway.pid!), cpuMs(anvilPid(dataDir))];
      const summary = await simulate(stepSettlements, rate);
      const pauses = describePauses(pausesBefore, await dumpPauses(url));
      const load = os.loadavg()[0];
      held = record(dataDir, held + summary.confirmed);
      const anvil = anvilPid(dataDir);
      const cpu = cpuPerSettlement(cpuBefore, [cpuMs(gateway.pid!), cpuMs(anvil)], summary.confirmed);
      const rssGateway = memoryBytes(gateway.pid!, "VmRSS");
      const rssAnvil = memoryBytes(anvil, "VmRSS");
      const peakAnvil = memoryBytes(anvil, "VmHWM");

      started = performance.now();
      const code = await stopGateway(gateway);
      const stopSeconds = seconds(started);
      if (code !== 0) failure = `the gateway exited with ${code} when stopped`;
      const stateBytes = fs.statSync(stateFile).size; // the final dump of the stop: this step's end
      const mtime = mtimeOf(stateFile);
      const step: Step = { held, stateBytes, rate: summary.rate, p99: summary.p99, rssGateway, rssAnvil, peakAnvil, stopSeconds };
      steps.push(step);
      const stepGrowth = (stateBytes - base.bytes) / (held - base.held);

      let after = "";
      if (!failure) {
        started = performance.now();
        gateway = spawnGateway(dataDir, port);
        try {
          await waitUntilUp(url, gateway, { check: "/readyz", timeoutMs: READY_TIMEOUT_MS, pollMs: 100 });
          step.restartSeconds = seconds(started);
          base = { bytes: await nextDump(stateFile, mtime), held };
          after = ` restart=${step.restartSeconds}s state after restart=${mb(base.bytes)} MB`;
        } catch (err) {
          failure = `restart failed after ${seconds(started)} s: ${(err as Error).message}`;
        }
      }
      process.stdout.write(
        `step ${s}: held=${held} state=${mb(stateBytes)} MB (${Math.round(stateBytes / held)} B/settlement` +
          `; this step ${Math.round(stepGrowth)}) rate=${summary.rate}/s p99=${summary.p99}ms${pauses}` +
          `${summary.rejected ? ` rejected=${summary.rejected} (${summary.rejections.join("; ")})` : ""}${cpu} rss gateway=${mb(rssGateway)} MB anvil=${mb(rssAnvil)} MB (peak ${mb(peakAnvil)} MB)` +
          ` stop=${stopSeconds}s${after} load=${load.toFixed(1)}${failure ? ` ${failure}` : ""}\n`,
      );
      if (failure) break;
    }
  } finally {
    if (gateway) await stopGateway(gateway);
    if (temporary && !opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const last = steps.at(-1);
  const max = (f: (s: Step) => number | undefined) => Math.max(...steps.map((s) => f(s) ?? 0));
  process.stdout.write(
    `embedded-growth: steps=${steps.length} held=${held} state=${mb(last?.stateBytes)} MB` +
      `${last ? ` (${Math.round(last.stateBytes / last.held)} B/settlement)` : ""} rate=${steps.map((s) => s.rate).join(",")}/s` +
      ` p99=max ${max((s) => s.p99)}ms restart=max ${max((s) => s.restartSeconds)}s stop=max ${max((s) => s.stopSeconds)}s` +
      ` rss=max gateway ${mb(max((s) => s.rssGateway))} MB anvil ${mb(max((s) => s.peakAnvil))} MB (peak)${failure ? ` FAILED: ${failure}` : ""}\n`,
  );
  if (failure) process.exitCode = 1;
}

/** Settlements held by the chain in `dataDir` before this run: the record a previous run left. */
function heldBefore(dataDir: string): number {
  const file = path.join(dataDir, RECORD);
  if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { settlements: number }).settlements;
  if (fs.existsSync(path.join(dataDir, "chain", "state.json"))) {
    throw new Error(`${dataDir} holds a chain but no ${RECORD}: its settlements are not known`);
  }
  return 0;
}

function record(dataDir: string, settlements: number): number {
  fs.writeFileSync(path.join(dataDir, RECORD), JSON.stringify({ settlements }) + "\n");
  return settlements;
}

/**
 * The size of the state file once the gateway has written it again (after a restart, its first
 * periodic dump some 5 s after it starts: what anvil serialises of what it loaded); after 120 s
 * without a dump, its size as it is.
 */
async function nextDump(stateFile: string, mtimeBefore: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && mtimeOf(stateFile) === mtimeBefore) await new Promise((r) => setTimeout(r, 250));
  return fs.existsSync(stateFile) ? fs.statSync(stateFile).size : 0;
}

const mtimeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : -1);

/** ` cpu/settlement gateway=X ms anvil=X ms` over a step (all threads), or nothing without /proc. */
function cpuPerSettlement(before: (number | undefined)[], after: (number | undefined)[], settlements: number): string {
  const per = (i: number) => (before[i] === undefined || after[i] === undefined ? "?" : ((after[i]! - before[i]!) / settlements).toFixed(2));
  return before[0] === undefined ? "" : ` cpu/settlement gateway=${per(0)} ms anvil=${per(1)} ms`;
}

type Pauses = { count: number; sum: number; buckets: Map<number, number> };

/** The gateway's histogram of how long chain writes waited for each state dump (GET /metrics). */
async function dumpPauses(url: string): Promise<Pauses | undefined> {
  const text = await fetch(new URL("/metrics", url)).then(
    (r) => (r.ok ? r.text() : ""),
    () => "",
  );
  const value = (suffix: string) => Number(new RegExp(`^local_node_state_dump_pause_seconds_${suffix} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^local_node_state_dump_pause_seconds_bucket\{le="([\d.]+)"\} (\d+)$/gm)) buckets.set(Number(m[1]), Number(m[2]));
  const count = value("count");
  return Number.isNaN(count) ? undefined : { count, sum: value("sum"), buckets };
}

/** ` dumps=N (writes paused mean X s, max <= Y s)` over a step, or nothing without the metric. */
function describePauses(before: Pauses | undefined, after: Pauses | undefined): string {
  if (!before || !after) return "";
  const n = after.count - before.count;
  if (n === 0) return " dumps=0";
  const le = [...after.buckets].find(([bound, count]) => count - (before.buckets.get(bound) ?? 0) === n)?.[0];
  return ` dumps=${n} (writes paused mean ${((after.sum - before.sum) / n).toFixed(2)} s, max ${le === undefined ? "> 30" : `<= ${le}`} s)`;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : (bytes / MB).toFixed(1));

main().catch((err: unknown) => {
  process.stderr.write(`bench:embedded-growth failed: ${(err as Error).message}\n`);
  process.exit(1);
});
