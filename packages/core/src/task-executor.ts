/**
 * The seam between the engine and where a fan-out item's block runs (`Builder.withTaskExecutor`),
 * part of the `run` stage of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * A block is the per-item nodes between a `parallelize` node and its `collect` nodes. Without a
 * task executor, the engine runs each item's block in its own process (the fast path). With one,
 * it hands the executor one {@link FanOutTask} per item and awaits the block's results; the
 * engine still owns collect order, the first-failure stop and the abort. On the other side, a
 * worker with the same dataflow runs the task with {@link Driver.runTask}.
 *
 * @module
 */
import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { HamiltonError } from "./errors.js";
import type { Graph, GraphNode } from "./graph.js";

/**
 * One fan-out item's block, as a task executor receives it: everything a worker needs to run it,
 * and nothing else. Every field is plain data that survives a structured clone (`node:v8`
 * serialize), except possibly `item` and the values in `outer`, which are the dataflow's own
 * values (an executor that ships them must check them).
 */
export interface FanOutTask {
  /** The coordinator's run id (the worker's node events carry it). */
  readonly runId: string;
  /** The task's id, `<parallelize node>[<index>]`, e.g. `urls[3]`. */
  readonly taskId: string;
  /** The item's position in the fan-out (collect order). */
  readonly index: number;
  /**
   * The coordinator's `graph.version`: a worker runs the task only when its graph has the same
   * version (same nodes, same code, same `configWhen` variants).
   */
  readonly graphVersion: string;
  /** The parallelize node: the item is its value inside the block. */
  readonly parallelizeName: string;
  /** The item. */
  readonly item: unknown;
  /** The nodes the block computes, in a valid order (for executors that route or report). */
  readonly nodes: readonly string[];
  /** The block's values the collect nodes read: the worker returns exactly these. */
  readonly outputs: readonly string[];
  /**
   * Values from outside the block that it reads, by node name — except values a worker computes
   * itself ({@link computedByWorker}).
   */
  readonly outer: Readonly<Record<string, unknown>>;
  /**
   * Outer nodes the worker computes itself instead of receiving them: nodes whose dependencies are
   * all config values (or none) and whose coordinator value cannot cross processes by structured
   * clone (a function, a class instance: an API client, a socket), which any worker can build. Such
   * a node whose value can cross (a timestamp, an id, a random draw) travels in {@link outer}, so
   * every item sees the coordinator's value.
   */
  readonly computedByWorker: readonly string[];
  /** The coordinator's config: it travels with the task and wins over the worker's inside the block. */
  readonly config: Readonly<Record<string, unknown>>;
  /** What each adapter exported for the run (`exportRunContext`), by adapter name. */
  readonly runContexts: Readonly<Record<string, unknown>>;
}

/**
 * Where fan-out blocks run (`Builder.withTaskExecutor`). Implement it to run items elsewhere:
 * other processes, machines, a worker-thread pool.
 *
 * `runTask` resolves with the block's outputs (`task.outputs`, by name) or rejects: with a
 * `NodeExecutionError` (`NODE_FAILED`, naming the node and `task.taskId`) when a node of the block
 * failed, with a `HamiltonError` of its own when the task could not be run. The first rejection
 * fails the run and fires `signal`, which every other task of the run sees: a task not started yet
 * should not start, a running one should see it in its nodes' context signal. The engine waits for
 * every task's promise before the collect node runs (or the run settles, within the grace period).
 */
export interface TaskExecutor {
  /** Runs one item's block; see {@link TaskExecutor}. */
  runTask(task: FanOutTask, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>>;
}

/** Options of {@link Driver.runTask}. */
export interface RunTaskOptions {
  /** Stops the task: no new node starts, running nodes see it in their context's signal. */
  readonly signal?: AbortSignal;
  /** Which process runs the task, `<host>:<pid>` (default: this one). */
  readonly worker?: string;
  /** 1 for the task's first delivery; a re-delivery after a worker died counts up. */
  readonly attempt?: number;
}

/** What a run with a task executor needs (built once per driver). */
export interface RemoteSetup {
  readonly executor: TaskExecutor;
  /** Every adapter (for their run contexts), whether or not it has node hooks. */
  readonly adapters: AdapterSet;
  readonly graph: Graph;
  /**
   * Names of the nodes a worker may compute itself: those reading only config (or nothing). Of
   * these, only the ones whose value cannot cross go in {@link FanOutTask.computedByWorker}.
   */
  readonly computedByWorker: ReadonlySet<string>;
}

/** Checks what `Builder.withTaskExecutor` is given. */
export function checkTaskExecutor(executor: unknown): TaskExecutor {
  if (
    executor === null ||
    typeof executor !== "object" ||
    typeof (executor as Partial<TaskExecutor>).runTask !== "function"
  ) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `withTaskExecutor(executor): executor must be an object with a runTask(task, signal) method ` +
        `(e.g. new BullMQExecutor(...) from @hamilton-ts/bullmq), got ${executor === null ? "null" : typeof executor}.`,
    );
  }
  return executor as TaskExecutor;
}

/**
 * The nodes a worker may compute itself: computed nodes that read only config values (or nothing).
 * A run ships such a node's value when it can cross, and lets the worker compute it when not.
 */
export function workerComputed(graph: Graph): Set<string> {
  const out = new Set<string>();
  const isConfig = (name: string): boolean => Object.hasOwn(graph.config, name);
  for (const n of graph.nodes as readonly GraphNode[]) {
    if (n.kind !== "transform" || n.fn === undefined || n.usesContext) continue;
    if (n.depNames.every(isConfig)) out.add(n.name);
  }
  return out;
}
