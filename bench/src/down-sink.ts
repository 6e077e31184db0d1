/**
 * The tracker under a sink that is down: every write rejects (a retryable error, as from a
 * network outage). Many runs go through, yielding to the event loop between runs as a server
 * would, so the tracker's batching and retry timers run. The heap, after a full GC, must stop
 * growing once the queue is full: the tracker keeps at most `queueCapacity` node records and
 * drops the oldest.
 */
import { Builder } from "@hamilton-ts/core";
import { collect } from "./measure.js";
import type { Options } from "./options.js";
import type { DownSinkFigure } from "./results.js";
import { chain } from "./shapes.js";
import { newTracker } from "./tracker.js";

const MB = 2 ** 20;

function heapMB(): number {
  collect();
  return process.memoryUsage().heapUsed / MB;
}

/** Runs `runs` executes of a 1,000-node chain with a tracker whose sink always rejects. */
export async function downSinkSuite(options: Options): Promise<DownSinkFigure> {
  const runs = options.quick ? 60 : 400;
  const shape = chain(1_000);
  let failedWrites = 0;
  const sink = {
    write: () => {
      failedWrites++;
      return Promise.reject(new Error("the sink is down (bench)"));
    },
  };
  // The tracker's default queue capacity: the bound being demonstrated.
  const tracker = newTracker(sink, undefined, () => {});
  const dr = new Builder().withModules(shape.module).withAdapters(tracker).build();
  const finalVars = [shape.finalVar] as never[];
  const execute = async () => {
    const out = (await dr.execute(finalVars, { inputs: shape.inputs })) as Record<string, unknown>;
    if (out[shape.finalVar] !== shape.expected) throw new Error("down-sink: wrong result");
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  process.stderr.write(`down-sink (${runs} runs × ${shape.nodes} nodes; the tracker warns once about dropping)…\n`);
  await execute(); // the template and first records, so "before" includes the tracker's fixed state
  const heapBeforeMB = heapMB();
  const t0 = performance.now();
  let heapQuarterMB = 0;
  for (let i = 1; i <= runs; i++) {
    await execute();
    if (i === runs >> 2) heapQuarterMB = heapMB();
  }
  const totalMs = performance.now() - t0;
  const heapAfterMB = heapMB();
  const stats = tracker.stats;
  const report = await tracker.shutdown({ timeoutMs: 50 });
  const capacity = tracker.options.queueCapacity;
  return {
    runs,
    nodesPerRun: shape.nodes,
    heapBeforeMB,
    heapQuarterMB,
    heapAfterMB,
    totalMs,
    note:
      `queue capacity ${capacity.toLocaleString("en-US")} node records; ${stats.queued.toLocaleString("en-US")} queued, ` +
      `${stats.dropped.toLocaleString("en-US")} dropped, ${failedWrites} failed writes; shutdown: ` +
      `${report.undelivered.length.toLocaleString("en-US")} undelivered`,
  };
}
