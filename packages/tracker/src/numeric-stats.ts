import type { NumericStats } from "./records.js";

/** The quantiles reported, as Hamilton's column statistics report them. */
export const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

/** Number of histogram bins. */
export const HISTOGRAM_BINS = 10;

/** Anything indexable by position with a length: arrays and typed arrays. */
export interface NumberList {
  readonly length: number;
  readonly [index: number]: unknown;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  if (lo === hi) return a;
  return a + (sorted[hi]! - a) * (pos - lo);
}

function histogram(sorted: Float64Array, min: number, max: number): NumericStats["histogram"] {
  if (sorted.length === 0) return [];
  let lo = min;
  let hi = max;
  if (lo === hi) {
    // pandas.cut widens a zero range by 0.1% on each side.
    const pad = lo === 0 ? 0.001 : Math.abs(lo) * 0.001;
    lo -= pad;
    hi += pad;
  }
  const width = (hi - lo) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    // Bins are (lo, hi]; the first also holds its lower edge.
    let bin = Math.ceil((x - lo) / width) - 1;
    if (bin < 0) bin = 0;
    if (bin >= HISTOGRAM_BINS) bin = HISTOGRAM_BINS - 1;
    counts[bin]!++;
  }
  return counts.map((count, i) => ({
    lo: lo + width * i,
    hi: i === HISTOGRAM_BINS - 1 ? hi : lo + width * (i + 1),
    count,
  }));
}

/**
 * Statistics of the first `limit` values of a list: finite numbers count, anything else
 * (`null`, `undefined`, `NaN`, `±Infinity`, other types) is missing.
 */
export function numericStats(values: NumberList, limit: number): NumericStats {
  const n = Math.min(values.length, limit);
  const finite = new Float64Array(n);
  let count = 0;
  let zeros = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number" && Number.isFinite(v)) {
      finite[count++] = v;
      sum += v;
      if (v === 0) zeros++;
    }
  }
  const missing = n - count;
  if (count === 0) {
    return { count, missing, zeros, min: null, max: null, mean: null, std: null, quantiles: null, histogram: [] };
  }
  const sorted = finite.subarray(0, count).sort();
  const min = sorted[0]!;
  const max = sorted[count - 1]!;
  const mean = sum / count;
  let sq = 0;
  for (let i = 0; i < count; i++) {
    const d = sorted[i]! - mean;
    sq += d * d;
  }
  const std = count > 1 ? Math.sqrt(sq / (count - 1)) : null;
  const quantiles: Record<string, number> = {};
  for (const q of QUANTILES) quantiles[String(q)] = quantile(sorted, q);
  return { count, missing, zeros, min, max, mean, std, quantiles, histogram: histogram(sorted, min, max) };
}
