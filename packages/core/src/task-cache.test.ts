// A worker's side of the task-executor seam with a cache: Driver.runTask looks up and stores a
// fan-out task's nodes per item, under the keys the coordinator's own process uses.
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import { MemoryStore } from "./fixtures/memory-store.js";
import type { FanOutTask, TaskExecutor } from "./task-executor.js";

function dataflow(calls: number[]) {
  return {
    item: parallelize(({ items }: { items: number[] }) => items),
    work: async ({ item, factor }: { item: number; factor: number }) => {
      calls.push(item);
      return item * factor;
    },
    all: collect(({ work }: { work: number[] }) => work),
  };
}

/** A worker driver in this process, as a task executor (what BullMQ's workers do across processes). */
function workerOf(modules: object, store: MemoryStore, config: Record<string, unknown>, warnings: string[] = []) {
  const outcomes: string[] = [];
  const recorder: LifecycleAdapter = {
    afterNodeExecution: (e) => void outcomes.push(`${e.node.name}/${e.taskId}=${e.cache}`),
  };
  const worker = new Builder()
    .withModules(modules)
    .withConfig(config)
    .withAdapters(recorder)
    .withCache({ store, onWarning: (m) => warnings.push(m) })
    .build();
  const executor: TaskExecutor = {
    runTask: (task: FanOutTask, signal: AbortSignal) => worker.runTask(structuredClone(task), { signal }),
  };
  return { executor, outcomes, warnings };
}

describe("Driver.runTask with a cache", () => {
  it("stores and hits per item under the coordinator's in-process keys", async () => {
    const calls: number[] = [];
    const modules = dataflow(calls);
    const store = new MemoryStore();
    const local = new Builder().withModules(modules).withConfig({ factor: 2 }).withCache({ store }).build();
    expect(await local.execute(["all"], { inputs: { items: [1, 2] } })).toEqual({ all: [2, 4] });
    expect(calls).toEqual([1, 2]);

    const worker = workerOf(modules, store, { factor: 2 });
    const remote = new Builder()
      .withModules(modules)
      .withConfig({ factor: 2 })
      .withCache({ store })
      .withTaskExecutor(worker.executor)
      .build();
    // Items 1 and 2 hit what the in-process run stored; item 3 is computed and stored by the worker.
    expect(await remote.execute(["all"], { inputs: { items: [1, 2, 3] } })).toEqual({ all: [2, 4, 6] });
    expect(calls).toEqual([1, 2, 3]);
    expect(worker.outcomes.filter((o) => o.startsWith("work/")).sort()).toEqual([
      "work/item[0]=hit",
      "work/item[1]=hit",
      "work/item[2]=miss",
    ]);
    // The worker's entry is the one the in-process run looks for.
    expect(await local.execute(["all"], { inputs: { items: [3, 2, 1] } })).toEqual({ all: [6, 4, 2] });
    expect(calls).toEqual([1, 2, 3]);
    expect(worker.warnings).toEqual([]);
  });

  it("once a run's tasks have resolved, their writes are in the store", async () => {
    const calls: number[] = [];
    const modules = dataflow(calls);
    // A store whose writes land a few turns of the event loop later, as over a network.
    const store = new MemoryStore();
    const write = store.set.bind(store);
    const later = () => new Promise((resolve) => setImmediate(resolve));
    store.set = ((key: string, data: Uint8Array, info?: { readonly node?: string }) =>
      later()
        .then(later)
        .then(later)
        .then(() => write(key, data, info))) as unknown as MemoryStore["set"];
    const worker = workerOf(modules, store, { factor: 2 });
    const remote = new Builder()
      .withModules(modules)
      .withConfig({ factor: 2 })
      .withTaskExecutor(worker.executor)
      .build();
    const before = store.resultSets;
    await remote.execute(["all"], { inputs: { items: [5, 6, 7] } });
    // One entry per item's node (the coordinator here has no cache of its own).
    expect(store.resultSets - before).toBe(3);
  });

  it("a task whose config changes the worker's runs uncached, with one warning", async () => {
    const calls: number[] = [];
    const modules = dataflow(calls);
    const store = new MemoryStore();
    const worker = workerOf(modules, store, { factor: 3 });
    const remote = new Builder()
      .withModules(modules)
      .withConfig({ factor: 2 })
      .withTaskExecutor(worker.executor)
      .build();
    expect(await remote.execute(["all"], { inputs: { items: [1, 2] } })).toEqual({ all: [2, 4] });
    expect(await remote.execute(["all"], { inputs: { items: [1, 2] } })).toEqual({ all: [2, 4] });
    expect(calls).toEqual([1, 2, 1, 2]);
    expect(store.resultSets).toBe(0);
    expect(worker.outcomes.every((o) => o.endsWith("=undefined"))).toBe(true);
    expect(worker.warnings).toHaveLength(1);
    expect(worker.warnings[0]).toMatch(
      /run uncached on this worker when the coordinator's config differs from this worker's/,
    );
  });
});
