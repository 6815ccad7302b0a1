/**
 * The soak: a fresh gateway driven at half its measured capacity (or at a given rate) for a
 * while, with its memory (/metrics: resident set, V8 heap used), the terminals' accept and
 * confirm latency over each window and the outbox depth (/metrics: queued + submitted items)
 * sampled every window, then a verdict per series (drift.ts): flat or growing.
 */
import { memoryBytes, parseWindow, runSimulator } from "../gateway-process";
import { drift, metricSum, type DriftVerdict } from "./drift";
import { measuredRun, withBenchGateway } from "./end-to-end";
import type { EndToEndRun, SoakResults, SoakSample, SoakSeries } from "./results";

export interface SoakPlan {
  store: EndToEndRun["store"];
  node: EndToEndRun["node"];
  /** How long settlements are offered. */
  seconds: number;
  /** Offered settlements a second; default half the capacity measured first. */
  rate?: number;
  terminals: number;
  /** Length of the capacity run when no rate is given. */
  capacitySeconds: number;
  warmup: number;
  windowSeconds: number;
  recoveryUs: number;
  progress: (line: string) => void;
  /** Called with each sample as it is taken. */
  onSample: (sample: SoakSample) => void;
}

/** The series judged at the end, and how each is read from a sample. */
export const SOAK_SERIES: Record<SoakSeries, (s: SoakSample) => number | null> = {
  rss: (s: SoakSample) => s.rssBytes,
  heapUsed: (s: SoakSample) => s.heapUsedBytes,
  acceptP50Ms: (s: SoakSample) => s.acceptP50Ms,
  acceptP99Ms: (s: SoakSample) => s.acceptP99Ms,
  confirmP50Ms: (s: SoakSample) => s.confirmP50Ms,
  confirmP99Ms: (s: SoakSample) => s.confirmP99Ms,
  outboxDepth: (s: SoakSample) => s.outboxDepth,
};

/** A latency rise under this many ms is noise (a block or two), whatever its share of the mean. */
const LATENCY_FLOOR_MS = 100;

async function scrape(url: string): Promise<Pick<SoakSample, "rssBytes" | "heapUsedBytes" | "outboxDepth" | "nodeStateBytes">> {
  const text = await fetch(new URL("/metrics", url), { signal: AbortSignal.timeout(5_000) }).then(
    (r) => (r.ok ? r.text() : ""),
    () => "",
  );
  return {
    rssBytes: metricSum(text, "process_resident_memory_bytes") ?? null,
    heapUsedBytes: metricSum(text, "nodejs_heap_size_used_bytes") ?? null,
    outboxDepth: metricSum(text, "outbox_items") ?? null,
    nodeStateBytes: metricSum(text, "local_node_state_bytes") ?? null,
  };
}

/** The verdicts on `samples` taken while `rate` settlements a second were offered. */
export function judgeSoak(samples: readonly SoakSample[], rate: number, windowSeconds: number): Pick<SoakResults, "verdicts" | "confirmedRate" | "fellBehind"> {
  const floors: Record<SoakSeries, number> = { rss: 0, heapUsed: 0, acceptP50Ms: LATENCY_FLOOR_MS, acceptP99Ms: LATENCY_FLOOR_MS, confirmP50Ms: LATENCY_FLOOR_MS, confirmP99Ms: LATENCY_FLOOR_MS, outboxDepth: rate };
  const verdicts = Object.fromEntries(
    (Object.keys(SOAK_SERIES) as SoakSeries[]).map((name) => {
      const points = samples.flatMap((s) => {
        const value = SOAK_SERIES[name](s);
        return value === null ? [] : [[s.t, value] as const];
      });
      return [name, drift(points, floors[name])];
    }),
  ) as Record<SoakSeries, DriftVerdict>;
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const confirmedRate = secondHalf.length === 0 ? 0 : secondHalf.reduce((sum, s) => sum + s.confirmed, 0) / (secondHalf.length * windowSeconds);
  return { verdicts, confirmedRate, fellBehind: verdicts.outboxDepth.verdict === "growing" || confirmedRate < 0.9 * rate };
}

export async function soak(plan: SoakPlan): Promise<SoakResults> {
  return withBenchGateway(plan, async (g) => {
    let capacity: EndToEndRun | null = null;
    let rate = plan.rate;
    if (rate === undefined) {
      capacity = await measuredRun(g, { ...plan, settlements: Math.max(plan.terminals * 20, Math.round(g.warmRate * plan.capacitySeconds)) });
      rate = Math.max(1, Math.round(capacity.rate / 2));
    }
    plan.progress(`soak: ${rate} settlements/s for ${plan.seconds} s, sampled every ${plan.windowSeconds} s`);
    const samples: SoakSample[] = [];
    const scrapes: Promise<void>[] = [];
    await runSimulator({
      dataDir: g.dataDir,
      url: g.url,
      settlements: Math.ceil(rate * plan.seconds),
      terminals: plan.terminals,
      rate,
      // Room for every settlement offered in a minute to be in flight: a gateway that falls behind shows as latency, not as a throttled offer.
      concurrency: Math.max(256, rate * 60),
      signLive: true,
      windowSeconds: plan.windowSeconds,
      onLine: (line) => {
        const window = parseWindow(line);
        // Windows after the offer ended only drain what is in flight (half a window of slack: the simulator's timer drifts).
        if (window === undefined || window.t > plan.seconds + plan.windowSeconds / 2) return;
        scrapes.push(
          scrape(g.url).then((metrics) => {
            // An external node makes no state dumps: the gateway's figure for them is not its.
            const nodeStateBytes = plan.node === "embedded" ? metrics.nodeStateBytes : null;
            const sample = { ...window, ...metrics, nodeStateBytes, nodeRssBytes: memoryBytes(g.anvilPid, "VmRSS") ?? null };
            samples.push(sample);
            plan.onSample(sample);
          }),
        );
      },
    });
    await Promise.all(scrapes);
    samples.sort((a, b) => a.t - b.t);
    return { store: plan.store, node: plan.node, capacity, rate, seconds: plan.seconds, windowSeconds: plan.windowSeconds, samples, ...judgeSoak(samples, rate, plan.windowSeconds) };
  });
}

const mib = (bytes: number | null) => (bytes === null ? "na" : (bytes / 2 ** 20).toFixed(1));
const ms = (v: number | null) => (v === null ? "na" : String(v));

/** The columns of the rows printed while the soak runs. */
export const SOAK_HEADER = "soak  t(s)  accepted/s  confirmed/s  accept p50/p99 ms  confirm p50/p99 ms  rss MiB  heap MiB  outbox  node state MiB  node rss MiB";

/** One sample as a printed row, under SOAK_HEADER. */
export function soakRow(s: SoakSample, windowSeconds = 10): string {
  return [
    "soak",
    String(s.t).padStart(4),
    (s.accepted / windowSeconds).toFixed(1).padStart(10),
    (s.confirmed / windowSeconds).toFixed(1).padStart(11),
    `${ms(s.acceptP50Ms)}/${ms(s.acceptP99Ms)}`.padStart(17),
    `${ms(s.confirmP50Ms)}/${ms(s.confirmP99Ms)}`.padStart(18),
    mib(s.rssBytes).padStart(7),
    mib(s.heapUsedBytes).padStart(8),
    String(s.outboxDepth ?? "na").padStart(6),
    mib(s.nodeStateBytes).padStart(14),
    mib(s.nodeRssBytes).padStart(12),
  ].join("  ");
}
