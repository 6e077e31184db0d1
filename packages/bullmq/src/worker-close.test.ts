// A worker process asked to stop (SIGTERM) exits even when Redis is gone: close() gives up
// waiting after closeTimeoutMs and force-closes.
import { expect, it } from "vitest";
import { startRedis } from "@hamilton-ts/testing";
import { startWorkerProcess } from "../test/workers.js";

it("a worker process exits on SIGTERM when Redis is gone", { timeout: 90_000 }, async () => {
  const redis = await startRedis();
  const worker = await startWorkerProcess({ REDIS_PORT: String(redis.port), QUEUE: "gone", CLOSE_MS: "500" });
  try {
    await redis.kill();
    // Resolves once the process has exited: its close() settled and it called process.exit.
    const exit = await worker.stop();
    expect(exit, `the worker printed:\n${worker.output()}`).toEqual({ code: 0, signal: null });
  } finally {
    await worker.kill();
    await redis.stop();
  }
});
