/**
 * The tracker's value summaries as text and numbers, before any drawing: the one-line form for
 * tables, the heading and rows of the full form, a histogram's bars, and what a fan-out item took
 * from its input. No DOM: `summary.ts` draws it, `summary-text.test.ts` runs it under Node.
 */
import { cut, formatNumber } from "./format.js";
import type { NodeRun, NumericStats, ValueSummary } from "./types.js";

/** The most items of an array or Set shown in full. */
export const SHOWN_ITEMS = 20;
/** The most keys of an object shown in full. */
export const SHOWN_KEYS = 50;
/** Nested summaries are shown in full down to this depth, and as one line below it. */
const FULL_DEPTH = 2;

/** Whether a summary nested in one at `depth` (0: the result itself) is shown in full, or as one line. */
export function nestedInFull(depth: number): boolean {
  return depth < FULL_DEPTH;
}

/** A one-line description of a summary, for tables. */
export function shortSummary(v: ValueSummary | undefined): string {
  if (v === undefined) return "–";
  switch (v.kind) {
    case "primitive":
      return `${v.type} ${String(v.value)}`;
    case "string":
      return `string (${formatNumber(v.length)} chars) ${JSON.stringify(cut(v.preview, 60))}`;
    case "array":
      return `array of ${formatNumber(v.length)}`;
    case "numeric_array":
      return `${v.type} of ${formatNumber(v.length)} numbers, mean ${formatNumber(v.mean)}`;
    case "table":
      return `table of ${formatNumber(v.rows)} rows × ${formatNumber(v.columns.length)} columns`;
    case "object":
      return `${v.type} {${cut(Object.keys(v.entries).join(", "), 60)}}`;
    case "set":
      return `Set of ${formatNumber(v.size)}`;
    case "date":
      return `date ${v.value ?? "invalid"}`;
    case "error":
      return `${v.type}: ${cut(v.message, 60)}`;
    case "binary":
      return `${v.type}, ${formatNumber(v.byteLength)} bytes`;
    case "function":
      return `function ${v.name}`;
    case "instance":
      return `${v.type} instance`;
    case "redacted":
      return "redacted";
    case "truncated":
      return `not summarised (${v.reason})`;
    case "disabled":
      return "not recorded";
    case "observability_failure":
      return `summary failed: ${cut(v.message, 60)}`;
  }
}

/**
 * The heading of a summary shown in full (`string, 12 characters`, `array of 3 items`,
 * `Object with 2 keys`, …); undefined for kinds shown as their one line.
 */
export function summaryHeading(v: ValueSummary): string | undefined {
  switch (v.kind) {
    case "string":
      return `string, ${formatNumber(v.length)} characters${v.truncated ? " (preview cut)" : ""}`;
    case "numeric_array":
      return `${v.type} of ${formatNumber(v.length)} numbers${v.sampled ? " (statistics of the first values)" : ""}`;
    case "array":
      return `array of ${formatNumber(v.length)} items`;
    case "set":
      return `Set of ${formatNumber(v.size)} items`;
    case "object":
      return `${v.type} with ${formatNumber(v.size)} keys`;
    default:
      return undefined;
  }
}

/** A string summary's preview, with `…` when the tracker cut it. */
export function stringPreview(v: Extract<ValueSummary, { kind: "string" }>): string {
  return v.preview + (v.truncated ? "…" : "");
}

/** The first values of a numeric array, as the full form lists them. */
export function numericHead(v: Extract<ValueSummary, { kind: "numeric_array" }>): string {
  return `first: ${v.head.map((n) => formatNumber(n)).join(", ")}`;
}

/** The statistics table of a numeric array: count, missing, zeros, min, max, mean, std, then each quantile. */
export function statsRows(v: NumericStats): [string, string][] {
  const rows: [string, string][] = [
    ["count", formatNumber(v.count)],
    ["missing", formatNumber(v.missing)],
    ["zeros", formatNumber(v.zeros)],
    ["min", formatNumber(v.min)],
    ["max", formatNumber(v.max)],
    ["mean", formatNumber(v.mean)],
    ["std", formatNumber(v.std)],
  ];
  for (const [q, value] of Object.entries(v.quantiles ?? {})) rows.push([`p${Number(q) * 100}`, formatNumber(value)]);
  return rows;
}

/** The items of an array or Set shown in full, and whether the list says there are more. */
export function shownItems(v: Extract<ValueSummary, { kind: "array" | "set" }>): {
  readonly items: readonly ValueSummary[];
  readonly more: boolean;
} {
  return { items: v.items.slice(0, SHOWN_ITEMS), more: v.truncated || v.items.length > SHOWN_ITEMS };
}

/** The entries of an object shown in full, and whether the table says keys were not recorded. */
export function shownEntries(v: Extract<ValueSummary, { kind: "object" }>): {
  readonly entries: readonly [string, ValueSummary][];
  readonly more: boolean;
} {
  return { entries: Object.entries(v.entries).slice(0, SHOWN_KEYS), more: v.truncated };
}

/** One bar of a histogram chart: its box and its title (range and count). */
export interface HistogramBar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title: string;
}

/**
 * The bars of a histogram in a `width` × `height` chart: one per bin, side by side, each as tall
 * as its count against the largest count. The axis labels are the first bin's low and the last
 * bin's high end (undefined with no bins).
 */
export function histogramBars(
  bins: NumericStats["histogram"],
  width: number,
  height: number,
): { bars: HistogramBar[]; axis: readonly [string, string] | undefined } {
  const max = Math.max(1, ...bins.map((b) => b.count));
  const w = width / Math.max(1, bins.length);
  const bars = bins.map((b, i) => {
    const bh = (b.count / max) * height;
    return {
      x: i * w + 1,
      y: height - bh,
      width: Math.max(1, w - 2),
      height: bh,
      title: `${formatNumber(b.lo)} – ${formatNumber(b.hi)}: ${formatNumber(b.count)}`,
    };
  });
  const first = bins[0];
  const last = bins[bins.length - 1];
  const axis =
    first !== undefined && last !== undefined ? ([formatNumber(first.lo), formatNumber(last.hi)] as const) : undefined;
  return { bars, axis };
}

/**
 * What a node run took from one input: its summary, or for a fan-out item whose task id is
 * `<input>[i]`, item `i` of the fan-out's list (when the summary kept it).
 */
export function inputSummary(dep: string, depRun: NodeRun, run: NodeRun | undefined): string {
  const task = run?.taskId;
  const result = depRun.result;
  if (task?.startsWith(`${dep}[`) && task.endsWith("]") && result?.kind === "array") {
    const index = Number(task.slice(dep.length + 1, -1));
    const item = Number.isInteger(index) ? result.items[index] : undefined;
    if (item !== undefined) return `item ${index}: ${shortSummary(item)}`;
  }
  return shortSummary(result);
}
