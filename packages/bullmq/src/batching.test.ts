import { Builder } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RedisServer, startRedis } from "../test/redis.js";
import * as twoFanOuts from "../test/two-fanouts.js";
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
