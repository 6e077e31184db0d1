/**
 * Timing and memory: warm-up runs, then timed runs; the median is the figure. Memory is the
 * growth of `heapUsed` over one extra run started from a collected heap, read at its end (what
 * the run allocated and had not collected yet, plus what it kept).
 */

/** Statistics of several timed runs. */
export interface Stats {
  /** Median wall time of one run, ms. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
  /** The very first run (cold: each node function compiled on first call, caches empty), ms. */
  readonly firstMs: number;
  /** Growth of `heapUsed` over one run from a collected heap, MB (a guide to its peak). */
  readonly peakHeapMB: number;
  /** Median time of the work done after each run (exports, flushes), ms; 0 when none. */
  readonly afterMs: number;
}

/** How many runs. */
export interface Plan {
  readonly warmup: number;
  readonly runs: number;
}

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    throw new Error(
      "The bench needs a collectable heap: run it with `node --expose-gc dist/main.js` (pnpm bench does).",
    );
  });

/** Runs a full collection (twice, so objects freed by finalizers go too). */
export function collect(): void {
  gc();
  gc();
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What is timed: one run (returns its value), optional work after it, and a check of the value. */
export interface Subject {
  run(): unknown;
  after?(): Promise<void>;
  check(value: unknown): void;
}

/**
 * Times `subject.run` after warm-up; `after` runs outside the timing and is timed on its own.
 *
 * No GC is forced between timed runs: a full GC clears inline caches and the megamorphic stub
 * cache, and the next run pays to rebuild them (the engine's chain at 10k ran 4× slower right
 * after a forced GC), which no long-running program sees. Memory is measured by one more run
 * after the timed ones, from a collected heap.
 */
export async function measure(subject: Subject, plan: Plan): Promise<Stats> {
  const once = async (): Promise<{ ms: number; after: number }> => {
    const t0 = performance.now();
    let value = subject.run();
    if (value instanceof Promise) value = await value;
    const ms = performance.now() - t0;
    subject.check(value);
    const t1 = performance.now();
    if (subject.after) await subject.after();
    return { ms, after: performance.now() - t1 };
  };
  collect();
  const firstMs = (await once()).ms;
  for (let i = 1; i < plan.warmup; i++) await once();
  const times: number[] = [];
  const afters: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const r = await once();
    times.push(r.ms);
    afters.push(r.after);
  }
  collect();
  const heap0 = process.memoryUsage().heapUsed;
  let value = subject.run();
  if (value instanceof Promise) value = await value;
  const heap = process.memoryUsage().heapUsed - heap0;
  subject.check(value);
  if (subject.after) await subject.after();
  return {
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runs: plan.runs,
    firstMs,
    peakHeapMB: heap / 2 ** 20,
    afterMs: median(afters),
  };
}

/** Times a synchronous action on fresh input: `make` (untimed) then `act` (timed), after warm-up. */
export function measureSync<T>(make: () => T, act: (input: T) => void, plan: Plan): Stats {
  const once = () => {
    const input = make();
    collect();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    act(input);
    const ms = performance.now() - t0;
    return { ms, heap: process.memoryUsage().heapUsed - heap0 };
  };
  let firstMs = Number.NaN;
  for (let i = 0; i < plan.warmup; i++) {
    const r = once();
    if (i === 0) firstMs = r.ms;
  }
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < plan.runs; i++) {
    const r = once();
    times.push(r.ms);
    peak = Math.max(peak, r.heap);
  }
  return {
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runs: plan.runs,
    firstMs: Number.isNaN(firstMs) ? times[0]! : firstMs,
    peakHeapMB: peak / 2 ** 20,
    afterMs: 0,
  };
}
