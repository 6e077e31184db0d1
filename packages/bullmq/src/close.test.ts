import { Builder } from "@hamilton-ts/core";
import { Queue, QueueEvents } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import { versionedQueue } from "./protocol.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("close() removes the executor's jobs no worker has taken from Redis", async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const executor = new BullMQExecutor({ connection, queueName: "closing", taskTimeoutMs: 60_000 });
  const dr = new Builder()
    .withModules(dataflow)
    .withConfig({ greeting: "hi", factor: 1 })
    .withTaskExecutor(executor)
    .build();
  const name = versionedQueue("closing", dr.graph.version);
  const events = new QueueEvents(name, { connection });
  const queue = new Queue(name, { connection });
  try {
    await events.waitUntilReady();
    const n = 5;
    let waiting = 0;
    const allQueued = new Promise<void>((resolve) =>
      events.on("waiting", () => {
        if (++waiting === n) resolve();
      }),
    );
    // No worker: the tasks wait in Redis.
    const run = dr
      .execute(["processedAll"], { inputs: { items: Array.from({ length: n }, (_, id) => ({ id })) } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await allQueued;
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: n });
    await executor.close();
    const error = await run;
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("CLOSED");
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 0 });
  } finally {
    await events.close();
    await queue.close();
    await executor.close();
  }
});
