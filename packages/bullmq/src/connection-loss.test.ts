import { Builder } from "@hamilton-ts/core";
import { expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import { startRedis } from "@hamilton-ts/testing";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

const config = { greeting: "hello", factor: 3 };

it("when Redis dies after the executor connected, the run in flight and the next run fail with CONNECTION", async () => {
  const redis = await startRedis();
  const connection = { host: "127.0.0.1", port: redis.port };
  const queueName = "lost";
  const executor = new BullMQExecutor({ connection, queueName, connectTimeoutMs: 3_000, taskTimeoutMs: 60_000 });
  try {
    const dr = new Builder().withModules(dataflow).withConfig(config).withTaskExecutor(executor).build();
    const worker = await startWorker({ connection, queueName, modules: [dataflow], concurrency: 2 });
    try {
      const { processedAll } = await dr.execute(["processedAll"], { inputs: { items: [{ id: 1 }] } });
      expect(processedAll.map((p) => p.id)).toEqual([1]);
    } finally {
      await worker.close();
    }
    // No worker now: the task waits in Redis (taskTimeoutMs is a minute) when Redis dies.
    const t0 = performance.now();
    const inFlight = dr.execute(["processedAll"], { inputs: { items: [{ id: 2 }] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await redis.kill();
    const first = await inFlight;
    const next = await dr.execute(["processedAll"], { inputs: { items: [{ id: 3 }] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Bounded by connectTimeoutMs (3 s) twice, far below taskTimeoutMs; generous for a busy machine.
    expect(performance.now() - t0).toBeLessThan(20_000);
    for (const error of [first, next]) {
      expect(error).toBeInstanceOf(BullMQError);
      expect((error as BullMQError).reason).toBe("CONNECTION");
      expect((error as Error).message).toContain(`127.0.0.1:${redis.port}`);
      expect((error as Error).message).toMatch(/Check that Redis is running|Start it/);
    }
  } finally {
    await executor.close();
    await redis.stop();
  }
}, 30_000);

it("when Redis dies between runs, the next run fails with CONNECTION instead of waiting", async () => {
  const redis = await startRedis();
  const connection = { host: "127.0.0.1", port: redis.port };
  const executor = new BullMQExecutor({ connection, queueName: "gone", connectTimeoutMs: 3_000 });
  try {
    const dr = new Builder().withModules(dataflow).withConfig(config).withTaskExecutor(executor).build();
    const worker = await startWorker({ connection, queueName: "gone", modules: [dataflow] });
    try {
      await dr.execute(["processedAll"], { inputs: { items: [{ id: 1 }] } });
    } finally {
      await worker.close();
    }
    await redis.kill();
    const error = await dr.execute(["processedAll"], { inputs: { items: [{ id: 2 }] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("CONNECTION");
    expect((error as Error).message).toContain(`127.0.0.1:${redis.port}`);
  } finally {
    await executor.close();
    await redis.stop();
  }
}, 30_000);
