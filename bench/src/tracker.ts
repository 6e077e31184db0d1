/**
 * The tracker as the bench uses it: `HamiltonTracker` with summaries on (the default) writing to
 * a `FileSink` in a fresh temporary directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { FileSink, HamiltonTracker, type TrackerSink } from "@hamilton-ts/tracker";

/** A tracker adapter and how to flush and stop it. */
export interface TrackerKit {
  readonly adapter: LifecycleAdapter;
  /** Delivers everything queued (timed separately from the run); throws if records were lost. */
  flush(): Promise<void>;
  /** Stops the tracker and removes its temporary directory. */
  dispose(): Promise<void>;
}

/** How much the tracker's queue holds; undefined = the tracker's defaults. */
interface QueueBounds {
  readonly records: number;
  readonly bytes: number;
}

/** A tracker with the bench's identity; `queue` undefined = the tracker's default bounds. */
export function newTracker(
  sink: TrackerSink,
  queue?: QueueBounds,
  onError?: (error: unknown) => void,
): HamiltonTracker {
  return new HamiltonTracker({
    projectId: "bench",
    username: "bench@hamilton-ts",
    dagName: "bench",
    sink,
    ...(queue === undefined ? {} : { queueCapacity: queue.records, queueByteBudget: queue.bytes }),
    ...(onError === undefined ? {} : { onError }),
  });
}

/**
 * A tracker writing to a FileSink in a fresh temporary directory. Its queue holds a whole
 * 100k-node run (100k final node records — a synchronous node ends before any batch goes out, so
 * it has no RUNNING record — up to 200k, ~70 MB as the queue estimates them): the defaults
 * (20,000 records, 64 MB) would drop the oldest node updates of one big synchronous run, and
 * dropping is cheaper than recording.
 */
export async function makeTracker(): Promise<TrackerKit> {
  const dir = await mkdtemp(join(tmpdir(), "hamilton-ts-bench-"));
  const tracker = newTracker(new FileSink({ dir }), { records: 1 << 20, bytes: 1 << 30 });
  return {
    adapter: tracker,
    async flush() {
      const report = await tracker.flush();
      if (!report.complete || report.dropped > 0 || report.rejected > 0) {
        throw new Error(
          `The tracker lost records (dropped ${report.dropped}, rejected ${report.rejected}, undelivered ` +
            `${report.undelivered.length}; last error: ${String(report.lastError)}).`,
        );
      }
    },
    async dispose() {
      await tracker.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
