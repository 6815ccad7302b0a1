/**
 * The figures of `npm run bench`, their shape in bench/results.json, their conversion into the
 * machine's own unit (one libsecp256k1 recovery) and the summary line. Pure: no I/O.
 */
import type { SimulatorWindow } from "../gateway-process";
import { GROWTH_THRESHOLD, type DriftVerdict } from "./drift";

/** The machine and software a run measured, so that figures from two machines can be set side by side. */
export interface Machine {
  cpuModel: string;
  cores: number;
  platform: string;
  loadAverage: number[];
  versions: Record<string, string>;
}

/** Gas per operation (bench:gas's measurements, see gas.ts). */
export interface GasFigures {
  single: number;
  firstVisitBatch100: number;
  batch10: number;
  batch100: number;
  batch256: number;
  refund: number;
  redemption: number;
  naive: number;
  naiveFirstMint: number;
  floorBatch100: number;
}

/** One end-to-end run through HTTP: the simulator's terminals against a gateway. */
export interface EndToEndRun {
  store: "embedded" | "postgres";
  /** The gateway's own node (embedded, with its state dumps) or an external one over RPC_URL. */
  node: "embedded" | "external";
  terminals: number;
  settlements: number;
  confirmed: number;
  rejected: number;
  seconds: number;
  rate: number;
  /** Accept-to-confirm latency as the simulator's terminals see it, ms. */
  p50ConfirmMs: number;
  p99ConfirmMs: number;
  /** CPU of the gateway (all its threads) per confirmed settlement. */
  gatewayCpuMs?: number;
  gatewayCpuRecoveries?: number;
  anvilCpuMs?: number;
  anvilCpuRecoveries?: number;
}

/** Where the gateway's CPU went over the measured end-to-end runs (`--profile`): busy ms per settlement by part. */
export interface GatewayProfile {
  store: EndToEndRun["store"];
  node: EndToEndRun["node"];
  settlements: number;
  /** Profiled threads (main, PGlite's, the signature threads). */
  threads: number;
  parts: Record<string, number>;
}

export interface RateFigure {
  count: number;
  seconds: number;
  rate: number;
  /** The work's wall time per item in recoveries: how many recoveries the machine does in that time. */
  recoveriesPerItem: number;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  machine: Machine;
  /** The cost unit: µs of one libsecp256k1 recovery on this machine, measured in this run. */
  recoveryUs: number;
  gas: GasFigures | null;
  endToEnd: EndToEndRun[];
  /** Signed settlements straight to the contract in batches, one process, no gateway. */
  raw: (RateFigure & { batch: number }) | null;
  /** OpenZeppelin ERC-20 transfers, pre-signed, one per transaction, same node, same client. */
  erc20: RateFigure | null;
  audit: RateFigure | null;
  /** `--soak`: settlements offered at a steady rate, sampled every window, a verdict per series. */
  soak: SoakResults | null;
  /** `--profile`: the gateway's CPU by part over the end-to-end runs, one entry per set-up profiled. */
  profile: GatewayProfile[];
  derived: {
    gatewayToRaw: number | null;
    settlementsPerErc20: number | null;
  };
}

/** One window of the soak: the simulator's figures for it and the gateway's /metrics at its end. */
export interface SoakSample extends SimulatorWindow {
  rssBytes: number | null;
  heapUsedBytes: number | null;
  /** Submissions queued or submitted and not yet answered (sum of outbox_items). */
  outboxDepth: number | null;
  /** The embedded node's newest state file (/metrics local_node_state_bytes); null on an external node. */
  nodeStateBytes: number | null;
  /** The node's resident memory (anvil, from /proc). */
  nodeRssBytes: number | null;
}

/** The series a soak judges. */
export type SoakSeries = "rss" | "heapUsed" | "acceptP50Ms" | "acceptP99Ms" | "confirmP50Ms" | "confirmP99Ms" | "outboxDepth";

/** The soak (`--soak`): what was offered, every sample, and a verdict per series. */
export interface SoakResults {
  store: EndToEndRun["store"];
  node: EndToEndRun["node"];
  /** The capacity run the rate was derived from; null when --rate was given. */
  capacity: EndToEndRun | null;
  /** Offered settlements a second. */
  rate: number;
  seconds: number;
  windowSeconds: number;
  samples: SoakSample[];
  verdicts: Record<SoakSeries, DriftVerdict>;
  /** Confirmed a second over the second half of the samples. */
  confirmedRate: number;
  /** The outbox depth grew, or fewer than 90% of the offered settlements were confirmed in the second half. */
  fellBehind: boolean;
}

/** A duration in ms as a number of recoveries on a machine where one takes `recoveryUs`. */
export function inRecoveries(ms: number, recoveryUs: number): number {
  if (!(recoveryUs > 0)) throw new Error(`a recovery cannot take ${recoveryUs} µs`);
  return (ms * 1000) / recoveryUs;
}

/** `count` items in `seconds`, also as the recoveries' worth of wall time each one took. */
export function rateFigure(count: number, seconds: number, recoveryUs: number): RateFigure {
  if (!(seconds > 0) || count <= 0) throw new Error(`no rate from ${count} items in ${seconds} s`);
  return { count, seconds, rate: count / seconds, recoveriesPerItem: inRecoveries((seconds * 1000) / count, recoveryUs) };
}

/**
 * The best end-to-end run (the highest confirmed rate), the one the summary reports: of the
 * default set-up (embedded store and node) when there is one, else of those that ran.
 */
export function bestRun(runs: readonly EndToEndRun[]): EndToEndRun | undefined {
  const defaults = runs.filter((r) => r.store === "embedded" && r.node === "embedded");
  return (defaults.length > 0 ? defaults : runs).reduce<EndToEndRun | undefined>((best, r) => (best === undefined || r.rate > best.rate ? r : best), undefined);
}

