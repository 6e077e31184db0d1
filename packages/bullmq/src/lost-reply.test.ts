import { Builder } from "@hamilton-ts/core";
import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as lostReply from "../test/lost-reply.js";
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

const build = (executor: BullMQExecutor) => new Builder().withModules(lostReply).withTaskExecutor(executor).build();

type Hooked = { bullmqTestBeforeReturn?: () => Promise<void> };

/**
 * Drops every pub/sub connection (the executor's reply subscriber among them) and keeps them from
 * coming back: maxclients is lowered to the connections left, so what the worker publishes next
 * reaches no one. Returns the old maxclients.
 */
async function dropSubscribers(admin: Redis): Promise<string> {
  const [, old] = (await admin.config("GET", "maxclients")) as [string, string];
  const all = String(await admin.call("CLIENT", "LIST"))
    .trim()
    .split("\n").length;
  const pubsub = String(await admin.call("CLIENT", "LIST", "TYPE", "pubsub"))
    .trim()
    .split("\n").length;
  await admin.config("SET", "maxclients", String(all - pubsub));
  await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
  return old;
}

async function withLostReply(
  taskTimeoutMs: number,
  body: (dr: ReturnType<typeof build>) => Promise<void>,
): Promise<void> {
  const connection = { host: "127.0.0.1", port: redis.port };
  const admin = new Redis(connection);
  const queueName = `lost-${Math.random().toString(36).slice(2)}`;
  // A long connectTimeoutMs: the reply subscriber stays away on purpose; a short taskTimeoutMs:
  // the pick-up timer looks at the job soon.
  const executor = new BullMQExecutor({ connection, queueName, taskTimeoutMs, connectTimeoutMs: 60_000 });
  const worker = await startWorker({ connection, queueName, modules: [lostReply] });
  let old: string | undefined;
  (globalThis as Hooked).bullmqTestBeforeReturn = async () => {
    old ??= await dropSubscribers(admin);
  };
  try {
    await body(build(executor));
  } finally {
    delete (globalThis as Hooked).bullmqTestBeforeReturn;
    if (old !== undefined) await admin.config("SET", "maxclients", old);
    await executor.close();
    await worker.close();
    admin.disconnect();
  }
}

it("a result whose signal was lost (the subscriber reconnecting) is read from its key in Redis", async () => {
  await withLostReply(300, async (dr) => {
    expect(await dr.execute(["all"], { inputs: { xs: [1, 2] } })).toEqual({ all: [2, 4] });
  });
}, 60_000);

it("a job gone from Redis with no outcome fails the run with CONNECTION instead of waiting", async () => {
  const connection = { host: "127.0.0.1", port: redis.port };
  const queueName = `gone-${Math.random().toString(36).slice(2)}`;
  // A worker that is connected but takes nothing (not started): the job waits in Redis, and the
  // pick-up check (a short taskTimeoutMs) waits on, until the test removes the job; the next
  // check finds neither the job nor an outcome.
  const executor = new BullMQExecutor({ connection, queueName, taskTimeoutMs: 300 });
  const dr = build(executor);
  const queue = new Queue(`${queueName}-${dr.graph.version.slice(0, 16)}`, { connection });
  const idle = new Worker(queue.name, async () => undefined, { connection, autorun: false });
  const events = new QueueEvents(queue.name, { connection });
  try {
    await idle.waitUntilReady();
    await events.waitUntilReady();
    events.on("waiting", ({ jobId }) => void queue.remove(jobId));
    const error = await dr.execute(["all"], { inputs: { xs: [1] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("CONNECTION");
    expect((error as Error).message).toMatch(/The outcome of task x\[0\] of run .* was lost: it is no longer in Redis/);
  } finally {
    await events.close();
    await idle.close();
    await queue.close();
    await executor.close();
  }
}, 60_000);
