/**
 * The tracker's cost on the node hot path (target: ≤ 3 µs per node with summaries on for
 * primitive results). Memory under a sink that is down: down-sink.bench.ts.
 * Run: `pnpm --filter @hamilton-ts/tracker bench` (or `npx vitest bench --run` in this package).
 * Figures are printed; nothing here asserts on time.
 */
import { Builder } from "@hamilton-ts/core";
import type { NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { afterAll, bench, describe } from "vitest";
import type { TrackerSink } from "../src/records.js";
import { HamiltonTracker } from "../src/tracker.js";

/** A sink that accepts and drops everything: measures the tracker, not storage. */
const nullSink: TrackerSink = { write: () => Promise.resolve() };

const figures: string[] = [];

// The synchronous micro-benchmarks never yield to the event loop, so the background delivery
// cannot run and the queue overflows by design: keep its one-time warning out of the figures.
console.warn = () => {};


function makeTracker(sink: TrackerSink, captureDataStatistics = true): HamiltonTracker {
  return new HamiltonTracker({
    projectId: "bench",
    username: "bench",
    dagName: "bench",
    sink,
    captureDataStatistics,
    retryInitialDelayMs: 60_000,
    retryMaxDelayMs: 60_000,
    onError: () => {},
  });
}

const graph = new Builder().withModules({ x: () => 1 }).build().graph;
function event(result: unknown): NodeExecutionResultEvent {
  return {
    runId: "r",
    node: graph.node("x")!,
    kwargs: {},
    taskId: undefined,
    attempt: 1,
    attributes: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" },
    success: true,
    result,
    error: undefined,
    durationMs: 0.01,
    warnings: undefined,
  };
}

/** µs per node for both node hooks, best of 5 rounds of `n` nodes. */
function perNode(tracker: HamiltonTracker, result: unknown, n = 10_000): number {
  const e = event(result);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      tracker.beforeNodeExecution(e);
      tracker.afterNodeExecution(e);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return best;
}

describe("tracker node hooks (before + after), per node", () => {
  const tracker = makeTracker(nullSink);
  const number = event(42);
  const text = event("a short answer from the model");
  bench("number result, summaries on", () => {
    tracker.beforeNodeExecution(number);
    tracker.afterNodeExecution(number);
  });
  bench("string result, summaries on", () => {
    tracker.beforeNodeExecution(text);
    tracker.afterNodeExecution(text);
  });
});

const modules: Record<string, (deps: Record<string, number>) => number> = { n0: () => 0 };
for (let i = 1; i < 200; i++) {
  const prev = `n${i - 1}`;
  modules[`n${i}`] = new Function(`return ({ ${prev} }) => ${prev} + 1`)() as (deps: Record<string, number>) => number;
}

/** µs per node of whole runs of the 200-node chain, the tracker's delivery (to a null sink) included. */
async function endToEnd(adapter: object | undefined, runs = 2000): Promise<number> {
  const builder = new Builder().withModules(modules);
  const dr = (adapter ? builder.withAdapters(adapter) : builder).build();
  for (let i = 0; i < 200; i++) await dr.execute(["n199"]);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await dr.execute(["n199"]);
  if (adapter instanceof HamiltonTracker) await adapter.flush();
  return ((performance.now() - t0) * 1000) / runs / 200;
}

describe("engine, 200-node chain, per run", () => {
  const plain = new Builder().withModules(modules).build();
  // The engine's own price for having node observers at all (event objects per node).
  const noop = new Builder().withModules(modules).withAdapters({ beforeNodeExecution() {}, afterNodeExecution() {} }).build();
  const tracked = new Builder().withModules(modules).withAdapters(makeTracker(nullSink)).build();
  bench("without adapters", async () => {
    await plain.execute(["n199"]);
  });
  bench("with a no-op observer", async () => {
    await noop.execute(["n199"]);
  });
  bench("with tracker", async () => {
    await tracked.execute(["n199"]);
  });
});

afterAll(async () => {
  const live = makeTracker(nullSink);
  // Rounds of 10,000 nodes with the queue drained in between, as between real runs.
  const drained = async (result: unknown) => {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      best = Math.min(best, perNode(live, result));
      await live.flush();
    }
    return best;
  };
  figures.push(`hooks per node, number result:        ${(await drained(42)).toFixed(3)} µs`);
  figures.push(`hooks per node, string result:        ${(await drained("a short answer from the model")).toFixed(3)} µs`);
  figures.push(`hooks per node, small object result:  ${(await drained({ score: 0.9, label: "ok" })).toFixed(3)} µs`);
  figures.push(`hooks per node, summaries off:        ${perNode(makeTracker(nullSink, false), 42).toFixed(3)} µs`);
  const noop = await endToEnd({ beforeNodeExecution() {}, afterNodeExecution() {} });
  const tracked = await endToEnd(makeTracker(nullSink));
  figures.push(`200-node chain, no-op observer:       ${noop.toFixed(3)} µs per node (engine with node events)`);
  figures.push(`200-node chain, tracker:              ${tracked.toFixed(3)} µs per node, delivery included`);
  figures.push(`tracker's share, delivery included:   ${(tracked - noop).toFixed(3)} µs per node`);
  await live.shutdown();

  console.log(`\n@hamilton-ts/tracker hot path (target ≤ 3 µs per node)\n  ${figures.join("\n  ")}\n`);
});
