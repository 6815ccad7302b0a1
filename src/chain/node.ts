/**
 * The embedded default's EVM node: anvil, run as a SEPARATE child process on 127.0.0.1, with its
 * chain state in DATA_DIR/chain/state.json so it survives restarts.
 *
 * Verified with anvil 1.7.1: anvil writes the state file on SIGTERM and SIGINT (a clean exit),
 * never on SIGKILL, IN PLACE (O_TRUNC, no rename), so a kill during that dump leaves a truncated
 * file that anvil refuses to load: each start checks the file and keeps a copy of the last good
 * one in state.json.bak. Periodic dumps are not anvil's `--state-interval` (it can catch a block
 * half-mined: account state without the block); the gateway calls `dumpState` while no
 * transaction is in flight (see write-gate.ts), and it replaces the file atomically. The state holds
 * blocks, receipts and logs, but not the chain id (kept beside it in node.json) nor historical
 * states (calls at an old block fail after a restart). Anvil's stdout prints the well-known dev
 * keys: it is drained, never logged.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { processCommand, readPidFile } from "../pid-file";
import fs from "node:fs";
import path from "node:path";
import http from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { HDNodeWallet, JsonRpcProvider, getAddress } from "ethers";

/** Anvil's default mnemonic; its accounts are funded on the local node only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEFAULT_CHAIN_ID = 31337;

/** The slice of a pino logger this module uses. */
export interface NodeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LocalNodeOptions {
  dataDir: string;
  /** Default: a free port chosen by anvil. */
  port?: number;
  log: NodeLog;
  /** Only for a fresh chain; an existing one keeps the id recorded in chain/node.json. */
  chainId?: number;
  /** Default 20 s. */
  startTimeoutMs?: number;
  /** Default: the anvil binary of the @foundry-rs/anvil-<platform>-<arch> package. */
  anvilPath?: string;
}

export interface LocalNode {
  rpcUrl: string;
  chainId: number;
  /** The state file anvil loads on start and dumps on exit. */
  stateFile: string;
  /**
   * Has the node serialise its state now; call it only while no transaction is being mined. It
   * resolves once the node has answered (new transactions may go on from then), with `write`,
   * which streams the state into the state file (atomically: a temporary file renamed over it).
   */
  captureState(): Promise<{ write(): Promise<void> }>;
  /** captureState, then write. */
  dumpState(): Promise<void>;
  /** Stops the node gracefully (SIGTERM, then SIGKILL after 10 s) and waits for the state dump. */
  stop(): Promise<void>;
}

export function anvilBinary(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  if (!arch) throw new Error(`no anvil build for architecture ${process.arch}`);
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    return require.resolve(`${pkg}/bin/anvil`);
  } catch {
    throw new Error(`anvil binary not found: install ${pkg} (it comes with @foundry-rs/anvil)`);
  }
}

