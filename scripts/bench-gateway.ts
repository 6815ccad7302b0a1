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
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";

const opts = new Command()
  .option("--settlements <n>", "settlements per measured run", "4000")
  .option("--runs <n>", "measured runs", "3")
  .option("--warmup <n>", "settlements of the warm-up run (creates the demo; not measured)", "1000")
  .option("--terminals <n>", "simulated terminals", "8")
  .option("--rate <n>", "offered settlements a second (default: as fast as answers come)")
  .parse()
  .opts<{ settlements: string; runs: string; warmup: string; terminals: string; rate?: string }>();

const ROOT = path.join(__dirname, "..");
const TS_NODE = ["-r", "ts-node/register/transpile-only"];
/** The gateway's command line as `npm start` runs it (package.json: node, its flags, the entry point). */
const START = startCommand();

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-gateway-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = spawn(process.execPath, START.slice(1), {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await waitUntilUp(url, gateway);
    const simulate = (settlements: string) => runSimulator(dataDir, url, settlements);
    process.stderr.write(`warm-up: ${await simulate(opts.warmup)}\n`);
    const anvilPid = Number(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
    const results: { rate: number; p99: number }[] = [];
    for (let run = 1; run <= Number(opts.runs); run++) {
      const before = [cpuMs(gateway.pid!), cpuMs(anvilPid)];
      const line = await simulate(opts.settlements);
      const after = [cpuMs(gateway.pid!), cpuMs(anvilPid)];
      const perSettlement = (i: number) => (((after[i] ?? 0) - (before[i] ?? 0)) / Number(opts.settlements)).toFixed(2);
      const cpu = before[0] === undefined ? "" : `  (CPU per settlement: gateway ${perSettlement(0)} ms, anvil ${perSettlement(1)} ms)`;
      process.stdout.write(`run ${run}: ${line}${cpu}\n`);
      const m = /rate=([\d.]+)\/s .*p99=(\d+)ms/.exec(line);
      if (!m) throw new Error(`the simulator's last line is not its summary: ${line}`);
      results.push({ rate: Number(m[1]), p99: Number(m[2]) });
    }
    const rates = results.map((r) => r.rate).sort((a, b) => a - b);
    const p99s = results.map((r) => r.p99).sort((a, b) => a - b);
    const median = (xs: number[]) => (xs[Math.floor((xs.length - 1) / 2)] + xs[Math.ceil((xs.length - 1) / 2)]) / 2;
    process.stdout.write(
      `gateway: runs=${results.length} settlements=${opts.settlements} rate=median ${median(rates)}/s (${rates[0]}–${rates.at(-1)}) p99=median ${median(p99s)}ms\n`,
    );
  } finally {
    gateway.kill("SIGINT");
    await new Promise((resolve) => (gateway.exitCode === null ? gateway.once("exit", resolve) : resolve(undefined)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function startCommand(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.split(/\s+/);
  if (start[0] !== "node") throw new Error(`npm start does not run node: ${start.join(" ")}`);
  return start;
}

/** Runs the simulator against the gateway; resolves with its last line (the summary). */
function runSimulator(dataDir: string, url: string, settlements: string): Promise<string> {
  const args = [...TS_NODE, "scripts/simulate.ts", "--terminals", opts.terminals, "--settlements", settlements, "--gateway", url];
  if (opts.rate) args.push("--rate", opts.rate);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code === 0) resolve(last);
      else reject(new Error(`simulate exited with ${code}: ${last}`));
    });
  });
}

/** User + system CPU of a process (all its threads), in ms; undefined without /proc. */
function cpuMs(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function waitUntilUp(url: string, gateway: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited with ${gateway.exitCode} while starting`);
    const up = await fetch(new URL("/healthz", url)).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the gateway did not start within 180 s");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:gateway failed: ${(err as Error).message}\n`);
  process.exit(1);
});
