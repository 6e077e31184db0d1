import { Builder } from "@hamilton-ts/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
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

/** How often Redis has run CLIENT LIST (how BullMQ counts a queue's workers). */
async function clientListCalls(admin: Redis): Promise<number> {
  const stats = await admin.info("commandstats");
  return Number(/cmdstat_client\|list:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

it("the pick-up check counts a queue's workers once per check, not once per queued job", async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const admin = new Redis(connection);
  const n = 50;
  // One worker taking one task at a time, busy with a slow first item: the other 49 jobs wait in
  // the queue across several pick-up checks (taskTimeoutMs 1 s). A check a second, not one every
  // 200 ms: a busy machine's slower run makes a few more checks, never 25.
  const worker = await startWorker({ connection, queueName: "pickup", modules: [dataflow], concurrency: 1 });
  const executor = new BullMQExecutor({ connection, queueName: "pickup", taskTimeoutMs: 1_000 });
  try {
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ greeting: "hi", factor: 1 })
      .withTaskExecutor(executor)
      .build();
    const before = await clientListCalls(admin);
    const items = [
      { id: 0, mode: "slow" as const, ms: 2_500 },
      ...Array.from({ length: n - 1 }, (_, i) => ({ id: i + 1 })),
    ];
    const { processedAll } = await dr.execute(["processedAll"], { inputs: { items } });
    expect(processedAll).toHaveLength(n);
    const calls = (await clientListCalls(admin)) - before;
    // At least one check ran while the jobs waited; one count per check (a handful), where a count
    // per waiting job makes 49 at the first check alone.
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(n / 2);
  } finally {
    await executor.close();
    await worker.close();
    admin.disconnect();
  }
});
