// Fan-out items on workers use the cache like items in the coordinator's process: per item, under
// the same keys, in one store the coordinator and the workers share (RedisCacheStore).
import { RedisCacheStore } from "@hamilton-ts/cache-redis";
import { Builder } from "@hamilton-ts/core";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as dataflow from "../test/cached-dataflow.js";
import type { Worked } from "../test/cached-dataflow.js";
import { startWorkerProcess, type WorkerProcess } from "../test/workers.js";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await redis?.stop();
});

const connection = () => ({ host: "127.0.0.1", port: redis.port });

function store(prefix: string, port = redis.port): RedisCacheStore {
  const s = new RedisCacheStore({
    connection: { host: "127.0.0.1", port },
    prefix,
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 10_000,
  });
  closers.push(() => s.close());
  return s;
}

async function workerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ REDIS_PORT: String(redis.port), ...env }, "/test/cached-worker.ts");
  closers.push(() => w.kill());
  return w;
}

/** A coordinator: with `queueName`, its items go to the workers; without, they run here. */
function coordinator(
  prefix: string,
  queueName?: string,
  factor = 2,
  executorOptions: { answers?: boolean; taskTimeoutMs?: number } = {},
) {
  const warnings: string[] = [];
  const cacheStore = store(prefix);
  let builder = new Builder()
    .withModules(dataflow)
    .withConfig({ factor })
    .withCache({ store: cacheStore, onWarning: (m) => warnings.push(m) });
  if (queueName !== undefined) {
    const e = new BullMQExecutor({
      connection: connection(),
      queueName,
      onWarning: (m) => warnings.push(m),
      ...(executorOptions.answers === true ? { cacheStore } : {}),
      ...(executorOptions.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: executorOptions.taskTimeoutMs }),
    });
    closers.push(() => e.close());
    builder = builder.withTaskExecutor(e);
  }
  const dr = builder.build();
  return {
    warnings,
    run: async (items: number[]): Promise<Worked[]> => (await dr.execute(["results"], { inputs: { items } })).results,
  };
}

const pids = (results: Worked[]) => results.map((r) => r.pid);