export async function startLocalNode(options: LocalNodeOptions): Promise<LocalNode> {
  const { log } = options;
  const chainDir = path.join(options.dataDir, "chain");
  fs.mkdirSync(chainDir, { recursive: true, mode: 0o700 });
  const stateFile = path.join(chainDir, "state.json");
  const pidFile = path.join(chainDir, "anvil.pid");
  await waitForPreviousNode(pidFile, log);
  backUpState(stateFile);
  const chainId = resolveChainId(path.join(chainDir, "node.json"), options.chainId, fs.existsSync(stateFile));
  const args = [
    "--host", "127.0.0.1",
    "--port", String(options.port ?? 0),
    "--chain-id", String(chainId),
    "--state", stateFile,
  ];
  // anvil runs under a small shell that holds a pipe from the gateway: when the gateway exits
  // for any reason, kill -9 included, the pipe closes and anvil gets SIGTERM, so it dumps its
  // state instead of lingering as an orphan. The next start waits for that dump to finish.
  // The kill checks that the pid is still anvil: should anvil have died on its own, its pid may
  // since belong to anything (pids are reused), a newly started gateway included.
  const guard =
    'trap "" INT TERM; "$0" "$@" & p=$!; echo "$p" > "$PIDFILE"; exec 3<&0; ' +
    '(cat <&3 >/dev/null; { ! command -v ps >/dev/null || ps -p "$p" -o comm= | grep -q anvil; } && kill -TERM "$p" 2>/dev/null) & wait "$p"';
  const child = spawn("/bin/sh", ["-c", guard, options.anvilPath ?? anvilBinary(), ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PIDFILE: pidFile },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  // If the gateway dies without stop(), still let anvil exit cleanly and dump its state.
  const onExit = () => child.stdin!.end();
  process.once("exit", onExit);

  const stop = async () => {
    process.removeListener("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end(); // the guard shell sends anvil SIGTERM
    const timer = setTimeout(() => {
      const pid = readPidFile(pidFile);
      if (pid) killQuietly(pid, "SIGKILL");
      child.kill("SIGKILL");
    }, 10_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    log.info({ code, signal, stateFile }, "local node stopped");
  };

  try {
    const port = await Promise.race([
      listeningPort(child),
      exited.then(({ code, signal }) => {
        throw new Error(`anvil exited during start (code ${code}, signal ${signal}): ${lastLines(stderr)}`);
      }),
      delay(options.startTimeoutMs ?? 20_000).then(() => {
        throw new Error(`anvil did not start listening within ${options.startTimeoutMs ?? 20_000} ms: ${lastLines(stderr)}`);
      }),
    ]);
    child.stdout!.resume(); // keep draining: a full pipe would block anvil
    const rpcUrl = `http://127.0.0.1:${port}`;
    const answered = await waitForChainId(rpcUrl, options.startTimeoutMs ?? 20_000);
    if (answered !== chainId) throw new Error(`local node answers chain id ${answered}, expected ${chainId}`);
    child.stderr!.on("data", (chunk: string) => log.warn({ stderr: chunk.trim().slice(0, 500) }, "local node stderr"));
    log.info({ rpcUrl, chainId, stateFile, pid: child.pid }, "local node started");
    const captureState = () => requestStateDump(rpcUrl, stateFile);
    return { rpcUrl, chainId, stateFile, stop, captureState, dumpState: async () => (await captureState()).write() };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Tops up each address to at least `amountWei` from anvil's first dev account. Refuses anything
 * but a local anvil node: the dev keys are public.
 * Returns the addresses it sent funds to.
 */
export async function fundFromDevAccount(rpcUrl: string, addresses: readonly string[], amountWei: bigint): Promise<string[]> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    const client = String(await provider.send("web3_clientVersion", []));
    if (!/^anvil\//i.test(client)) throw new Error(`refusing to fund from dev keys on a non-anvil node (${client})`);
    const host = new URL(rpcUrl).hostname;
    if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) throw new Error(`refusing to fund from dev keys on a remote node (${host})`);
    const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
    let nonce = await provider.getTransactionCount(dev.address, "pending");
    const sent: { to: string; wait: () => Promise<unknown> }[] = [];
    for (const raw of addresses) {
      const to = getAddress(raw);
      const balance = await provider.getBalance(to);
      if (balance >= amountWei) continue;
      const tx = await dev.sendTransaction({ to, value: amountWei - balance, nonce: nonce++ });
      sent.push({ to, wait: () => tx.wait() });
    }
    for (const tx of sent) await tx.wait();
    return sent.map((tx) => tx.to);
  } finally {
    provider.destroy();
  }
}

/**
 * anvil_dumpState answers the gzipped JSON that --state loads, hex-encoded in a JSON-RPC answer
 * of tens of megabytes. It is streamed: the hex is decoded chunk by chunk, unzipped into a
 * temporary file and swapped in, so the gateway's event loop never holds the whole answer.
 */
async function requestStateDump(rpcUrl: string, stateFile: string): Promise<{ write(): Promise<void> }> {
  // anvil serialises the whole state before it answers: once the headers are here, it is taken.
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_dumpState", params: [] });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(rpcUrl, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: 120_000 }, resolve);
    req.on("timeout", () => req.destroy(new Error("anvil_dumpState timed out")));
    req.on("error", reject);
    req.end(body);
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`anvil_dumpState failed: HTTP ${res.statusCode}`);
  }
  return {
    write: async () => {
      const tmp = `${stateFile}.tmp`;
      await pipeline(res, new HexResult(), zlib.createGunzip(), fs.createWriteStream(tmp, { mode: 0o600 }));
      const fd = await fs.promises.open(tmp, "r+");
      try {
        await fd.sync();
      } finally {
        await fd.close();
      }
      await fs.promises.rename(tmp, stateFile);
    },
  };
}

/** Turns a streamed JSON-RPC answer `{..."result":"0x<hex>"...}` into the bytes of its hex string. */
class HexResult extends Transform {
  private seen = "";
  private odd = "";
  private phase: "before" | "hex" | "after" = "before";

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let text = chunk.toString("latin1");
    if (this.phase === "before") {
      this.seen += text;
      const start = /"result"\s*:\s*"0x/.exec(this.seen);
      if (!start) return done(this.seen.length > 65_536 ? new Error(`anvil_dumpState: no result in ${this.seen.slice(0, 200)}`) : undefined);
      text = this.seen.slice(start.index + start[0].length);
      this.seen = "";
      this.phase = "hex";
    }
    if (this.phase === "hex") {
      const end = text.indexOf('"');
      const hex = this.odd + (end >= 0 ? text.slice(0, end) : text);
      if (end >= 0) this.phase = "after";
      const even = hex.length - (hex.length % 2);
      this.odd = hex.slice(even);
      if (even > 0) this.push(Buffer.from(hex.slice(0, even), "hex"));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.phase === "after" ? undefined : new Error(`anvil_dumpState: ${this.phase === "before" ? `no result in ${this.seen.slice(0, 200)}` : "answer cut short"}`));
  }
}

