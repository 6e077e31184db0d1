/**
 * What the `ui/…` figures share: the project and user they report as, temporary stores, the
 * tracker's records of real runs, paired timings (server and direct in turns), and the replay
 * child process (`ui-replay.ts`).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Builder } from "@hamilton-ts/core";
import { HamiltonTracker, type SinkWriteOptions, type TrackerRecord } from "@hamilton-ts/tracker";
import { median } from "./measure.js";
import { fan } from "./shapes.js";
import type { ReplayJob, ReplayResult } from "./ui-replay.js";

/** The project every figure reports to. */
export const PROJECT = 1;
/** The user every client reports as. */
export const USER = "bench@example.com";
/** Write options with a signal that never fires. */
export const noSignal: SinkWriteOptions = { signal: new AbortController().signal };
/** Clients reporting at once in the capacity figures (as 20 reporting processes would). */
export const LANES = 20;

/** A new temporary folder for a store. */
export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "hamilton-ts-bench-ui-"));
}

/**
 * The records `runs` `HamiltonTracker` runs of the fan shape (one DAG, so one template) hand their
 * sink, batch by batch (the tracker's batches of 100 records), and how many node runs they hold.
 */
export async function trackerBatches(
  nodes: number,
  runs = 1,
): Promise<{ batches: TrackerRecord[][]; nodeRuns: number }> {
  const batches: TrackerRecord[][] = [];
  const tracker = new HamiltonTracker({
    projectId: PROJECT,
    username: USER,
    dagName: `fan-${nodes}`,
    sink: { write: async (_project, records) => void batches.push([...records]) },
    // Keep every record of a large run (a capture, not a sink that could fall behind).
    queueCapacity: 1_000_000,
    onError: () => {},
  });
  const shape = fan(nodes);
  const dr = new Builder().withModules(shape.module).withAdapters(tracker).build();
  for (let i = 0; i < runs; i++) await dr.execute([shape.finalVar] as never[], { inputs: shape.inputs });
  await tracker.shutdown();
  return { batches, nodeRuns: finalNodeRuns(batches.flat()) };
}

/** The number of node runs with a final record among `records`. */
function finalNodeRuns(records: readonly TrackerRecord[]): number {
  const finals = new Set<string>();
  for (const r of records)
    if (r.type === "node_run" && r.status !== "RUNNING") finals.add(`${r.runId}/${r.taskId}/${r.node}`);
  return finals.size;
}

/** One timed repetition: a fresh setup (not timed), `act` (timed, or reporting its own time), a teardown. */
export interface Timing {
  once(): Promise<number>;
}

/** A {@link Timing} from its setup, its timed act and its teardown. */
export function timing<T>(
  setup: () => Promise<T>,
  act: (input: T) => Promise<number | void>,
  teardown: (input: T) => Promise<void>,
): Timing {
  return {
    async once() {
      const input = await setup();
      try {
        const started = performance.now();
        const reported = await act(input);
        return typeof reported === "number" ? reported : performance.now() - started;
      } finally {
        await teardown(input);
      }
    },
  };
}

/**
 * Medians of `reps` repetitions of the server's figure and the direct one, taken in turns (server,
 * direct, server, …), so that both see the same load of a busy machine.
 */
export async function paired(reps: number, server: Timing, direct: Timing): Promise<[number, number]> {
  const serverTimes: number[] = [];
  const directTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    serverTimes.push(await server.once());
    directTimes.push(await direct.once());
  }
  return [median(serverTimes), median(directTimes)];
}

/** The replay child process (see `ui-replay.ts`): one job at a time. */
export class Replayer {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = fork(fileURLToPath(new URL("./ui-replay.js", import.meta.url)), [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
  }

  /** Replays a job; resolves with the child's wall time of it, ms. */
  run(job: ReplayJob): Promise<number> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench: the replay process exited (${code})`));
      this.#child.once("exit", onExit);
      this.#child.once("message", (result: ReplayResult) => {
        this.#child.off("exit", onExit);
        if ("error" in result) reject(new Error(`bench: replay failed: ${result.error}`));
        else resolve(result.ms);
      });
      this.#child.send(job);
    });
  }

  close(): void {
    this.#child.kill();
  }
}
