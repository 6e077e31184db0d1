// A chunk of synchronous items that runs several times longer than the job's lock keeps its lock:
// the worker pauses for the event loop between items, so BullMQ renews the lock, and the chunk
// runs once.
import { Builder } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as blocking from "../test/blocking.js";
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

const runs = () => ((globalThis as { bullmqTestRuns?: Map<number, number> }).bullmqTestRuns ??= new Map());

it("a chunk running 3x its lock duration keeps its lock and runs once", { timeout: 120_000 }, async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const warnings: string[] = [];
  // 60 items of 150 ms: one job blocking for 9 s, three lock durations. The lock is long enough
  // that a renewal delayed by a busy machine (CI runs every package's tests at once) still lands
  // before it lapses: the renewal is due every 1.5 s and has another 1.5 s to arrive.
  const lockDurationMs = 3_000;
  const n = 60;
  const worker = await startWorker({
    connection,
    queueName: "long-chunk",
    modules: [blocking],
    lockDurationMs,
    stalledIntervalMs: 1_500,
    onWarning: (message) => warnings.push(message),
  });
  const executor = new BullMQExecutor({ connection, queueName: "long-chunk", itemsPerJob: n });
  try {
    const dr = new Builder().withModules(blocking).withTaskExecutor(executor).build();
    const xs = Array.from({ length: n }, (_, i) => i);
    runs().clear();
    const { all } = await dr.execute(["all"], { inputs: { xs, ms: 150 } });
    expect(all).toEqual(xs);
  } finally {
    await executor.close();
    // Resolves once the job is finished in BullMQ (moved to completed, or refused for a lost lock).
    await worker.close();
  }
  expect(warnings).toEqual([]);
  expect([...runs().values()].every((count) => count === 1)).toBe(true);
});
