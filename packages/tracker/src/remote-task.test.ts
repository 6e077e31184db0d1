import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { Builder, collect, parallelize } from "@hamilton-ts/core";
import type { FanOutTask, TaskExecutor } from "@hamilton-ts/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeHamiltonUI } from "@hamilton-ts/testing";
import { MemorySink } from "../test/memory-sink.js";
import { FileSink } from "./file-sink.js";
import { HamiltonUIClient } from "./hamilton-ui-client.js";
import { readFileStore } from "@hamilton-ts/store";
import { HamiltonTracker } from "./tracker.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracker-remote-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dataflow = {
  url: parallelize(({ urls }: { urls: string[] }) => urls),
  page: async ({ url }: { url: string }) => url.length,
  words: ({ page }: { page: number }) => page * 2,
  total: collect(({ words }: { words: number[] }) => words.reduce((a, b) => a + b, 0)),
};

const tracker = () => new HamiltonTracker({ projectId: "p", username: "u", dagName: "d", sink: new FileSink({ dir }) });

describe("HamiltonTracker across a task executor", () => {
  it("records the worker's node runs in the coordinator's run, each with its worker and task attempt", async () => {
    const workerTracker = tracker();
    const worker = new Builder().withModules(dataflow).withAdapters(workerTracker).build();
    const contexts: unknown[] = [];
    const executor: TaskExecutor = {
      async runTask(task, signal) {
        contexts.push(task.runContexts);
        const copy = deserialize(serialize(task)) as FanOutTask;
        return worker.runTask(copy, { signal, worker: `w${task.index % 2}:1`, attempt: task.index + 1 });
      },
    };
    const coordinatorTracker = tracker();
    const dr = new Builder().withModules(dataflow).withAdapters(coordinatorTracker).withTaskExecutor(executor).build();
    expect(await dr.execute(["total"], { inputs: { urls: ["a", "bb", "ccc"] } })).toEqual({ total: 12 });
    await Promise.all([workerTracker.shutdown(), coordinatorTracker.shutdown()]);
    expect(contexts[0]).toEqual({
      HamiltonTracker: { projectId: "p", graphVersion: dr.graph.version, dagName: "d" },
    });
    const { runs, skippedLines } = await readFileStore(dir);
    expect(skippedLines).toBe(0);
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run!.finished).toBe(true);
    const nodes = run!.nodes.map((n) => [n.node, n.taskId, n.status, n.worker, n.taskAttempt]);
    expect(nodes).toEqual(
      expect.arrayContaining([
        ["page", "url[0]", "SUCCESS", "w0:1", 1],
        ["words", "url[0]", "SUCCESS", "w0:1", 1],
        ["page", "url[1]", "SUCCESS", "w1:1", 2],
        ["words", "url[2]", "SUCCESS", "w0:1", 3],
        ["url", undefined, "SUCCESS", undefined, undefined],
        ["total", undefined, "SUCCESS", undefined, undefined],
      ]),
    );
    expect(nodes).toHaveLength(8);
  });
});

describe("HamiltonTracker on a worker", () => {
  it("ends a task only once the task's node records are in the sink (a worker killed after it is not a hole)", async () => {
    const sink = new MemorySink();
    // A flush interval far longer than the test: without the delivery at the task's end, nothing is written.
    const workerTracker = new HamiltonTracker({
      projectId: "p",
      username: "u",
      dagName: "d",
      sink,
      flushIntervalMs: 3_600_000,
    });
    const worker = new Builder().withModules(dataflow).withAdapters(workerTracker).build();
    const inSinkWhenDone: string[][] = [];
    const executor: TaskExecutor = {
      async runTask(task, signal) {
        const out = await worker.runTask(deserialize(serialize(task)) as FanOutTask, {
          signal,
          worker: "w:1",
          attempt: 1,
        });
        inSinkWhenDone.push(
          sink.records.flatMap((r) =>
            r.type === "node_run" && r.taskId === task.taskId && r.status === "SUCCESS" ? [r.node] : [],
          ),
        );
        return out;
      },
    };
    const coordinatorTracker = tracker();
    const dr = new Builder().withModules(dataflow).withAdapters(coordinatorTracker).withTaskExecutor(executor).build();
    expect(await dr.execute(["total"], { inputs: { urls: ["a", "bb"] } })).toEqual({ total: 6 });
    expect(inSinkWhenDone.map((nodes) => nodes.sort())).toEqual([
      ["page", "words"],
      ["page", "words"],
    ]);
    await Promise.all([workerTracker.shutdown(), coordinatorTracker.shutdown()]);
  });
});

describe("HamiltonUIClient across a task executor", () => {
  it("puts a worker's node runs into the coordinator's dag run", async () => {
    const ui = new FakeHamiltonUI({ apiKey: "k", username: "me@example.com", projects: [1] });
    await ui.start();
    try {
      const uiTracker = () =>
        new HamiltonTracker({
          projectId: 1,
          username: "me@example.com",
          dagName: "d",
          sink: new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: "k", username: "me@example.com" }),
          retryInitialDelayMs: 5,
          retryMaxDelayMs: 20,
        });
      // The worker starts first and registers the DAG template; the coordinator's client reuses it.
      const workerTracker = uiTracker();
      const worker = new Builder().withModules(dataflow).withAdapters(workerTracker).build();
      await workerTracker.flush();
      const executor: TaskExecutor = {
        async runTask(task, signal) {
          const copy = deserialize(serialize(task)) as FanOutTask;
          return worker.runTask(copy, { signal, worker: "w:1", attempt: 1 });
        },
      };
      const coordinatorTracker = uiTracker();
      const dr = new Builder()
        .withModules(dataflow)
        .withAdapters(coordinatorTracker)
        .withTaskExecutor(executor)
        .build();
      expect(await dr.execute(["total"], { inputs: { urls: ["a", "bb"] } })).toEqual({ total: 6 });
      // The worker's records may come first: its client sends them again until the run exists.
      const [w, c] = await Promise.all([workerTracker.shutdown(), coordinatorTracker.shutdown()]);
      expect([w.complete, c.complete]).toEqual([true, true]);
      expect(ui.templates.size).toBe(1);
      expect(ui.runs.size).toBe(1);
      const [run] = [...ui.runs.values()];
      expect(run!.status).toBe("SUCCESS");
      const names = [...run!.nodes.keys()];
      expect(names).toEqual(expect.arrayContaining(["total", "url"]));
      expect(names.filter((n) => n.includes("page"))).toHaveLength(2);
      expect(names.filter((n) => n.includes("words"))).toHaveLength(2);
    } finally {
      await ui.stop();
    }
  });
});
