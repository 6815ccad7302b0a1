/**
 * Whether a soak's series stayed flat: a least-squares line through the second half of the
 * samples (the first half is warm-up: caches fill, the JIT settles), and its rise over that half
 * as a share of the series' mean there. Pure: no I/O.
 */

/** A series grows when its line rises by more than this share of its mean over the second half. */
export const GROWTH_THRESHOLD = 0.2;

/** One series' verdict over a soak. */
export interface DriftVerdict {
  /** Mean over the second half (the series' unit). */
  mean: number;
  /** The least-squares slope over the second half, per minute. */
  slopePerMinute: number;
  /** The line's rise over the second half as a share of max(mean, floor). */
  growth: number;
  /** `growing` when growth > GROWTH_THRESHOLD; `na` with fewer than 2 samples in the second half. */
  verdict: "flat" | "growing" | "na";
}

/** The slope of the least-squares line through `points` ([x, y]); 0 when every x is the same. */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * The verdict on `points` ([seconds, value], in time order; values missing from a sample left
 * out). `floor` keeps a series near zero (an outbox that empties between samples) from calling
 * noise growth: the rise is compared with max(mean, floor).
 */
export function drift(points: readonly (readonly [number, number])[], floor = 0): DriftVerdict {
  const secondHalf = points.slice(Math.floor(points.length / 2));
  if (secondHalf.length < 2) return { mean: secondHalf[0]?.[1] ?? 0, slopePerMinute: 0, growth: 0, verdict: "na" };
  const mean = secondHalf.reduce((sum, [, y]) => sum + y, 0) / secondHalf.length;
  const slope = leastSquaresSlope(secondHalf);
  const span = secondHalf.at(-1)![0] - secondHalf[0][0];
  const scale = Math.max(mean, floor);
  const growth = scale > 0 ? (slope * span) / scale : 0;
  return { mean, slopePerMinute: slope * 60, growth, verdict: growth > GROWTH_THRESHOLD ? "growing" : "flat" };
}

/** The sum of every sample of metric `name` (all label sets) in Prometheus text; undefined when absent. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m && m[1] === name) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
