// The graph version sees node sources only: a module constant can differ between coordinator and
// worker with the same version. `version` (on both sides) is what the user adds for it.
import { Builder } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rated } from "../test/rate.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const connection = () => ({ host: "127.0.0.1", port: redis.port });

async function runWith(
  queueName: string,
  coordinator: { rate: number; version?: string },
  worker: { rate: number; version?: string },
  taskTimeoutMs = 60_000,
): Promise<unknown> {
  const w = await startWorker({
    connection: connection(),
    queueName,
    modules: [rated(worker.rate)],
    ...(worker.version === undefined ? {} : { version: worker.version }),
  });
  const executor = new BullMQExecutor({
    connection: connection(),
    queueName,
    taskTimeoutMs,
    ...(coordinator.version === undefined ? {} : { version: coordinator.version }),
  });
  try {
    const dr = new Builder().withModules(rated(coordinator.rate)).withTaskExecutor(executor).build();
    expect(w.graphVersion).toBe(dr.graph.version);
    return await dr.execute(["all"], { inputs: { xs: [1, 2, 3] } }).then(
      (out) => out.all,
      (e: unknown) => e,
    );
  } finally {
    await executor.close();
    await w.close();
  }
}

it("without version, a worker with another module constant has the same graph version and computes other results", async () => {
  // What version is for: RATE 2 on the coordinator, 3 on the worker, and nothing tells them apart.
  expect(await runWith("unversioned", { rate: 2 }, { rate: 3 })).toEqual([3, 6, 9]);
});

it("a worker of the same version takes the tasks", async () => {
  expect(await runWith("same", { rate: 2, version: "rate-2" }, { rate: 2, version: "rate-2" })).toEqual([2, 4, 6]);
});

it("a worker of another version never takes the tasks: NO_WORKER names both versions", async () => {
  const error = await runWith("other", { rate: 2, version: "rate-2" }, { rate: 3, version: "rate-3" }, 300);
  expect(error).toBeInstanceOf(BullMQError);
  expect((error as BullMQError).reason).toBe("NO_WORKER");
  const message = (error as Error).message;
  expect(message).toContain(`version "rate-2"`);
  expect(message).toMatch(/Connected workers of queueName "other": graph version \w+, version "rate-3" \(1 worker\)/);
});

it("refuses a version that is not a string", () => {
  expect(
    () => new BullMQExecutor({ connection: connection(), queueName: "q", version: 3 as unknown as string }),
  ).toThrow(/version must be a string/);
});
