/**
 * A small line chart over time (uPlot, drawn on a canvas). The canvas is an image to assistive
 * technology, named by `label`; the table beside each chart is its text alternative. uPlot sets
 * sizes through the CSSOM (element.style), which the strict CSP allows; its stylesheet is bundled.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: readonly number[];
  /** A colour with at least 4.5:1 contrast on the card's background (the legend's text uses it). */
  colour: string;
}

const HEIGHT = 200;
const DAY = 86_400;

/**
 * One moment alone: a day either side of it. (uPlot widens a one-moment time scale by 86,400
 * milliseconds' worth of its units before asking, which in seconds spans years.)
 */
const timeRange = (u: uPlot, min: number, max: number): uPlot.Range.MinMax => {
  const xs = u.data[0];
  return xs.length > 0 && xs[0] === xs[xs.length - 1] ? [xs[0] - DAY, xs[0] + DAY] : [min, max];
};
/** Counts and balances start at zero, with a little room above the highest. */
const valueRange = (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? Math.ceil(max * 1.1) : 1];

export function TimeChart({ label, times, series, stepped = false }: { label: string; times: readonly number[]; series: readonly ChartSeries[]; stepped?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || times.length === 0) return;
    const width = () => Math.max(240, el.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: timeRange }, y: { range: valueRange } },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, ...(stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}) }))],
        axes: [{}, { size: 60 }],
      },
      [Array.from(times), ...series.map((s) => Array.from(s.values))],
      el,
    );
    chart.ctx.canvas.setAttribute("role", "img");
    chart.ctx.canvas.setAttribute("aria-label", label);
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [label, times, series, stepped]);
  if (times.length === 0) return null;
  return <div className="chart" ref={box} data-testid="chart" />;
}
