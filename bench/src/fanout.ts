/**
 * Dynamic fan-out (`parallelize` → a three-node block per item → `collect`): the per-item cost
 * of the engine, set beside the plain chain's per-node overhead, and an I/O-bound fan-out whose
 * items each await 20 ms.
 *
 * - cpu: `item = parallelize(({ n }) => [0 … n-1])`, `a = item + 1`, `b = a * 2`, `c = b - 1`,
 *   `total = collect(sum of c)` over 10,000 items (1,000 with `--quick`). The plain baseline runs
 *   the same three functions per item in a loop, with kwargs objects, and sums.
 * - io: the same with `a` awaiting a 20 ms timer, 1,000 items, no concurrency limit.
 * - limit: the same with `a` asynchronous (no timer) under `withMaxConcurrency(100)`, at 25,000
 *   and 400,000 items: the per-item cost must not grow with the number of items waiting for a
 *   slot (it grew 4.5× from 25k to 400k when a freed slot walked the waiting runs).
 */
import { Builder, collect, parallelize } from "@hamilton-ts/core";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { tracer } from "./adapters.js";
import { measure, type Stats } from "./measure.js";
import { selected, type Options } from "./options.js";
import { otel } from "./otel.js";
import { log } from "./suites.js";
import { makeTracker } from "./tracker.js";
import { traced } from "./variants.js";

/** One variant of the fan-out. */
export interface FanoutFigure {
  readonly id: string;
  readonly label: string;
  readonly items: number;
  readonly stats: Stats;
  /** (run − plain) / items, µs: what the engine (and adapters) add per item of a 3-node block. */
  readonly overUsPerItem: number | undefined;
  /** The least possible time of the I/O case (one 20 ms wave); undefined for the CPU case. */
  readonly idealMs: number | undefined;
}

const BLOCK = 3;

const a = ({ item }: { item: number }) => item + 1;
const b = ({ a }: { a: number }) => a * 2;
const c = ({ b }: { b: number }) => b - 1;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function dataflow(io: boolean, asyncA = false) {
  return {
    item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
    a: io
      ? async ({ item }: { item: number }) => (await sleep(20), item + 1)
      : asyncA
        ? async ({ item }: { item: number }) => item + 1
        : a,
    b,
    c,
    total: collect(({ c }: { c: number[] }) => {
      let s = 0;
      for (const x of c) s += x;
      return s;
    }),
  };
}

/** Σ (2(i+1) − 1) for i < n = n². */
const expected = (n: number) => n * n;

function plain(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const ka = { item: i };
    const kb = { a: a(ka) };
    s += c({ b: b(kb) });
  }
  return s;
}

async function plainIo(n: number): Promise<number> {
  const values = await Promise.all(
    Array.from({ length: n }, async (_, item) => {
      await sleep(20);
      return c({ b: b({ a: item + 1 }) });
    }),
  );
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function engine(io: boolean, n: number, adapters: LifecycleAdapter[], limit?: number): () => Promise<unknown> {
  let builder = new Builder().withModules(dataflow(io, limit !== undefined)).withAdapters(...adapters);
  if (limit !== undefined) builder = builder.withMaxConcurrency(limit);
  const dr = builder.build();
  return () => dr.execute(["total"], { inputs: { n } }).then((out) => out.total);
}

/** Item counts of the limited fan-out: its per-item cost must be the same at both. */
export const LIMIT_ITEMS = [25_000, 400_000] as const;

/** The CPU-bound fan-out (plain, engine, tracer, tracker) and the I/O-bound one (plain, engine). */
export async function fanoutSuite(options: Options): Promise<FanoutFigure[]> {
  const n = options.quick ? 1_000 : 10_000;
  const plan = options.quick ? { warmup: 5, runs: 7 } : { warmup: 20, runs: 15 };
  const figures: FanoutFigure[] = [];
  const check = (value: unknown) => {
    if (value !== expected(n)) throw new Error(`fan-out ${n}: got ${String(value)}, expected ${expected(n)}.`);
  };
  let plainStats: Stats | undefined;
  const push = (id: string, label: string, stats: Stats, items: number, base: Stats | undefined, idealMs?: number) => {
    figures.push({
      id,
      label,
      items,
      stats,
      overUsPerItem:
        base && id !== "fanout/plain" && id !== "fanout-io/plain"
          ? ((stats.medianMs - base.medianMs) * 1000) / items
          : undefined,
      idealMs,
    });
  };
  if (selected(options, "fanout/")) {
    log(`fanout ${n} items × ${BLOCK}-node block: plain…`);
    plainStats = await measure({ run: () => plain(n), check }, plan);
    push("fanout/plain", "plain: 3 calls per item in a loop", plainStats, n, undefined);
    log("fanout engine…");
    push(
      "fanout/engine",
      "engine, no adapter",
      await measure({ run: engine(false, n, []), check }, plan),
      n,
      plainStats,
    );
    log("fanout otel…");
    const sdk = otel();
    const spans = 1 + 1 + BLOCK * n + 1; // run, item, a/b/c per item, total
    push(
      "fanout/otel",
      "engine + OpenTelemetryTracer (a span per item node)",
      await measure({ run: traced(engine(false, n, [tracer()])), after: () => sdk.check(spans), check }, plan),
      n,
      plainStats,
    );
    log("fanout tracker…");
    const kit = await makeTracker();
    push(
      "fanout/tracker",
      "engine + HamiltonTracker (FileSink)",
      await measure({ run: engine(false, n, [kit.adapter]), after: () => kit.flush(), check }, plan),
      n,
      plainStats,
    );
    await kit.dispose();
  }
  if (selected(options, "fanout-io/")) {
    const items = 1_000;
    const ioCheck = (value: unknown) => {
      if (value !== expected(items)) throw new Error(`I/O fan-out: got ${String(value)}, expected ${expected(items)}.`);
    };
    const ioPlan = options.quick ? { warmup: 2, runs: 5 } : { warmup: 3, runs: 11 };
    log(`fanout-io ${items} items × 20 ms: plain…`);
    const base = await measure({ run: () => plainIo(items), check: ioCheck }, ioPlan);
    push("fanout-io/plain", "plain: Promise.all over the items", base, items, undefined, 20);
    log("fanout-io engine…");
    push(
      "fanout-io/engine",
      "engine, no limit",
      await measure({ run: engine(true, items, []), check: ioCheck }, ioPlan),
      items,
      base,
      20,
    );
  }
  if (selected(options, "fanout-limit/")) {
    for (const items of LIMIT_ITEMS) {
      const limitCheck = (value: unknown) => {
        if (value !== expected(items))
          throw new Error(`limited fan-out ${items}: got ${String(value)}, expected ${expected(items)}.`);
      };
      log(`fanout-limit ${items} async items under withMaxConcurrency(100)…`);
      const limitPlan =
        items > 100_000 ? { warmup: 1, runs: 3 } : options.quick ? { warmup: 2, runs: 5 } : { warmup: 3, runs: 7 };
      push(
        `fanout-limit/${items}`,
        "engine, withMaxConcurrency(100), a async",
        await measure({ run: engine(false, items, [], 100), check: limitCheck }, limitPlan),
        items,
        undefined,
      );
    }
  }
  return figures;
}
