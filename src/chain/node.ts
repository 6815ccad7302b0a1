/**
 * The embedded default's EVM node: anvil, run as a SEPARATE child process, with its chain state
 * in DATA_DIR/chain so it survives restarts.
 *
 * It is reachable by the gateway alone. anvil runs under `unshare -rn`: in a user and network
 * namespace of its own, whose only interface is a loopback nobody outside it reaches, so its
 * HTTP port (which also serves anvil_setStorageAt, anvil_impersonateAccount...) answers no
 * other process. The gateway speaks JSON-RPC to it over its IPC socket, DATA_DIR/chain/anvil.ipc,
 * in a directory of mode 0700 owned by the gateway's user (ipc-client.ts). Where user namespaces
 * are not available the start is refused (`checkIsolation`), unless isolation "none" was asked
 * for explicitly (development only: the port is then open to every local process).
 *
 * Every state the gateway keeps goes through one atomic path (`dumpState`): anvil serialises its
 * state (anvil_dumpState) while no transaction is in flight (see write-gate.ts), the answer is
 * streamed into state.json.tmp, synced, and renamed over state.json, the previous states being
 * kept as state.1.json and state.2.json (hard links: no copy). The final state of a clean stop
 * takes the same path, then anvil is killed without writing anything itself. anvil's own exit
 * dump (written in place, so a kill during it tears it) only ever goes to exit-state.json: it
 * happens when the gateway dies without stopping the node (kill -9), anvil then getting SIGTERM
 * from the small shell that guards it.
 *
 * On start the saved states are tried newest first (`savedStates`); anvil itself is the check (it
 * refuses a state it cannot parse, at any size, before it listens). A state it refuses is moved
 * to chain/unloadable/, never deleted, and the next one is tried: the chain resumes from the
 * newest whole state, and the gateway's outbox re-sends its transactions mined after it.
 *
 * The state holds blocks, receipts and logs, but not the chain id (kept beside it in node.json)
 * nor historical states (calls at an old block fail after a restart). Anvil's stdout prints the
 * well-known dev keys: it is drained, never logged.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { processCommand, readPidFile } from "../pid-file";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { HDNodeWallet, getAddress } from "ethers";
import { IpcClient, MAX_SOCKET_PATH_BYTES, connectSocket } from "./ipc-client";
import { connectProvider, isIpcPath } from "./rpc-endpoint";

/** Anvil's default mnemonic; its accounts are funded on the local node only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEFAULT_CHAIN_ID = 31337;

/** The newest state, written by the gateway (atomically). */
export const STATE_FILE = "state.json";
/** anvil's own dump when it is stopped by SIGTERM (the gateway died without a clean stop). */
export const EXIT_STATE_FILE = "exit-state.json";
/** How many states are kept: state.json, then state.1.json ... (older). */
export const STATES_KEPT = 3;
/** How many recent blocks' states anvil keeps for calls at a past block. */
export const HISTORICAL_STATES = 256;
/** An interval anvil never reaches (about three years). */
const NEVER_SECONDS = 100_000_000;
/** Where a state anvil refused to load is moved. */
export const UNLOADABLE_DIR = "unloadable";
/** anvil's IPC socket, in the chain directory (mode 0700). */
export const SOCKET_FILE = "anvil.ipc";
/** anvil's HTTP port inside its network namespace: nothing outside the namespace reaches it. */
export const NAMESPACE_PORT = 8545;

/**
 * How the local node is kept from other processes: "namespace" (the default) runs it in a
 * network namespace of its own, reachable only over its IPC socket; "none" (development only)
 * leaves its HTTP port open on 127.0.0.1 to every local process.
 */
export type LocalNodeIsolation = "namespace" | "none";

