/**
 * Charts with uPlot over an index axis: x is 0 … n-1 (a day, a node run), each column the same
 * width, so a click maps to one index (`onPick`) and a test can click a column by its position.
 * uPlot draws on a canvas and sets its few element styles through the CSSOM, which the page's
 * Content-Security-Policy (`style-src 'self'`) allows; its stylesheet is bundled with the page's.
 * Labels go in as text (uPlot writes legend and title with `textContent`).
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.js";

/** One series of a chart. */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** `bars`, a `line` (with points when there are few), or `points` only (markers). */
  readonly kind: "bars" | "line" | "points";
  readonly color: string;
  /** The left axis (`y`, default) or the right one (`y2`). */
  readonly scale?: "y" | "y2";
  /** How the legend and the right axis write a value. */
  readonly format?: (v: number) => string;
}

/** What a chart shows. */
export interface IndexChartOptions {
  readonly className: string;
  /** The x axis's label for each index (a day, a time). */
  readonly labels: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly yLabel: string;
  readonly y2Label?: string;
  readonly height?: number;
  /** Called with the index under the pointer on a click. */
  readonly onPick?: (index: number) => void;
  readonly pickTitle?: string;
}

/** A chart on the page. */
export interface IndexChart {
  /** The chart's box: `data-points` holds how many columns it plots. */
  readonly el: HTMLElement;
  /** Draws the chart; call once `el` is in the document (uPlot measures its width). */
  mount(): void;
  destroy(): void;
}

function pathsOf(kind: ChartSeries["kind"]): uPlot.Series.PathBuilder | undefined {
  if (kind === "bars") return uPlot.paths.bars?.({ size: [0.7, 60] });
  if (kind === "points") return () => null;
  return undefined;
}

/** Builds a chart over `labels.length` columns. */
export function indexChart(options: IndexChartOptions): IndexChart {
  const n = options.labels.length;
  const el = h("div", { class: `chart ${options.className}`, data: { points: String(n) } });
  if (options.onPick !== undefined) el.title = options.pickTitle ?? "Click to open";
  let plot: uPlot | undefined;
  const data: uPlot.AlignedData = [
    Array.from({ length: n }, (_, i) => i),
    ...options.series.map((s) => s.values as (number | null)[]),
  ];
  const fewPoints = n <= 400;
  const series: uPlot.Series[] = [
    { label: "", value: (_u, v) => (v === null ? "–" : (options.labels[Math.round(v)] ?? "")) },
    ...options.series.map(
      (s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        fill: s.kind === "bars" ? s.color : undefined,
        width: s.kind === "points" ? 0 : 1.5,
        scale: s.scale ?? "y",
        paths: pathsOf(s.kind),
        spanGaps: s.kind === "line",
        points:
          s.kind === "points"
            ? { show: true, size: 8, fill: s.color, stroke: s.color }
            : { show: s.kind === "line" && fewPoints, size: 5 },
        value: (_u, v) => (v === null || v === undefined ? "–" : s.format !== undefined ? s.format(v) : String(v)),
      }),
    ),
  ];
  const y2 = options.series.find((s) => s.scale === "y2");
  const yFormat = options.series.find((s) => (s.scale ?? "y") === "y")?.format;
  const axes: uPlot.Axis[] = [
    {
      values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (options.labels[i] ?? "") : "")),
      incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      space: 70,
    },
    {
      label: options.yLabel,
      values: (_u, splits) => splits.map((v) => (yFormat !== undefined ? yFormat(v) : String(v))),
      size: 70,
    },
  ];
  if (y2 !== undefined) {
    axes.push({
      scale: "y2",
      side: 1,
      label: options.y2Label ?? y2.label,
      grid: { show: false },
      values: (_u, splits) => splits.map((v) => (y2.format !== undefined ? y2.format(v) : String(v))),
      size: 70,
    });
  }
  return {
    el,
    mount() {
      if (plot !== undefined) return;
      const width = Math.max(360, el.clientWidth || 900);
      plot = new uPlot(
        {
          width,
          height: options.height ?? 220,
          series,
          axes,
          scales: {
            x: { time: false, range: () => [-0.5, Math.max(0, n - 1) + 0.5] },
            y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
            y2: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
          },
          // No drag to zoom; uPlot takes a click whose up and down positions differ (the cursor snaps
          // to a point between them) for a drag and stops it: every click is a pick here.
          cursor: { drag: { x: false, y: false, click: () => {} }, points: { show: fewPoints } },
          legend: { show: true },
        },
        data,
        el,
      );
      const chart = plot;
      if (options.onPick !== undefined) {
        const pick = options.onPick;
        chart.over.addEventListener("click", () => {
          const index = chart.cursor.idx;
          if (index !== null && index !== undefined) pick(index);
        });
      }
    },
    destroy() {
      plot?.destroy();
      plot = undefined;
    },
  };
}
