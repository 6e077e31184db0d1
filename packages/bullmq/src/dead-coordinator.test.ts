// Workers do not run a dead coordinator's tasks for nobody: its run's heartbeat key expires
// runTtlMs after it died, and a worker drops a task whose run has no heartbeat.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import "../test/marks.js";
import { Builder } from "@hamilton-ts/core";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { startWorkerProcess } from "../test/workers.js";
import { BullMQExecutor } from "./executor.js";
import { versionedQueue } from "./protocol.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("a killed coordinator's queued tasks are dropped by workers once its run heartbeat expires", {
  timeout: 120_000,
}, async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const queueName = "dead";
  const n = 3;
  const version = new Builder().withModules(dataflow).withConfig({ greeting: "hi", factor: 2 }).build().graph.version;
  const admin = new Redis(connection);
  const watcher = new Redis(connection);
  const events = new QueueEvents(versionedQueue(queueName, version), { connection });
  const markers = await mkdtemp(join(tmpdir(), "bullmq-dead-"));
  process.env.BULLMQ_TEST_MARKERS = markers;
  try {
    await events.waitUntilReady();
    // The heartbeat's expiry, as Redis reports it (a keyspace event, not a timer).
    await admin.config("SET", "notify-keyspace-events", "Kx");
    const expired = new Promise<void>((resolve) => watcher.on("pmessage", () => resolve()));
    await watcher.psubscribe(`__keyspace@0__:hamilton-ts:${queueName}:run:*`);
    let waiting = 0;
    const queued = new Promise<void>((resolve) =>
      events.on("waiting", () => {
        if (++waiting === n) resolve();
      }),
    );
    const items = Array.from({ length: n }, (_, id) => ({ id, mode: "slow", ms: 1 }));
    const coordinator = await startWorkerProcess(
      { REDIS_PORT: String(redis.port), QUEUE: queueName, RUN_TTL_MS: "1000", ITEMS: JSON.stringify(items) },
      "/test/coordinator.ts",
    );
    await queued;
    await coordinator.kill();
    await expired;
    let completed = 0;
    const drained = new Promise<void>((resolve) =>
      events.on("completed", () => {
        if (++completed === n) resolve();
      }),
    );
    const worker = await startWorker({ connection, queueName, modules: [dataflow] });
    try {
      await drained;
    } finally {
      await worker.close();
    }
    // The worker took the three jobs and ran none of their items.
    expect((await readdir(markers)).filter((name) => name.startsWith("started-"))).toEqual([]);
  } finally {
    delete process.env.BULLMQ_TEST_MARKERS;
    await admin.config("SET", "notify-keyspace-events", "");
    await events.close();
    watcher.disconnect();
    admin.disconnect();
    await rm(markers, { recursive: true, force: true });
  }
});

it("a live run lasting several runTtlMs keeps its keys: a job that starts late still runs", {
  timeout: 60_000,
}, async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  // One task at a time: the second job starts after the first's 5 s, over three runTtlMs. The
  // heartbeat (every 500 ms) may come a second late on a busy machine and the keys still live.
  const worker = await startWorker({ connection, queueName: "alive", modules: [dataflow], concurrency: 1 });
  const executor = new BullMQExecutor({ connection, queueName: "alive", runTtlMs: 1_500 });
  try {
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ greeting: "hi", factor: 2 })
      .withTaskExecutor(executor)
      .build();
    const items = [{ id: 0, mode: "slow" as const, ms: 5_000 }, { id: 1 }];
    const { processedAll } = await dr.execute(["processedAll"], { inputs: { items } });
    expect(processedAll.map((p) => p.text)).toEqual(["hi 0", "hi 1"]);
  } finally {
    await executor.close();
    await worker.close();
  }
});
