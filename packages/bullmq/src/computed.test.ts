import { Builder } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as computed from "../test/computed.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

const counts = () => (globalThis as { bullmqTestCounts?: { draws: number; clients: number } }).bullmqTestCounts!;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("a plain-data node reading nothing is shipped (same value for every item); a class-instance client is built on the worker", async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const config = { prefix: "p" };
  const worker = await startWorker({ connection, queueName: "computed", modules: [computed], config });
  const executor = new BullMQExecutor({ connection, queueName: "computed" });
  try {
    const dr = new Builder().withModules(computed).withConfig(config).withTaskExecutor(executor).build();
    const { all, batchId } = await dr.execute(["all", "batchId"], { inputs: { xs: [1, 2, 3] } });
    expect(all).toEqual([1, 2, 3].map((x) => `p:${x}@${batchId}`));
    // Drawn once, on the coordinator (the worker shares this process's module here).
    expect(counts().draws).toBe(1);
    // The client cannot cross: built on the coordinator for its own graph and by the worker per task.
    expect(counts().clients).toBe(1 + 3);
  } finally {
    await executor.close();
    await worker.close();
  }
});