/** The slice of a pino logger this module uses. */
export interface NodeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LocalNodeOptions {
  dataDir: string;
  /** Default "namespace"; "none" is for development only and logs a warning. */
  isolation?: LocalNodeIsolation;
  log: NodeLog;
  /** Only for a fresh chain; an existing one keeps the id recorded in chain/node.json. */
  chainId?: number;
  /** Default 20 s, plus 1 s per 10 MB of state to load. */
  startTimeoutMs?: number;
  /** Default: the anvil binary of the @foundry-rs/anvil-<platform>-<arch> package. */
  anvilPath?: string;
  /** Default: `unshare` (util-linux) on the PATH. */
  unsharePath?: string;
  /**
   * Load the newest loadable state of `dataDir` and never write there (no dumps, no pid file,
   * nothing moved): an auditor's private node beside a running gateway. Requires a saved state.
   */
  readOnly?: boolean;
}

export interface LocalNode {
  /** The node's IPC socket: the one way to it (connectProvider and JsonRpc take it). */
  ipcPath: string;
  /** Its HTTP URL on 127.0.0.1, open to every local process: only with isolation "none". */
  httpUrl: string | undefined;
  chainId: number;
  /** The newest state file: what the next start loads first. */
  stateFile: string;
  /** The state file this node was started from (undefined: a new chain). */
  loadedFrom: string | undefined;
  /**
   * Has the node serialise its state now; call it only while no transaction is being mined. It
   * resolves once the node has answered (new transactions may go on from then), with `write`,
   * which streams the state into the state file atomically and rotates the older states. Writes
   * are serialised; a capture older than one already written is dropped.
   */
  captureState(): Promise<{ write(): Promise<void> }>;
  /** captureState, then write. */
  dumpState(): Promise<void>;
  /**
   * Stops the node: writes its final state through `dumpState` (call it while no transaction is
   * being mined), then kills it. Should that dump fail, anvil is stopped with SIGTERM and writes
   * exit-state.json itself, within a time that follows the state's size.
   */
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

/** state.json, state.1.json, ... state.(STATES_KEPT-1).json: newest first. */
export function keptStateFiles(chainDir: string): string[] {
  return Array.from({ length: STATES_KEPT }, (_, i) => path.join(chainDir, i === 0 ? STATE_FILE : `state.${i}.json`));
}

/**
 * The states a start may load, in the order it tries them: anvil's exit dump when it is newer
 * than state.json, then the kept states newest first, then the state.json.bak of earlier
 * versions. Only files that exist.
 */
export function savedStates(chainDir: string): string[] {
  const kept = keptStateFiles(chainDir);
  const exit = path.join(chainDir, EXIT_STATE_FILE);
  const mtime = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  const exitTime = mtime(exit);
  const newerExit = exitTime !== undefined && exitTime > (mtime(kept[0]) ?? -1) ? [exit] : [];
  return [...newerExit, ...kept, path.join(chainDir, `${STATE_FILE}.bak`)].filter((f) => mtime(f) !== undefined);
}

/** Milliseconds for work on a state of `bytes` at `mbPerSecond` (a slow disk's pace), on top of `floorMs`. */
export function timeForState(bytes: number, mbPerSecond: number, floorMs: number): number {
  return floorMs + Math.ceil((bytes / 1e6 / mbPerSecond) * 1000);
}

function fileSize(file: string | undefined): number {
  return (file && fs.statSync(file, { throwIfNoEntry: false })?.size) || 0;
}

/** A start that failed because anvil refused the state file it was given. */
class StateRefused extends Error {}

export async function startLocalNode(options: LocalNodeOptions): Promise<LocalNode> {
  const { log } = options;
  const isolation = options.isolation ?? "namespace";
  if (isolation === "namespace") await checkIsolation(options.unsharePath);
  else log.warn({ isolation }, "the local node is not isolated: its JSON-RPC port on 127.0.0.1 (anvil_setStorageAt included) is open to every local process; for development only");
  const chainDir = path.join(options.dataDir, "chain");
  // A read-only node's pid file and socket go to a private directory of its own: it writes nothing in DATA_DIR.
  const runDir = options.readOnly ? fs.mkdtempSync(path.join(os.tmpdir(), "credence-anvil-")) : chainDir;
  if (!options.readOnly) privateDirectory(chainDir);
  const stateFile = path.join(chainDir, STATE_FILE);
  const pidFile = path.join(runDir, "anvil.pid");
  const socketPath = path.join(runDir, SOCKET_FILE);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the local node's socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket allows: choose a shorter DATA_DIR`);
  }
  if (!options.readOnly) await waitForPreviousNode(pidFile, Math.max(fileSize(stateFile), fileSize(path.join(chainDir, EXIT_STATE_FILE))), log);
  await claimSocketPath(socketPath, log);
  const candidates = savedStates(chainDir);
  if (options.readOnly && candidates.length === 0) throw new Error(`no chain state in ${chainDir}`);
  const chainId = resolveChainId(path.join(chainDir, "node.json"), options.chainId, candidates.length > 0, !options.readOnly);

