/**
 * A fan-out's item runs — part of the `run` stage of core's pipeline (`candidates` → `drafts` →
 * `graph` → `plan` → `run`, with `builder` and `driver` on top).
 *
 * Owns {@link runFanOut}: once a collect node's `parallelize` node has its value, read its items
 * (`fan-out-items.ts`) and run the block of per-item nodes once per item — in this process as
 * child runs of the same scope, or on the driver's task executor (`Builder.withTaskExecutor`) as
 * one {@link FanOutTask} per item — and hand back each item's outputs in item order.
 */
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { FanOutPlan, Plan } from "./plan.js";
import { EMPTY } from "./empty-record.js";
import type { RunCache } from "./cache.js";
import { canCross } from "./crossable.js";
import type { FanOutTask, RemoteSetup } from "./task-executor.js";
import type { RunScope } from "./run-scope.js";
import { materialize } from "./fan-out-items.js";
import type { RunInit } from "./run.js";

/** The run a fan-out belongs to: what its item runs read from it. */
export interface FanOutParent {
  readonly scope: RunScope;
  /** The enclosing run's plan (its given values always travel to a task executor). */
  readonly plan: Plan;
  /** The enclosing run's own task id (undefined for the main run). */
  readonly taskId: string | undefined;
  /** The enclosing run's values, by slot. */
  readonly values: readonly unknown[];
  /** The enclosing run's cache state, when the driver has a cache. */
  readonly cache: RunCache | undefined;
  /** Starts one in-process item run in the same scope. */
  startItem(init: RunInit): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/**
 * Runs a fan-out's items (`source` is its parallelize node's value) and resolves with each item's
 * outputs, in item order. Waits for every item run, failed or not, so that all their events
 * precede the collect node's; the first failure is the one thrown.
 */
export async function runFanOut(
  parent: FanOutParent,
  fanOut: FanOutPlan,
  source: unknown,
): Promise<Record<string, unknown>[]> {
  const scope = parent.scope;
  let items: readonly unknown[];
  try {
    items = await materialize(source, fanOut.parallelizeName, scope);
  } catch (error) {
    // The source's failure is the parallelize node's (an abort is the run's own error).
    if (scope.stopped && error === scope.stopError) throw error;
    throw new NodeExecutionError(fanOut.parallelizeName, error, parent.taskId);
  }
  const shared: Record<string, unknown> = {};
  for (const [name, slot] of fanOut.outer) shared[name] = parent.values[slot];
  const remote = scope.remote;
  if (remote !== undefined) return runRemote(parent, remote, fanOut, items, shared);
  // With a cache, the outer values' data versions are the enclosing run's, computed once.
  const cache = parent.cache;
  let versions: Map<string, string | undefined> | undefined;
  if (cache !== undefined) {
    versions = new Map();
    for (const [name, slot] of fanOut.outer) versions.set(name, cache.versionOf(slot));
  }
  const runs: Array<Record<string, unknown> | Promise<Record<string, unknown>>> = [];
  let failure: { error: unknown } | undefined;
  for (let i = 0; i < items.length && !scope.stopped; i++) {
    try {
      runs.push(
        parent.startItem({
          plan: fanOut.plan,
          finalVars: fanOut.outputs,
          inputs: EMPTY,
          overrides: { ...shared, [fanOut.parallelizeName]: items[i] },
          taskId: `${fanOut.parallelizeName}[${i}]`,
          cacheVersions: versions,
        }),
      );
    } catch (error) {
      failure ??= { error };
    }
  }
  // Wait for every item run, failed or not, so that all their events precede the collect's.
  const settled = await Promise.allSettled(runs);
  for (const s of settled) if (s.status === "rejected") failure ??= { error: s.reason };
  if (failure !== undefined) throw failure.error;
  if (scope.stopped) throw scope.stopError;
  return settled.map((s) => (s as PromiseFulfilledResult<Record<string, unknown>>).value);
}

/**
 * The item runs of a fan-out on a task executor: one task per item. The first failure stops the
 * run (the other tasks see the signal); collect order is the items' order.
 */
async function runRemote(
  parent: FanOutParent,
  remote: RemoteSetup,
  fanOut: FanOutPlan,
  items: readonly unknown[],
  shared: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const { scope, plan } = parent;
  const outer: Record<string, unknown> = {};
  const computedByWorker: string[] = [];
  for (const [name, slot] of fanOut.outer) {
    // The coordinator's value travels when it can cross (so every item sees the same timestamp,
    // id or random draw); a node reading only config whose value cannot (a client) is computed
    // by the worker. A value the caller gave (input or override) always travels.
    const given = plan.given.some((g) => g.slot === slot);
    if (!given && remote.computedByWorker.has(name) && !canCross(shared[name])) computedByWorker.push(name);
    else outer[name] = shared[name];
  }
  const runContexts = remote.adapters.exportRunContexts({ runId: scope.runId, graph: remote.graph.info });
  const base = {
    runId: scope.runId,
    graphVersion: remote.graph.info.version,
    parallelizeName: fanOut.parallelizeName,
    nodes: [...computedByWorker, ...fanOut.plan.executionPath],
    outputs: fanOut.outputs,
    outer,
    computedByWorker,
    config: remote.graph.config,
    runContexts,
  };
  const signal = scope.signal;
  const runs: Promise<Readonly<Record<string, unknown>>>[] = [];
  const failed = (taskId: string) => (error: unknown) => {
    if (!scope.stopped) {
      scope.stop(
        HamiltonError.isInstance(error) ? error : new NodeExecutionError(fanOut.parallelizeName, error, taskId),
      );
    }
    throw error;
  };
  for (let i = 0; i < items.length && !scope.stopped; i++) {
    const taskId = `${fanOut.parallelizeName}[${i}]`;
    const task: FanOutTask = { ...base, taskId, index: i, item: items[i] };
    let out: Promise<Readonly<Record<string, unknown>>>;
    try {
      out = remote.executor.runTask(task, signal);
    } catch (error) {
      out = Promise.reject(error);
    }
    runs.push(Promise.resolve(out).then(undefined, failed(taskId)));
  }
  const settled = await Promise.allSettled(runs);
  if (scope.stopped) throw scope.stopError;
  return settled.map((s) => (s as PromiseFulfilledResult<Record<string, unknown>>).value);
}