describe("fan-out items on BullMQ workers with a shared cache", () => {
  it("a worker process reads what the coordinator stored in process, and stores what it computes under the same keys", {
    timeout: 120_000,
  }, async () => {
    const prefix = "shared-keys";
    const env = { QUEUE: "keys", CACHE_PORT: String(redis.port), CACHE_PREFIX: prefix };
    const local = coordinator(prefix);
    const first = await local.run([1, 2, 3]);
    expect(pids(first)).toEqual([process.pid, process.pid, process.pid]);

    const worker = await workerProcess(env);
    const workerPid = Number(/ready [^:]+:(\d+)/.exec(worker.output())![1]);
    const remote = coordinator(prefix, "keys");
    // Items 1–3 hit (computed here before), item 4 is computed on the worker and stored.
    const second = await remote.run([1, 2, 3, 4]);
    expect(second.map((r) => r.value)).toEqual([2, 4, 6, 8]);
    expect(pids(second)).toEqual([process.pid, process.pid, process.pid, workerPid]);

    // The worker's entry is the one an in-process run looks for: all four hit here.
    expect(pids(await local.run([1, 2, 3, 4]))).toEqual(pids(second));

    // A new worker process: everything hits; it computes nothing.
    await worker.kill();
    await workerProcess(env);
    const third = await remote.run([4, 3, 2, 1]);
    expect(pids(third)).toEqual([workerPid, process.pid, process.pid, process.pid]);
    expect(remote.warnings).toEqual([]);
  });

  it("the worker's cache Redis is down: its items compute and the run succeeds", { timeout: 120_000 }, async () => {
    const cacheRedis = await startRedis();
    const env = { QUEUE: "down", CACHE_PORT: String(cacheRedis.port), CACHE_PREFIX: "down" };
    const worker = await workerProcess(env);
    const workerPid = Number(/ready [^:]+:(\d+)/.exec(worker.output())![1]);
    await cacheRedis.kill();
    const remote = coordinator("down", "down");
    const results = await remote.run([1, 2, 3]);
    expect(results.map((r) => r.value)).toEqual([2, 4, 6]);
    expect(pids(results)).toEqual([workerPid, workerPid, workerPid]);
  });

  it("a worker whose config differs from the coordinator's runs its items uncached, saying why", async () => {
    const prefix = "config";
    const warnings: string[] = [];
    const workerStore = store(prefix);
    const w = await startWorker({
      connection: connection(),
      queueName: "config",
      modules: [dataflow],
      config: { factor: 3 },
      cache: { store: workerStore, onWarning: (m) => warnings.push(m) },
    });
    closers.push(() => w.close());
    const remote = coordinator(prefix, "config", 2);
    // The coordinator's config wins inside the task: factor 2.
    expect((await remote.run([1, 2])).map((r) => r.value)).toEqual([2, 4]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/run uncached on this worker when the coordinator's config differs/);
    // Its keys would be made with another config than the one its nodes saw: nothing is stored.
    const nodes: string[] = [];
    for await (const e of workerStore.entries()) if (e.node !== undefined) nodes.push(e.node);
    expect(nodes).not.toContain("work");
    expect(nodes).toContain("results");
  });

  it("with the store, the executor answers a task whose items all hit without sending it to a worker", async () => {
    const prefix = "answers";
    const w = await startWorker({
      connection: connection(),
      queueName: "answers",
      modules: [dataflow],
      config: { factor: 2 },
      cache: { store: store(prefix) },
    });
    closers.push(() => w.close());
    const first = await coordinator(prefix, "answers", 2, { answers: true }).run([1, 2, 3]);
    expect(first.map((r) => r.value)).toEqual([2, 4, 6]);
    await w.close();
    // No worker is left: a task sent would fail the run with NO_WORKER.
    const answered = coordinator(prefix, "answers", 2, { answers: true, taskTimeoutMs: 200 });
    expect(await answered.run([3, 1, 2])).toEqual([first[2], first[0], first[1]]);
    expect(answered.warnings).toEqual([]);
    // A new item is not answered: it goes to the queue, where no worker takes it.
    const error = await answered.run([1, 4]).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "NO_WORKER" });
    // Without the store, the executor sends every task.
    const unanswered = await coordinator(prefix, "answers", 2, { taskTimeoutMs: 200 })
      .run([1])
      .catch((e: unknown) => e);
    expect(unanswered).toMatchObject({ reason: "NO_WORKER" });
    // Another config is another answer.
    const otherConfig = await coordinator(prefix, "answers", 5, { answers: true, taskTimeoutMs: 200 })
      .run([1])
      .catch((e: unknown) => e);
    expect(otherConfig).toMatchObject({ reason: "NO_WORKER" });
  });

  it("a task with a node the cache recomputes is never answered whole", async () => {
    const prefix = "recomputed";
    const w = await startWorker({
      connection: connection(),
      queueName: "recomputed",
      modules: [dataflow],
      config: { factor: 2 },
      cache: { store: store(prefix), nodes: { work: "recompute" } },
    });
    closers.push(() => w.close());
    await coordinator(prefix, "recomputed", 2, { answers: true }).run([1, 2]);
    await w.close();
    const error = await coordinator(prefix, "recomputed", 2, { answers: true, taskTimeoutMs: 200 })
      .run([1, 2])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "NO_WORKER" });
  });

  it("refuses cache options the engine refuses, as INVALID_OPTION", async () => {
    const error = await startWorker({
      connection: connection(),
      queueName: "bad-cache",
      modules: [dataflow],
      cache: { behavior: "sometimes" as never },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("INVALID_OPTION");
    expect((error as Error).message).toMatch(/startWorker\(options\): cache: .*behavior/);
  });
});
