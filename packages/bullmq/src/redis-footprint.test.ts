// What a run leaves in Redis: the items of a fan-out share one copy of their outer values, and
// after the run and close() Redis holds what it held before (BullMQ's own queue keys aside).
import { Builder } from "@hamilton-ts/core";
import { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import * as sharedValue from "../test/shared-value.js";
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

const usedMemory = async (admin: Redis): Promise<number> =>
  Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);

/** The keys of Redis, sorted. */
const keys = async (admin: Redis): Promise<string[]> => (await admin.keys("*")).sort();

/**
 * BullMQ's own keys of a queue that outlive its jobs: its meta hash, its (capped) events stream, its job-id counter,
 * the stalled-check marker (with a TTL of its own) and the wake-up marker a worker leaves when a job is added while it
 * waits (it depends on timing whether one is left).
 */
const bullmqQueueKey = (queue: string) => new RegExp(`^bull:${queue}:(meta|events|id|stalled-check|marker)$`);

it("300 items reading one 1 MB value store it once, and Redis holds what it held before after the run and close()", {
  timeout: 120_000,
}, async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const admin = new Redis(connection);
  const n = 300;
  const size = 1_000_000;
  const executor = new BullMQExecutor({ connection, queueName: "footprint" });
  const dr = new Builder().withModules(sharedValue).withTaskExecutor(executor).build();
  const queue = versionedQueue("footprint", dr.graph.version);
  const events = new QueueEvents(queue, { connection });
  try {
    await admin.set("someone-else's", "value");
    await events.waitUntilReady();
    const before = await keys(admin);
    const memoryBefore = await usedMemory(admin);
    let waiting = 0;
    const allQueued = new Promise<void>((resolve) =>
      events.on("waiting", () => {
        if (++waiting === n) resolve();
      }),
    );
    const xs = Array.from({ length: n }, (_, i) => i);
    // No worker yet: every job waits in Redis.
    const run = dr.execute(["all"], { inputs: { xs, size } });
    await allQueued;
    // One copy of the 1 MB value (base64: 1.4 MB) and 300 small jobs — not 300 copies (400 MB).
    const growth = (await usedMemory(admin)) - memoryBefore;
    expect(growth).toBeLessThan(20 * size);
    const worker = await startWorker({ connection, queueName: "footprint", modules: [sharedValue], concurrency: 50 });
    try {
      const { all } = await run;
      expect(all).toEqual(xs.map((x) => x + size));
    } finally {
      await worker.close();
    }
    await executor.close();
    const after = (await keys(admin)).filter((key) => !bullmqQueueKey(queue).test(key));
    expect(after).toEqual(before);
    expect((await usedMemory(admin)) - memoryBefore).toBeLessThan(5 * size);
  } finally {
    await events.close();
    await executor.close();
    admin.disconnect();
  }
});
