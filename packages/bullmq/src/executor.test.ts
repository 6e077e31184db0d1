import { watch } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, HamiltonError, NodeExecutionError } from "@hamilton-ts/core";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import "../test/marks.js";
import type { Item } from "../test/dataflow.js";
import { freePort, type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import { type HamiltonWorker, startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const connection = () => ({ host: "127.0.0.1", port: redis.port });
let queues = 0;
/** A queue of its own per test: no test sees another's tasks or workers. */
const queueName = () => `q${++queues}-${process.pid}`;

const config = { greeting: "hello", factor: 3 };
const items = (n: number, mode?: Item["mode"]): Item[] =>
  Array.from({ length: n }, (_, id) => (mode === undefined ? { id } : { id, mode }));

async function withSetup<T>(
  options: {
    itemsPerJob?: number;
    taskTimeoutMs?: number;
    workers?: number;
    workerModules?: object[];
    concurrency?: number;
  },
  body: (dr: ReturnType<typeof build>, executor: BullMQExecutor, workers: HamiltonWorker[]) => Promise<T>,
): Promise<T> {
  const queue = queueName();
  const workers: HamiltonWorker[] = [];
  const executor = new BullMQExecutor({
    connection: connection(),
    queueName: queue,
    ...(options.itemsPerJob === undefined ? {} : { itemsPerJob: options.itemsPerJob }),
    ...(options.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: options.taskTimeoutMs }),
  });
  try {
    for (let i = 0; i < (options.workers ?? 1); i++) {
      workers.push(
        await startWorker({
          connection: connection(),
          queueName: queue,
          modules: options.workerModules ?? [dataflow],
          config: { greeting: "the worker's own greeting", factor: 1 },
          concurrency: options.concurrency ?? 20,
        }),
      );
    }
    return await body(build(executor), executor, workers);
  } finally {
    await executor.close();
    await Promise.all(workers.map((w) => w.close()));
  }
}

const build = (executor: BullMQExecutor) =>
  new Builder().withModules(dataflow).withConfig(config).withTaskExecutor(executor).build();

/** Resolves once a file whose name passes `test` is in `folder` (watched, not polled). */
function fileAppears(folder: string, test: (name: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = watch(folder);
    const check = () =>
      readdir(folder).then((names) => {
        const found = names.find(test);
        if (found !== undefined) {
          watcher.close();
          resolve(found);
        }
      }, reject);
    watcher.on("change", () => void check());
    void check();
  });
}

const withoutPid = (values: { pid: number }[]) => values.map(({ pid: _pid, ...rest }) => rest);