  const refused: string[] = [];
  for (const candidate of candidates.length > 0 ? candidates : [undefined]) {
    try {
      const node = await launch(options, { chainDir, stateFile, pidFile, socketPath, isolation, chainId, loadFrom: candidate });
      if (refused.length > 0 || (candidate && candidate !== stateFile && !candidate.endsWith(EXIT_STATE_FILE))) {
        log.warn(
          { loadedFrom: candidate, unloadable: refused },
          `the local node resumed from ${candidate}: blocks after it are lost, and the gateway re-sends its own transactions mined after it`,
        );
      }
      if (!options.readOnly) {
        if (candidate?.endsWith(EXIT_STATE_FILE)) adoptExitState(chainDir, candidate);
        removeSuperseded(chainDir, candidate, log);
      }
      return node;
    } catch (err) {
      if (!(err instanceof StateRefused) || !candidate) throw err;
      refused.push(options.readOnly ? candidate : moveAside(chainDir, candidate));
      log.warn({ state: candidate, reason: err.message }, "the local node could not load a saved state; trying the next one");
    }
  }
  throw new Error(
    `no saved state in ${chainDir} could be loaded (${refused.join(", ")}${options.readOnly ? "" : ` moved to ${path.join(chainDir, UNLOADABLE_DIR)}`}). ` +
      "Nothing was deleted: restore a copy of DATA_DIR/chain from a backup, or point RPC_URL at a node that holds the chain.",
  );
}

/** anvil's exit dump loaded: it becomes state.json, the older states shifting down. */
function adoptExitState(chainDir: string, exitState: string): void {
  rotateKeptStates(chainDir);
  fs.renameSync(exitState, path.join(chainDir, STATE_FILE));
  syncDirectory(chainDir);
}

/**
 * Once the node runs on a newer state: anvil's exit dump older than state.json (it was not
 * loaded), and the state.json.bak of earlier versions, take disk space and nothing else.
 */
function removeSuperseded(chainDir: string, loadedFrom: string | undefined, log: NodeLog): void {
  const legacy = path.join(chainDir, `${STATE_FILE}.bak`);
  for (const file of [path.join(chainDir, EXIT_STATE_FILE), legacy]) {
    if (file === loadedFrom || !fs.existsSync(file)) continue;
    fs.rmSync(file);
    log.info({ file }, "removed a saved state older than the one loaded");
  }
}

/** Shifts state.json -> state.1.json -> ... (hard links; the oldest kept one goes), leaving state.json in place. */
function rotateKeptStates(chainDir: string): void {
  const kept = keptStateFiles(chainDir);
  for (let i = kept.length - 1; i >= 1; i--) {
    if (!fs.existsSync(kept[i - 1])) continue;
    if (i === 1) {
      const link = `${kept[1]}.tmp`;
      fs.rmSync(link, { force: true });
      fs.linkSync(kept[0], link); // state.json stays where it is until its successor replaces it
      fs.renameSync(link, kept[1]);
    } else {
      fs.renameSync(kept[i - 1], kept[i]);
    }
  }
}

