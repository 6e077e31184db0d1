/**
 * Memory under a sink that is down: the heap grows until the queue is full (default capacity
 * 20,000 node records), then stays flat however many more node events come; the oldest node
 * updates are dropped and counted. Figures are printed; nothing here asserts.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Builder } from "@hamilton-ts/core";
import type { NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { afterAll, bench, describe } from "vitest";
import { HamiltonTracker } from "../src/tracker.js";

// The one-time drop warning is expected here.
console.warn = () => {};
// A real gc() for heap figures (vitest does not start workers with --expose-gc).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const graph = new Builder().withModules({ x: () => 1 }).build().graph;
const event: NodeExecutionResultEvent = {
  runId: "r",
  node: graph.node("x")!,
  kwargs: {},
  taskId: undefined,
  attempt: 1,
  attributes: {},
  success: true,
  result: 42,
  error: undefined,
  durationMs: 0.01,
  warnings: undefined,
};

const tracker = new HamiltonTracker({
  projectId: "bench",
  username: "bench",
  dagName: "bench",
  sink: { write: () => Promise.reject(new Error("down")) },
  retryInitialDelayMs: 60_000,
  retryMaxDelayMs: 60_000,
  onError: () => {},
});

describe("tracker under a sink that is down", () => {
  bench("node hooks, per node", () => {
    tracker.beforeNodeExecution(event);
    tracker.afterNodeExecution(event);
  });
});

afterAll(async () => {
  const down = new HamiltonTracker({
    projectId: "bench",
    username: "bench",
    dagName: "bench",
    sink: { write: () => Promise.reject(new Error("down")) },
    retryInitialDelayMs: 60_000,
    retryMaxDelayMs: 60_000,
    onError: () => {},
  });
  const figures: string[] = [];
  gc();
  const base = process.memoryUsage().heapUsed;
  let events = 0;
  for (const target of [10_000, 40_000, 400_000, 2_000_000]) {
    for (; events < target; events += 2) {
      down.beforeNodeExecution(event);
      down.afterNodeExecution(event);
    }
    await new Promise((r) => setImmediate(r));
    gc();
    const heap = (process.memoryUsage().heapUsed - base) / 1e6;
    const { queued, inFlight, dropped } = down.stats;
    figures.push(
      `${String(target).padStart(9)} node events: held ${queued + inFlight}, dropped ${dropped}, heap +${heap.toFixed(1)} MB`,
    );
  }
  await down.shutdown({ timeoutMs: 1 });
  await tracker.shutdown({ timeoutMs: 1 });
  console.log(`\n@hamilton-ts/tracker under a sink that is down (queueCapacity 20,000)\n  ${figures.join("\n  ")}\n`);
});