describe("BullMQExecutor with a worker", () => {
  it("returns what the in-process run returns, in item order: Date, Map, Set, typed arrays and BigInt survive", async () => {
    const local = new Builder().withModules(dataflow).withConfig(config).build();
    const input = { items: items(12) };
    const expected = (await local.execute(["processedAll"], { inputs: input })).processedAll;
    for (const itemsPerJob of [1, 5]) {
      await withSetup({ itemsPerJob, workers: 2 }, async (dr, _executor, workers) => {
        const { processedAll } = await dr.execute(["processedAll"], { inputs: input });
        expect(withoutPid(processedAll)).toEqual(withoutPid(expected));
        expect(processedAll[3]!.when).toBeInstanceOf(Date);
        expect(processedAll[3]!.tags.get("k3")).toEqual(new Set([3]));
        expect(processedAll[3]!.bytes).toBeInstanceOf(Float64Array);
        // The coordinator's config travelled and won: its greeting and factor, not the worker's.
        expect(processedAll[3]!.text).toBe("hello 3");
        expect(processedAll[3]!.scaled).toBe(9n);
        expect(workers[0]!.queue.endsWith(`-${dr.graph.version.slice(0, 16)}`)).toBe(true);
      });
    }
  });

  it("fails the run with NODE_FAILED naming the node and task, with the worker's message, type and stack", async () => {
    await withSetup({}, async (dr) => {
      const input = { items: [...items(3), { id: 3, mode: "throw" as const }] };
      const error = await dr.execute(["processedAll"], { inputs: input }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NodeExecutionError);
      const failure = error as NodeExecutionError;
      expect(failure.code).toBe("NODE_FAILED");
      expect(failure.nodeName).toBe("processed");
      expect(failure.taskId).toBe("item[3]");
      expect(failure.message).toContain("item 3 is out of range");
      const cause = failure.cause as Error;
      expect(cause.name).toBe("RangeError");
      expect(cause.stack).toContain("dataflow.ts");
    });
  });

  it("refuses a value that cannot cross, naming the node and what to do", async () => {
    await withSetup({}, async (dr) => {
      const back = await dr.execute(["processedAll"], { inputs: { items: [{ id: 0, mode: "class" as const }] } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(HamiltonError.isInstance(back)).toBe(true);
      expect((back as Error).message).toMatch(
        /node "processed" \(task item\[0\]\) cannot be sent back to the coordinator/,
      );
      expect((back as Error).message).toContain("an instance of Thing");
      const out = await dr
        .execute(["processedAll"], { inputs: { items: [{ id: 0, fn: () => 1 } as unknown as Item] } })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(out).toBeInstanceOf(BullMQError);
      expect((out as BullMQError).reason).toBe("UNSERIALIZABLE");
      expect((out as Error).message).toContain(`node "item" (item of task item[0]) cannot be sent to a worker`);
      expect((out as Error).message).toContain("a function at .fn");
    });
  });

  it("only a worker with the same graph version takes a task; none in time fails the run with NO_WORKER", async () => {
    const other = [dataflow, { extra: () => 1 }];
    await withSetup({ workerModules: other, taskTimeoutMs: 300 }, async (dr, _executor, workers) => {
      expect(workers[0]!.graphVersion).not.toBe(dr.graph.version);
      const error = await dr.execute(["processedAll"], { inputs: { items: items(2) } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BullMQError);
      expect((error as BullMQError).reason).toBe("NO_WORKER");
      expect((error as Error).message).toContain("within 300 ms (taskTimeoutMs)");
      expect((error as Error).message).toContain(dr.graph.version);
    });
  });

  it("a task queued behind busy workers waits past taskTimeoutMs and runs", async () => {
    await withSetup({ concurrency: 1, taskTimeoutMs: 200 }, async (dr) => {
      const input = { items: [{ id: 0, mode: "slow" as const, ms: 700 }, { id: 1 }, { id: 2 }] };
      const { processedAll } = await dr.execute(["processedAll"], { inputs: input });
      expect(processedAll.map((p) => p.id)).toEqual([0, 1, 2]);
    });
  });

  it("fails within the connect timeout when Redis is unreachable", async () => {
    const port = await freePort();
    const executor = new BullMQExecutor({
      connection: { host: "127.0.0.1", port },
      queueName: "nowhere",
      connectTimeoutMs: 500,
    });
    const dr = build(executor);
    const t0 = performance.now();
    const error = await dr.execute(["processedAll"], { inputs: { items: items(1) } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Bounded by connectTimeoutMs (0.5 s), far below the run's other waits; generous for a busy machine.
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("CONNECTION");
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    await executor.close();
    await expect(
      startWorker({
        connection: { host: "127.0.0.1", port },
        queueName: "nowhere",
        modules: [dataflow],
        connectTimeoutMs: 500,
      }),
    ).rejects.toThrow(/could not be reached/);
  });

  it("on abort: no new task starts, queued tasks are removed, running ones see the signal", async () => {
    const markers = await mkdtemp(join(tmpdir(), "bullmq-abort-"));
    process.env.BULLMQ_TEST_MARKERS = markers;
    try {
      await withSetup({ concurrency: 1 }, async (dr, _executor, workers) => {
        const controller = new AbortController();
        const input = { items: [0, 1, 2, 3].map((id) => ({ id, mode: "wait" as const })) };
        const running = dr.execute(["processedAll"], { inputs: input, signal: controller.signal }).then(
          () => undefined,
          (e: unknown) => e,
        );
        await fileAppears(markers, (name) => name.startsWith("started-0-"));
        controller.abort(new Error("enough"));
        const error = await running;
        expect(HamiltonError.isInstance(error) && error.code).toBe("ABORTED");
        await fileAppears(markers, (name) => name.startsWith("aborted-0-"));
        const queue = new Queue(workers[0]!.queue, { connection: connection() });
        try {
          // The queued tasks were removed (the worker, busy with item 0, took none of them).
          expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 0 });
        } finally {
          await queue.close();
        }
        expect((await readdir(markers)).filter((n) => n.startsWith("started-")).map((n) => n.split("-")[1])).toEqual([
          "0",
        ]);
      });
    } finally {
      delete process.env.BULLMQ_TEST_MARKERS;
      await rm(markers, { recursive: true, force: true });
    }
  });

  it("a closed worker finishes the task it holds before its close() resolves", async () => {
    const markers = await mkdtemp(join(tmpdir(), "bullmq-close-"));
    process.env.BULLMQ_TEST_MARKERS = markers;
    try {
      // No other worker: a task given back instead of finished would fail the run with NO_WORKER.
      await withSetup({ taskTimeoutMs: 2_000 }, async (dr, _executor, workers) => {
        const running = dr.execute(["processedAll"], {
          inputs: { items: [{ id: 7, mode: "slow" as const, ms: 300 }] },
        });
        await fileAppears(markers, (name) => name.startsWith("started-7-"));
        await workers[0]!.close();
        const { processedAll } = await running;
        expect(processedAll.map((p) => p.id)).toEqual([7]);
      });
    } finally {
      delete process.env.BULLMQ_TEST_MARKERS;
      await rm(markers, { recursive: true, force: true });
    }
  });

  it("checks its options", () => {
    expect(() => new BullMQExecutor({ connection: connection(), queueName: "a:b" })).toThrow(/without ":"/);
    expect(() => new BullMQExecutor({ connection: connection(), queueName: "a", itemsPerJob: 0 })).toThrow(
      /itemsPerJob must be a whole number ≥ 1/,
    );
  });
});