function moveAside(chainDir: string, file: string): string {
  const dir = path.join(chainDir, UNLOADABLE_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, `${path.basename(file)}.${new Date().toISOString().replace(/[:.]/g, "-")}`);
  fs.renameSync(file, target);
  return target;
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

interface LaunchPlan {
  chainDir: string;
  stateFile: string;
  pidFile: string;
  socketPath: string;
  isolation: LocalNodeIsolation;
  chainId: number;
  loadFrom: string | undefined;
}

async function launch(options: LocalNodeOptions, plan: LaunchPlan): Promise<LocalNode> {
  const { log } = options;
  const { chainDir, stateFile, pidFile, socketPath, isolation, chainId, loadFrom } = plan;
  const isolated = isolation === "namespace";
  // Inside its namespace anvil's port is out of everyone's reach: a fixed one will do.
  const port = isolated ? NAMESPACE_PORT : 0;
  const args = ["--host", "127.0.0.1", "--port", String(port), "--ipc", socketPath, "--chain-id", String(chainId)];
  // Historical states in memory only, the newest HISTORICAL_STATES of them (calls at older blocks
  // fail): by default anvil also writes one state file per block into ~/.foundry and never
  // removes them.
  args.push("--prune-history", String(HISTORICAL_STATES));
  if (loadFrom) args.push("--load-state", loadFrom);
  // With --dump-state anvil also dumps every 60 s by itself, possibly mid-block and in place:
  // its interval is pushed out of reach, so it dumps only on exit.
  if (!options.readOnly) args.push("--dump-state", path.join(chainDir, EXIT_STATE_FILE), "--state-interval", String(NEVER_SECONDS));
  // anvil runs under a small shell that holds a pipe from the gateway: when the gateway exits
  // for any reason, kill -9 included, the pipe closes and anvil gets SIGTERM, so it dumps its
  // state (to exit-state.json) instead of lingering as an orphan. The next start waits for that
  // dump to finish. The kill checks that the pid is still anvil: should anvil have died on its
  // own, its pid may since belong to anything (pids are reused), a newly started gateway included.
  // The shell leads a process group of its own: a Ctrl-C in the terminal reaches the gateway
  // alone, which then writes the final state and stops the node. `unshare` (without --fork)
  // becomes anvil: the pid in the pid file is anvil's.
  const guard =
    'trap "" INT TERM; "$@" & p=$!; echo "$p" > "$PIDFILE"; exec 3<&0; ' +
    '(cat <&3 >/dev/null; { ! command -v ps >/dev/null || ps -p "$p" -o comm= | grep -Eq "anvil|unshare"; } && kill -TERM "$p" 2>/dev/null) & wait "$p"';
  const command = [...(isolated ? [options.unsharePath ?? "unshare", "--user", "--map-root-user", "--net"] : []), options.anvilPath ?? anvilBinary(), ...args];
  const child = spawn("/bin/sh", ["-c", guard, "credence-node-guard", ...command], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PIDFILE: pidFile },
    detached: true,
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

  const writer = new StateWriter(chainDir, stateFile, log);
  const ipc = new IpcClient(socketPath);
  let stopping: Promise<void> | undefined;
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = (signal: NodeJS.Signals) => {
    const pid = readPidFile(pidFile);
    if (pid && isAnvil(pid)) killQuietly(pid, signal);
  };
  /** Ends the node: SIGKILL once its state is safe, else SIGTERM (anvil then writes exit-state.json). */
  const terminate = async (stateSafe: boolean) => {
    process.removeListener("exit", onExit);
    ipc.close();
    if (stateSafe) kill("SIGKILL");
    child.stdin!.end(); // the guard shell sends anvil SIGTERM should it still run
    const timer = setTimeout(() => {
      kill("SIGKILL");
      child.kill("SIGKILL");
    }, stateSafe ? 10_000 : timeForState(fileSize(stateFile), 20, 10_000));
    const exit = await exited;
    clearTimeout(timer);
    if (options.readOnly) fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
    else fs.rmSync(socketPath, { force: true }); // anvil killed leaves it behind
    return exit;
  };
  const stop = () =>
    (stopping ??= (async () => {
      if (!running()) return terminate(true).then(() => undefined);
      let written = options.readOnly === true;
      if (!options.readOnly) {
        try {
          await writer.dump(ipc, "final");
          written = true;
        } catch (err) {
          log.warn({ err: (err as Error).message }, "the final state dump failed; the local node writes its own on exit");
        }
      }
      const { code, signal } = await terminate(written);
      log.info({ code, signal, stateFile, finalStateWritten: written }, "local node stopped");
    })());

  const startTimeoutMs = options.startTimeoutMs ?? timeForState(fileSize(loadFrom), 10, 20_000);
  try {
    const listening = await Promise.race([
      listeningPort(child),
      exited.then(({ code, signal }) => {
        if (loadFrom && /--load-state/.test(stderr)) throw new StateRefused(lastLines(stderr));
        throw new Error(`anvil exited during start (code ${code}, signal ${signal}): ${lastLines(stderr)}`);
      }),
      delay(startTimeoutMs).then(() => {
        throw new Error(`anvil did not start listening within ${startTimeoutMs} ms: ${lastLines(stderr)}`);
      }),
    ]);
    child.stdout!.resume(); // keep draining: a full pipe would block anvil
    const httpUrl = isolated ? undefined : `http://127.0.0.1:${listening}`;
    const answered = await waitForChainId(ipc, startTimeoutMs);
    if (answered !== chainId) throw new Error(`local node answers chain id ${answered}, expected ${chainId}`);
    child.stderr!.on("data", (chunk: string) => {
      if (!stopping) log.warn({ stderr: chunk.trim().slice(0, 500) }, "local node stderr"); // once stopping, the shell reports the kill
    });
    log.info({ ipcPath: socketPath, httpUrl, isolation, chainId, stateFile, loadedFrom: loadFrom, pid: child.pid }, "local node started");
    const captureState = () => {
      if (options.readOnly) throw new Error("a read-only local node writes no state");
      return writer.capture(ipc, "periodic");
    };
    return { ipcPath: socketPath, httpUrl, chainId, stateFile, loadedFrom: loadFrom, stop, captureState, dumpState: async () => (await captureState()).write() };
  } catch (err) {
    await terminate(true); // nothing was loaded or written that a kill could lose
    throw err;
  }
}

/**
 * Whether anvil can run isolated here: `unshare --user --map-root-user --net` is tried once per
 * process. Refuses the start with the cause and the remedy; never falls back to an open port.
 */
export function checkIsolation(unsharePath = "unshare"): Promise<void> {
  let check = isolationChecks.get(unsharePath);
  if (!check) {
    check = new Promise<void>((resolve, reject) => {
      execFile(unsharePath, ["--user", "--map-root-user", "--net", "true"], { timeout: 10_000 }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        const cause =
          (err as NodeJS.ErrnoException).code === "ENOENT"
            ? `${unsharePath} was not found (it comes with util-linux)`
            : `${unsharePath} --user --map-root-user --net failed: ${String(stderr).trim() || err.message}${kernelLimits()}`;
        reject(new LocalNodeIsolationUnavailable(cause));
      });
    });
    isolationChecks.set(unsharePath, check);
  }
  return check;
}
const isolationChecks = new Map<string, Promise<void>>();