/** Ratios between the parts, `null` where a part was not measured. */
export function derive(results: Pick<BenchResults, "endToEnd" | "raw" | "erc20">): BenchResults["derived"] {
  const best = bestRun(results.endToEnd);
  return {
    gatewayToRaw: best && results.raw ? best.rate / results.raw.rate : null,
    settlementsPerErc20: best && results.erc20 ? best.rate / results.erc20.rate : null,
  };
}

const or = (value: number | null | undefined, format: (v: number) => string) => (value === null || value === undefined ? "na" : format(value));

/** The last line of `npm run bench`: every headline figure, `na` where its part did not run. */
export function summaryLine(r: BenchResults): string {
  const best = bestRun(r.endToEnd);
  return (
    `bench: e2e_rate=${or(best?.rate, (v) => `${v.toFixed(0)}/s`)} p99_confirm=${or(best?.p99ConfirmMs, (v) => `${v.toFixed(0)}ms`)} ` +
    `gateway_cpu_recoveries=${or(best?.gatewayCpuRecoveries, (v) => v.toFixed(1))} gateway_to_raw=${or(r.derived.gatewayToRaw, (v) => v.toFixed(2))} ` +
    `settlements_per_erc20=${or(r.derived.settlementsPerErc20, (v) => v.toFixed(2))} gas_batch100=${or(r.gas?.batch100, String)} ` +
    `audit_rate=${or(r.audit?.rate, (v) => `${v.toFixed(0)}/s`)} recovery_us=${r.recoveryUs.toFixed(0)}`
  );
}

/** The terminals list of `--terminals 8,32,128`: positive integers, at least one. */
export function parseTerminals(text: string): number[] {
  const list = text.split(",").map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !/^[1-9]\d*$/.test(s))) throw new Error(`--terminals wants positive integers separated by commas, got "${text}"`);
  return list.map(Number);
}

/** The rows of the printed table: part, figure, value, value in recoveries. */
export function tableRows(r: BenchResults): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [["unit", "one libsecp256k1 recovery", `${r.recoveryUs.toFixed(1)} µs`, "1"]];
  if (r.gas) {
    for (const [name, gas] of Object.entries(r.gas)) rows.push(["gas", name, String(gas), ""]);
  }
  for (const e of r.endToEnd) {
    const part = `e2e ${e.store}${e.node === "external" ? "+external node" : ""} ${e.terminals}t`;
    rows.push([part, "confirmed/s", e.rate.toFixed(1), `${inRecoveries(1000 / e.rate, r.recoveryUs).toFixed(1)} per settlement (wall)`]);
    rows.push([part, "p50/p99 confirm", `${e.p50ConfirmMs}/${e.p99ConfirmMs} ms`, ""]);
    if (e.gatewayCpuMs !== undefined) rows.push([part, "gateway CPU/settlement", `${e.gatewayCpuMs.toFixed(2)} ms`, (e.gatewayCpuRecoveries ?? 0).toFixed(1)]);
    if (e.anvilCpuMs !== undefined) rows.push([part, "anvil CPU/settlement", `${e.anvilCpuMs.toFixed(2)} ms`, (e.anvilCpuRecoveries ?? 0).toFixed(1)]);
  }
  const rate = (part: string, figure: string, f: RateFigure | null) => {
    if (f) rows.push([part, figure, `${f.rate.toFixed(1)}/s`, `${f.recoveriesPerItem.toFixed(1)} per item (wall)`]);
  };
  rate("raw", `settlements/s (batches of ${r.raw?.batch ?? "-"})`, r.raw);
  rate("peer", "ERC-20 transfers/s", r.erc20);
  rate("audit", "settlements audited/s", r.audit);
  if (r.soak) {
    const soak = r.soak;
    rows.push(["soak", "store, node", `${soak.store}, ${soak.node}`, ""]);
    rows.push(["soak", "offered/s, confirmed/s (2nd half)", `${soak.rate}, ${soak.confirmedRate.toFixed(1)}`, ""]);
    for (const [series, v] of Object.entries(soak.verdicts)) {
      rows.push(["soak", series, v.verdict === "na" ? "na (too few samples)" : `${v.verdict} (${(v.growth * 100).toFixed(1)}% over 2nd half, limit ${GROWTH_THRESHOLD * 100}%)`, ""]);
    }
    rows.push(["soak", "kept up", soak.fellBehind ? "NO: fell behind (outbox depth grew or under 90% confirmed)" : "yes", ""]);
  }
  for (const p of r.profile) {
    const part = `profile ${p.store}${p.node === "external" ? "+external node" : ""}`;
    const busy = Object.values(p.parts).reduce((a, b) => a + b, 0);
    for (const [name, ms] of Object.entries(p.parts)) {
      rows.push([part, name, `${ms.toFixed(3)} ms (${((100 * ms) / busy).toFixed(1)}%)`, inRecoveries(ms, r.recoveryUs).toFixed(2)]);
    }
    rows.push([part, `all ${p.threads} threads, ${p.settlements} settlements`, `${busy.toFixed(3)} ms`, inRecoveries(busy, r.recoveryUs).toFixed(2)]);
  }
  rows.push(["ratio", "gateway/raw", or(r.derived.gatewayToRaw, (v) => v.toFixed(2)), ""]);
  rows.push(["ratio", "settlements/ERC-20 transfers", or(r.derived.settlementsPerErc20, (v) => v.toFixed(2)), ""]);
  return rows;
}

/** `rows` as aligned text columns. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}
