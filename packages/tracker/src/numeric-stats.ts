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

/**
 * Puts the k-th smallest of `a[left..right]` at `a[k]`, smaller ones before it and larger ones
 * after it (Hoare's quickselect, median-of-three pivot): expected O(n), no full sort.
 */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three as the pivot value.
    let x = a[left]!;
    let y = a[mid]!;
    const z = a[right]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) y = z;
    const pivot = Math.max(x, y);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * Linear-interpolated quantiles (numpy's default) of `values`, which is reordered. Each needed
 * order statistic is selected in ascending order, each search starting past the previous one.
 */
function quantiles(values: Float64Array): Record<string, number> {
  const last = values.length - 1;
  const positions = new Set<number>();
  for (const q of QUANTILES) {
    positions.add(Math.floor(last * q));
    positions.add(Math.ceil(last * q));
  }
  const at = new Map<number, number>();
  let left = 0;
  for (const k of [...positions].sort((a, b) => a - b)) {
    select(values, k, left, last);
    at.set(k, values[k]!);
    left = k + 1;
  }
  const out: Record<string, number> = {};
  for (const q of QUANTILES) {
    const pos = last * q;
    const lo = Math.floor(pos);
    const a = at.get(lo)!;
    out[String(q)] = lo === pos ? a : a + (at.get(Math.ceil(pos))! - a) * (pos - lo);
  }
  return out;
}

function histogram(values: Float64Array, min: number, max: number): NumericStats["histogram"] {
  if (values.length === 0) return [];
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
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
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
  const kept = finite.subarray(0, count);
  let min = kept[0]!;
  let max = min;
  for (let i = 1; i < count; i++) {
    const v = kept[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const mean = sum / count;
  let sq = 0;
  for (let i = 0; i < count; i++) {
    const d = kept[i]! - mean;
    sq += d * d;
  }
  const std = count > 1 ? Math.sqrt(sq / (count - 1)) : null;
  // The histogram before the quantiles, which reorder the values.
  const bins = histogram(kept, min, max);
  return { count, missing, zeros, min, max, mean, std, quantiles: quantiles(kept), histogram: bins };
}