/** The embedded node cannot be kept from other processes on this machine. */
export class LocalNodeIsolationUnavailable extends Error {
  constructor(readonly reason: string) {
    super(
      `the local node cannot be isolated: ${reason}. The embedded node runs in a user and network namespace of its own, ` +
        "so that no other process can reach its test methods. Remedy: install util-linux and allow unprivileged user namespaces " +
        "(sysctl user.max_user_namespaces above 0; kernel.unprivileged_userns_clone=1 where it exists; kernel.apparmor_restrict_unprivileged_userns=0 " +
        "or an AppArmor profile for unshare on Ubuntu; a container needs a seccomp profile that allows unshare), or use an external node (RPC_URL). " +
        "For development only, LOCAL_NODE_ISOLATION=none runs it with an open port on 127.0.0.1.",
    );
    this.name = "LocalNodeIsolationUnavailable";
  }
}

/** The kernel settings that forbid user namespaces, where one does. */
function kernelLimits(): string {
  const read = (file: string) => fs.readFileSync(file, { encoding: "utf8", flag: "r" }).trim();
  const limits = [
    ["/proc/sys/user/max_user_namespaces", "0"],
    ["/proc/sys/kernel/unprivileged_userns_clone", "0"],
    ["/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"],
  ]
    .filter(([file, forbidding]) => {
      try {
        return read(file) === forbidding;
      } catch {
        return false;
      }
    })
    .map(([file, value]) => `${file.slice("/proc/sys/".length).replace(/\//g, ".")}=${value}`);
  return limits.length > 0 ? ` (${limits.join(", ")})` : "";
}

