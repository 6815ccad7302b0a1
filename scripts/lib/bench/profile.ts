/**
 * Where a gateway's CPU went: the V8 CPU profiles its threads wrote under `--cpu-prof` (one
 * `.cpuprofile` per thread), each sample's time given to the part of the gateway its frame
 * belongs to (HTTP, JSON, validation, SQL, signatures, ethers, the submitter, GC, ...). Self time
 * only: a part is what ran in its own code, not what it called. Pure but for reading the files.
 */
import fs from "node:fs";
import path from "node:path";

/** The fields of a V8 `.cpuprofile` this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  /** µs on the monotonic clock (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A span of the monotonic clock in µs (process.hrtime.bigint() / 1000). */
export interface ClockWindow {
  fromUs: number;
  toUs: number;
}

/** Now on the monotonic clock the profiles' timestamps use, in µs. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The parts, in the order they are printed; the first rule a frame matches names its part. */
const RULES: [part: string, test: (url: string, fn: string) => boolean][] = [
  ["idle", (_u, fn) => fn === "(idle)"],
  ["GC", (_u, fn) => fn === "(garbage collector)"],
  ["V8 and native (program)", (_u, fn) => fn === "(program)" || fn === "(root)"],
  ["SQL: PGlite (WASM PostgreSQL)", (u, fn) => u.includes("@electric-sql/pglite") || u.startsWith("wasm://") || fn === "GenericJSToWasmWrapper"],
  ["SQL: PostgreSQL client (pg)", (u) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+)\//.test(u)],
  ["thread messages (postMessage)", (u, fn) => u === "" && fn === "postMessage"],
  ["system calls (socket writes, PGlite's files)", (u, fn) => (u === "" && /^(fsync|fdatasync|writev|writeBuffer|writeString|writeUtf8String|open|close|read|readFileUtf8|lstat|stat|fstat|ftruncate|rename|unlink)$/.test(fn)) || u === "node:fs"],
  ["signatures (libsecp256k1)", (u) => /node_modules\/secp256k1\//.test(u)],
  ["hashing (keccak: noble)", (u) => u.includes("node_modules/@noble/hashes/")],
  ["elliptic curves in JavaScript (noble)", (u) => u.includes("node_modules/@noble/curves/")],
  ["validation (ajv, zod)", (u) => /node_modules\/(ajv|ajv-formats|zod)\//.test(u)],
  ["ethers (ABI, RLP, RPC client)", (u) => u.includes("node_modules/ethers/")],
  ["HTTP framework (express and its parts)", (u) => /node_modules\/(express|body-parser|router|raw-body|finalhandler|on-finished|send|qs|type-is|content-type|accepts|negotiator|iconv-lite|helmet|cookie|etag|fresh|http-errors|proxy-addr|vary|statuses|mime-types|depd|debug|ms)\//.test(u)],
  ["logging (pino)", (u) => /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream)\//.test(u)],
  ["metrics (prom-client)", (u) => u.includes("node_modules/prom-client/")],
  ["JSON", (_u, fn) => fn === "parse" || fn === "stringify" || fn.startsWith("JSON")],
  ["node: HTTP and sockets", (u) => /^node:(_http|http|net|stream|internal\/(http|streams|stream_base|net|js_stream|dns|url))/.test(u) || u === "node:url"],
  ["node: threads (message ports)", (u) => /^node:internal\/(worker|per_context\/messageport)/.test(u)],
  ["node: timers, promises, events", (u) => /^node:(events|timers|internal\/(timers|process\/task_queues|async_hooks|event_target|process\/promises))/.test(u)],
  ["node: other", (u) => u.startsWith("node:")],
  ["gateway: intake (src/api, src/http)", (u) => /\/src\/(api|http|app\.ts)/.test(u)],
  ["gateway: outbox and store (src/store)", (u) => /\/src\/store\//.test(u)],
  ["gateway: submitter (src/worker)", (u) => /\/src\/worker\//.test(u)],
  ["gateway: chain client (src/chain)", (u) => /\/src\/chain\//.test(u)],
  ["gateway: domain, index, threads", (u) => /\/src\//.test(u)],
  ["TypeScript loader (ts-node)", (u) => /node_modules\/(ts-node|typescript|source-map-support)\//.test(u)],
  ["other libraries", (u) => u.includes("node_modules/")],
  ["native (no script)", (u) => u === ""],
  ["other", () => true],
];

/** The part a frame belongs to. */
export function partOf(url: string, functionName: string): string {
  return RULES.find(([, test]) => test(url, functionName))![0];
}

/** Self time per part of one profile, in ms: of the samples taken within `windows`, or of all. */
export function selfTimes(profile: CpuProfile, windows?: readonly ClockWindow[]): Map<string, number> {
  const partById = new Map(profile.nodes.map((n) => [n.id, partOf(n.callFrame.url, n.callFrame.functionName)]));
  const times = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) return;
    const part = partById.get(id) ?? "other";
    times.set(part, (times.get(part) ?? 0) + delta / 1000);
  });
  return times;
}

/** One thread's profile summed by part. */
export interface ThreadProfile {
  file: string;
  /** Busy ms: every sample but idle. */
  busyMs: number;
  parts: Map<string, number>;
}

/** Every `.cpuprofile` in `dir`, each summed by part (within `windows`), the busiest thread first. */
export function readProfiles(dir: string, windows?: readonly ClockWindow[]): ThreadProfile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((file) => {
      const parts = selfTimes(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as CpuProfile, windows);
      const busyMs = [...parts].filter(([part]) => part !== "idle").reduce((sum, [, ms]) => sum + ms, 0);
      return { file, busyMs, parts };
    })
    .sort((a, b) => b.busyMs - a.busyMs);
}

/** Busy ms per settlement of each part over all threads (idle left out), the costliest first. */
export function profileParts(threads: readonly ThreadProfile[], settlements: number): Record<string, number> {
  if (settlements <= 0) throw new Error("no settlements to share the profile among");
  const total = new Map<string, number>();
  for (const t of threads) for (const [part, ms] of t.parts) if (part !== "idle") total.set(part, (total.get(part) ?? 0) + ms);
  return Object.fromEntries([...total].sort((a, b) => b[1] - a[1]).map(([part, ms]) => [part, ms / settlements]));
}
