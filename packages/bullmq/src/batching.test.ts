import { Builder, type FanOutTask } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import * as twoFanOuts from "../test/two-fanouts.js";
import { sameBlock } from "./batching.js";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("two fan-outs of one run that start together each run their own block", async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const inputs = { xs: [1, 2, 3], ys: ["p", "q"] };
  const expected = await new Builder().withModules(twoFanOuts).build().execute(["aAll", "bAll"], { inputs });
  expect(expected).toEqual({ aAll: [2, 4, 6], bAll: ["neg:p", "neg:q"] });
  for (const itemsPerJob of [1, 10]) {
    const queueName = `two-${itemsPerJob}`;
    const worker = await startWorker({ connection, queueName, modules: [twoFanOuts] });
    const executor = new BullMQExecutor({ connection, queueName, itemsPerJob });
    try {
      const dr = new Builder().withModules(twoFanOuts).withTaskExecutor(executor).build();
      expect(await dr.execute(["aAll", "bAll"], { inputs })).toEqual(expected);
    } finally {
      await executor.close();
      await worker.close();
    }
  }
});

it("tasks of one block are told apart by value, not by object identity", () => {
  const task: FanOutTask = {
    runId: "r",
    taskId: "x[0]",
    index: 0,
    graphVersion: "v",
    parallelizeName: "x",
    item: 1,
    nodes: ["doubled"],
    outputs: ["doubled"],
    outer: { when: new Date(0), tags: new Map([["a", new Set([1])]]) },
    computedByWorker: [],
    config: { factor: 2 },
    runContexts: {},
  };
  // Equal copies (a task executor caller that builds each task afresh): one block.
  const copy: FanOutTask = { ...structuredClone(task), taskId: "x[1]", index: 1, item: 2 };
  expect(sameBlock(task, copy)).toBe(true);
  // Another value of an outer node, config value or list: another block.
  expect(sameBlock(task, { ...copy, outer: { ...copy.outer, when: new Date(1) } })).toBe(false);
  expect(sameBlock(task, { ...copy, config: { factor: 3 } })).toBe(false);
  expect(sameBlock(task, { ...copy, nodes: ["other"] })).toBe(false);
});