/** Creates `dir` if needed and makes it private: mode 0700, owned by this process's user. */
function privateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  if (process.getuid && stat.uid !== process.getuid()) throw new Error(`${dir} belongs to another user (uid ${stat.uid}): the local node's socket must be in a directory of the gateway's own`);
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/**
 * Makes way for the node's socket. One left by a node that died (nothing accepts on it) is
 * removed; one a live process still serves refuses the start (anvil would take it over).
 */
async function claimSocketPath(socketPath: string, log: NodeLog): Promise<void> {
  const stat = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket: move it away`);
  try {
    (await connectSocket(socketPath, 2_000)).destroy();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ECONNREFUSED" && code !== "ENOENT") throw err;
    fs.rmSync(socketPath, { force: true });
    log.info({ socket: socketPath }, "removed the socket of a local node that is no longer running");
    return;
  }
  throw new Error(`a process still serves ${socketPath}: another local node runs on this DATA_DIR; stop it first`);
}

/**
 * Tops up each address to at least `amountWei` from anvil's first dev account. Refuses anything
 * but a local anvil node (its IPC socket, or an HTTP URL on loopback): the dev keys are public.
 * Returns the addresses it sent funds to.
 */
export async function fundFromDevAccount(endpoint: string, addresses: readonly string[], amountWei: bigint): Promise<string[]> {
  const provider = connectProvider(endpoint, undefined, { staticNetwork: true });
  try {
    const client = String(await provider.send("web3_clientVersion", []));
    if (!/^anvil\//i.test(client)) throw new Error(`refusing to fund from dev keys on a non-anvil node (${client})`);
    const host = isIpcPath(endpoint) ? "localhost" : new URL(endpoint).hostname;
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
 * Writes the node's states, one at a time. anvil_dumpState answers the gzipped JSON that
 * --load-state reads, hex-encoded in a JSON-RPC answer of up to gigabytes. It is streamed: the hex
 * is decoded chunk by chunk and unzipped into state.json.tmp, which is synced, the kept states
 * rotated, and renamed over state.json, so the gateway's event loop never holds the whole answer
 * and no moment of a write leaves state.json torn.
 */
class StateWriter {
  private captured = 0;
  private written = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly chainDir: string,
    private readonly stateFile: string,
    private readonly log: NodeLog,
  ) {}

  /** Has anvil serialise its state; `write` then streams it in, after any write before it. */
  async capture(ipc: IpcClient, kind: "periodic" | "final"): Promise<{ write(): Promise<void> }> {
    const seq = ++this.captured;
    const size = fileSize(this.stateFile);
    // anvil serialises the whole state before it answers: once its first byte is here, it is taken.
    const res = await requestStateDump(ipc, timeForState(size, 5, 120_000));
    return {
      write: () => {
        const run = this.queue.then(async () => {
          if (seq < this.written) {
            res.resume(); // a newer state is already on disk
            return;
          }
          await this.write(res, kind);
          this.written = seq;
        });
        this.queue = run.catch(() => undefined);
        return run;
      },
    };
  }

  async dump(ipc: IpcClient, kind: "periodic" | "final"): Promise<void> {
    await (await this.capture(ipc, kind)).write();
  }

  private async write(res: Readable, kind: string): Promise<void> {
    const tmp = `${this.stateFile}.tmp`;
    await failpoint(this.chainDir, `${kind}:captured`);
    let chunks = 0;
    const midway = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        if (++chunks !== 2) return done(null, chunk);
        failpoint(this.chainDir, `${kind}:writing`).then(() => done(null, chunk), done);
      },
    });
    await pipeline(res, new HexResult(), zlib.createGunzip(), midway, fs.createWriteStream(tmp, { mode: 0o600 }));
    const fd = await fs.promises.open(tmp, "r+");
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
    await failpoint(this.chainDir, `${kind}:written`);
    rotateKeptStates(this.chainDir);
    await failpoint(this.chainDir, `${kind}:rotated`);
    await fs.promises.rename(tmp, this.stateFile);
    syncDirectory(this.chainDir);
    this.log.info({ kind, bytes: fileSize(this.stateFile) }, "local node state written");
  }
}

/**
 * Asks anvil for its state on a connection of its own; resolves with the answer's stream once
 * anvil has serialised it. The answer (hex of the gzipped state, up to gigabytes) is never held
 * whole: ipc-client.ts passes it through as it comes.
 */
function requestStateDump(ipc: IpcClient, timeoutMs: number): Promise<Readable> {
  return ipc.stream(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_dumpState", params: [] }), timeoutMs).catch((err: Error) => {
    throw new Error(`anvil_dumpState failed: ${err.message}`);
  });
}

/**
 * Fault tests only: with CREDENCE_FAILPOINT=<kind>:<moment> (e.g. "periodic:writing"), the first
 * dump that reaches that moment writes chain/failpoint and pauses CREDENCE_FAILPOINT_MS (default
 * 5 s) there, so a test can kill the process at exactly that moment of a dump.
 */
let failpointHit = false;
async function failpoint(chainDir: string, name: string): Promise<void> {
  if (process.env.CREDENCE_FAILPOINT !== name || failpointHit) return;
  failpointHit = true;
  fs.writeFileSync(path.join(chainDir, "failpoint"), name);
  await new Promise<void>((resolve) => setTimeout(resolve, Number(process.env.CREDENCE_FAILPOINT_MS ?? 5000)));
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

/** The chain id is not part of anvil's state: record it beside the state, reuse it after. */
function resolveChainId(metaFile: string, requested: number | undefined, stateExists: boolean, record: boolean): number {
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
  if (record && !fs.existsSync(metaFile)) fs.writeFileSync(metaFile, JSON.stringify({ chainId }) + "\n");
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

async function waitForChainId(ipc: IpcClient, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const answer = await ipc.request(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), 2000);
      const body = JSON.parse(answer.toString("utf8")) as { result?: string };
      if (typeof body.result === "string") return Number(BigInt(body.result));
      lastError = new Error(`unexpected answer ${JSON.stringify(body).slice(0, 200)}`);
    } catch (err) {
      lastError = err;
    }
    await delay(100);
  }
  throw new Error(`local node at ${ipc.path} did not answer eth_chainId within ${timeoutMs} ms: ${String(lastError)}`);
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
async function waitForPreviousNode(pidFile: string, stateBytes: number, log: NodeLog): Promise<void> {
  const pid = readPidFile(pidFile);
  if (!pid || !killQuietly(pid, 0) || !isAnvil(pid)) return;
  log.warn({ pid }, "waiting for the previous local node to finish writing its state");
  const deadline = Date.now() + timeForState(stateBytes, 20, 15_000);
  while (killQuietly(pid, 0) && isAnvil(pid)) {
    if (Date.now() > deadline) {
      killQuietly(pid, "SIGTERM");
      await delay(2_000);
      break;
    }
    await delay(100);
  }
}