/** Refuses a corrupt state file (a dump cut short) with directions; else keeps a copy of it. */
function backUpState(stateFile: string): void {
  if (!fs.existsSync(stateFile)) return;
  const backup = `${stateFile}.bak`;
  try {
    JSON.parse(fs.readFileSync(stateFile, "utf8"));
  } catch {
    throw new Error(
      `${stateFile} is not valid JSON (a state dump was cut short?). ` +
        (fs.existsSync(backup)
          ? `${backup} holds the state of the last clean start: move it into place to resume from there (later blocks are lost).`
          : "No backup exists: remove the file to start a new chain."),
    );
  }
  fs.copyFileSync(stateFile, backup);
}

/** The chain id is not part of anvil's state: record it beside the state, reuse it after. */
function resolveChainId(metaFile: string, requested: number | undefined, stateExists: boolean): number {
  let recorded: number | undefined;
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as { chainId?: unknown };
    if (typeof meta.chainId !== "number") throw new Error(`${metaFile}: chainId missing`);
    recorded = meta.chainId;
  } else if (stateExists) {
    recorded = DEFAULT_CHAIN_ID; // a state written before node.json existed: anvil's default
  }
  if (recorded !== undefined && requested !== undefined && requested !== recorded) {
    throw new Error(`the local chain in ${path.dirname(metaFile)} has chain id ${recorded}, not ${requested}`);
  }
  const chainId = recorded ?? requested ?? DEFAULT_CHAIN_ID;
  if (!fs.existsSync(metaFile)) fs.writeFileSync(metaFile, JSON.stringify({ chainId }) + "\n");
  return chainId;
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString("utf8")).slice(-2000);
      const match = /Listening on [^\s:]+:(\d+)/.exec(seen);
      if (match) {
        child.stdout!.off("data", onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", onData);
  });
}

async function waitForChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        signal: AbortSignal.timeout(2000),
      });
      const body = (await res.json()) as { result?: string };
      if (typeof body.result === "string") return Number(BigInt(body.result));
      lastError = new Error(`unexpected answer ${JSON.stringify(body).slice(0, 200)}`);
    } catch (err) {
      lastError = err;
    }
    await delay(100);
  }
  throw new Error(`local node at ${rpcUrl} did not answer eth_chainId within ${timeoutMs} ms: ${String(lastError)}`);
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-5).join(" | ") || "(no output on stderr)";
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function killQuietly(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is (still) an anvil process. A pid file can outlive its process and the pid be
 * reused by anything, the gateway included: never signal a process that is not anvil.
 */
export function isAnvil(pid: number): boolean {
  const command = processCommand(pid);
  return command !== undefined && /(^|[/\s\0])anvil(\s|\0|$)/.test(command);
}

/** A previous anvil on this DATA_DIR may still be dumping its state: wait until it has exited. */
async function waitForPreviousNode(pidFile: string, log: NodeLog): Promise<void> {
  const pid = readPidFile(pidFile);
  if (!pid || !killQuietly(pid, 0) || !isAnvil(pid)) return;
  log.warn({ pid }, "waiting for the previous local node to finish writing its state");
  const deadline = Date.now() + 15_000;
  while (killQuietly(pid, 0) && isAnvil(pid)) {
    if (Date.now() > deadline) {
      killQuietly(pid, "SIGTERM");
      await delay(2_000);
      break;
    }
    await delay(100);
  }
}
