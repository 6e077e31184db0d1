// A result larger than Redis's pub/sub output buffer limit (32 MB by default) arrives at once:
// outcomes travel under a key, pub/sub carries a small signal only.
import { Builder } from "@hamilton-ts/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as largeResult from "../test/large-result.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("a 48 MB result arrives without the reply subscriber being dropped", { timeout: 120_000 }, async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const admin = new Redis(connection);
  const size = 48 * 1024 * 1024;
  // A pick-up timeout far beyond the test's: a result that came only through it would time out.
  const executor = new BullMQExecutor({ connection, queueName: "large", taskTimeoutMs: 3_600_000 });
  const worker = await startWorker({ connection, queueName: "large", modules: [largeResult] });
  try {
    const dr = new Builder().withModules(largeResult).withTaskExecutor(executor).build();
    // A small run first: the executor's connections are open before the count starts.
    expect(await dr.execute(["all"], { inputs: { xs: [1], size: 2 } })).toEqual({ all: ["11"] });
    const before = Number(/total_connections_received:(\d+)/.exec(await admin.info("stats"))?.[1]);
    const { all } = await dr.execute(["all"], { inputs: { xs: [7], size } });
    expect(all).toHaveLength(1);
    expect(all[0]!.length).toBe(size);
    expect(all[0]!.startsWith("777")).toBe(true);
    // No client was dropped and reconnected on the way.
    const after = Number(/total_connections_received:(\d+)/.exec(await admin.info("stats"))?.[1]);
    expect(after).toBe(before);
  } finally {
    await executor.close();
    await worker.close();
    admin.disconnect();
  }
});
