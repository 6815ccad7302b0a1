/**
 * What the gateway benchmarks share: the gateway started as `npm start` starts it, in a child
 * process of its own, the simulator run against it, and the figures read from /proc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { readPidFile } from "../../src/pid-file";

export const ROOT = path.join(__dirname, "..", "..");
const TS_NODE = ["-r", "ts-node/register/transpile-only"];

/** The gateway's command line as `npm start` runs it (package.json: node, its flags, the entry point). */
export function startCommand(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.split(/\s+/);
  if (start[0] !== "node") throw new Error(`npm start does not run node: ${start.join(" ")}`);
  return start;
}

/**
 * Starts the gateway with `npm start`'s command line on `dataDir` (first operators by enrolment
 * code, which the simulator redeems for its demo operators); its stdout is dropped, its stderr
 * shown. `env` overrides this process's environment; a variable set to undefined is removed.
 * `nodeArgs` go before the command line's own flags (`--cpu-prof`, for one).
 */
export function spawnGateway(dataDir: string, port: number, env: Record<string, string | undefined> = {}, nodeArgs: readonly string[] = []): ChildProcess {
  const merged: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn", FIRST_OPERATORS: process.env.FIRST_OPERATORS ?? "enrolment-codes", ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return spawn(process.execPath, [...nodeArgs, ...startCommand().slice(1)], {
    cwd: ROOT,
    env: merged,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** Stops the gateway as Ctrl-C would (SIGINT) and resolves with its exit code once it has exited. */
export function stopGateway(gateway: ChildProcess): Promise<number | null> {
  if (gateway.exitCode !== null || gateway.signalCode !== null) return Promise.resolve(gateway.exitCode);
  const exited = new Promise<number | null>((resolve) => gateway.once("exit", (code) => resolve(code)));
  gateway.kill("SIGINT");
  return exited;
}

/**
 * Resolves once GET `check` (default /healthz) on the gateway answers 200; fails if the gateway
 * exits first or after `timeoutMs` (default 180 s).
 */
export async function waitUntilUp(
  url: string,
  gateway: ChildProcess,
  { check = "/healthz", timeoutMs = 180_000, pollMs = 500 }: { check?: string; timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited with ${gateway.exitCode} while starting`);
    const up = await fetch(new URL(check, url), { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`the gateway did not answer ${check} within ${timeoutMs / 1000} s`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

export interface SimulatorRun {
  dataDir: string;
  url: string;
  settlements: number | string;
  terminals: number | string;
  /** Offered settlements a second; default as fast as answers come. */
  rate?: number | string;
  /** Settlements in flight at once (--concurrency); default the simulator's. */
  concurrency?: number;
  /** Sign each settlement just before sending it (--sign-live), not all before the clock starts. */
  signLive?: boolean;
  /** Print a `window:` line every this many seconds (--window), each passed to `onLine` as it comes. */
  windowSeconds?: number;
  /** Called with each line of the simulator's output as it arrives. */
  onLine?: (line: string) => void;
}

/**
 * Runs scripts/simulate.ts against the gateway; resolves with its last line (the summary) and the
 * lines before it that count rejections by reason (`  rejected N x reason`).
 */
export function runSimulator(run: SimulatorRun): Promise<{ summary: string; rejections: string[] }> {
  const args = [...TS_NODE, "scripts/simulate.ts", "--terminals", String(run.terminals), "--settlements", String(run.settlements), "--gateway", run.url];
  if (run.rate !== undefined) args.push("--rate", String(run.rate));
  if (run.concurrency !== undefined) args.push("--concurrency", String(run.concurrency));
  if (run.signLive) args.push("--sign-live");
  if (run.windowSeconds !== undefined) args.push("--window", String(run.windowSeconds));
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, DATA_DIR: run.dataDir }, stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  let shown = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (!run.onLine) return;
    const end = out.lastIndexOf("\n");
    if (end < shown) return;
    for (const line of out.slice(shown, end).split("\n")) if (line) run.onLine(line);
    shown = end + 1;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const lines = out.trim().split("\n");
      const last = lines.at(-1) ?? "";
      if (code === 0) resolve({ summary: last, rejections: lines.filter((l) => /^\s*rejected \d+ x /.test(l)).map((l) => l.trim()) });
      else reject(new Error(`simulate exited with ${code}: ${last}`));
    });
  });
}

/** The simulator's summary line: `simulate: accepted=N confirmed=N rejected=N rate=X/s p50=Xms p99=Xms`. */
export function parseSummary(line: string): { confirmed: number; rejected: number; rate: number; p50: number; p99: number } {
  const m = /confirmed=(\d+) rejected=(\d+) rate=([\d.]+)\/s p50=(\d+)ms p99=(\d+)ms/.exec(line);
  if (!m) throw new Error(`the simulator's last line is not its summary: ${line}`);
  return { confirmed: Number(m[1]), rejected: Number(m[2]), rate: Number(m[3]), p50: Number(m[4]), p99: Number(m[5]) };
}

/** One `window:` line of the simulator (--window): what was accepted and confirmed in it, latencies in ms (null when none). */
export interface SimulatorWindow {
  /** Seconds since the simulator's clock started, at the window's end. */
  t: number;
  accepted: number;
  confirmed: number;
  rejected: number;
  acceptP50Ms: number | null;
  acceptP99Ms: number | null;
  confirmP50Ms: number | null;
  confirmP99Ms: number | null;
}

/** The simulator's `window: t=Ns accepted=N confirmed=N rejected=N accept_p50=Xms ...` line; undefined for any other line. */
export function parseWindow(line: string): SimulatorWindow | undefined {
  const m = /^window: t=(\d+)s accepted=(\d+) confirmed=(\d+) rejected=(\d+) accept_p50=(\d+ms|na) accept_p99=(\d+ms|na) confirm_p50=(\d+ms|na) confirm_p99=(\d+ms|na)$/.exec(line);
  if (!m) return undefined;
  const ms = (text: string) => (text === "na" ? null : Number(text.slice(0, -2)));
  return { t: Number(m[1]), accepted: Number(m[2]), confirmed: Number(m[3]), rejected: Number(m[4]), acceptP50Ms: ms(m[5]), acceptP99Ms: ms(m[6]), confirmP50Ms: ms(m[7]), confirmP99Ms: ms(m[8]) };
}

/** User + system CPU of a process (all its threads), in ms; undefined without /proc. */
export function cpuMs(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/**
 * A memory figure of a process from /proc/<pid>/status, in bytes: VmRSS (resident now) or VmHWM
 * (its peak); undefined without /proc or once it is gone.
 */
export function memoryBytes(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the embedded anvil of the gateway on `dataDir` (DATA_DIR/chain/anvil.pid). */
export function anvilPid(dataDir: string): number {
  const pid = readPidFile(path.join(dataDir, "chain", "anvil.pid"));
  if (pid === undefined) throw new Error(`no anvil pid in ${dataDir}/chain/anvil.pid`);
  return pid;
}
