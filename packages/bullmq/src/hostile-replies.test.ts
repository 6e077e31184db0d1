// The reply channel's name is in every job: anyone who can reach Redis can publish there. Hostile
// messages are dropped with a warning; the run still gets its real results.
import { Builder } from "@hamilton-ts/core";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQError } from "./errors.js";
import { BullMQExecutor } from "./executor.js";
import type { JobData } from "./protocol.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const config = { greeting: "hi", factor: 2 };

/** Starts a run with no worker, and resolves with its queued jobs once they are all in Redis. */
async function queuedRun(queueName: string, n: number, onWarning: (message: string) => void) {
  const connection = { host: "127.0.0.1", port: redis.port };
  const executor = new BullMQExecutor({ connection, queueName, onWarning });
  const dr = new Builder().withModules(dataflow).withConfig(config).withTaskExecutor(executor).build();
  const queue = new Queue<JobData>(`${queueName}-${dr.graph.version.slice(0, 16)}`, { connection });
  const events = new QueueEvents(queue.name, { connection });
  await events.waitUntilReady();
  let waiting = 0;
  const allQueued = new Promise<void>((resolve) =>
    events.on("waiting", () => {
      if (++waiting === n) resolve();
    }),
  );
  const run = dr.execute(["processedAll"], { inputs: { items: Array.from({ length: n }, (_, id) => ({ id })) } });
  run.catch(() => undefined); // awaited by the test, later
  await allQueued;
  const jobs = await queue.getJobs(["waiting"]);
  const close = async () => {
    await events.close();
    await queue.close();
    await executor.close();
  };
  return { connection, executor, run, jobs, close };
}

it("malformed messages on the reply channel are dropped with a warning; the run gets its real results", async () => {
  const warnings: string[] = [];
  let warned: () => void = () => undefined;
  const onWarning = (message: string) => {
    warnings.push(message);
    warned();
  };
  const { connection, run, jobs, close } = await queuedRun("hostile", 2, onWarning);
  const publisher = new Redis(connection);
  try {
    const [job] = jobs;
    const { reply } = job!.data;
    const jobId = job!.id!;
    const hostile = [
      JSON.stringify({ kind: "done", jobId, results: null }).replace(`"kind":"done",`, `"kind":"done!",`),
      "not json",
      "null",
      "[1,2]",
      JSON.stringify({ kind: "done", jobId: 42 }),
      JSON.stringify({ kind: "failed", jobId, worker: "evil", message: "go away" }),
      JSON.stringify({ kind: "requeued" }),
      JSON.stringify({ kind: "done", jobId, outcome: 5 }),
    ];
    // Each is dropped with a warning, without crashing the process or failing the run.
    const allWarned = new Promise<void>((resolve) => {
      warned = () => {
        if (warnings.filter((w) => w.includes("dropped a malformed message")).length >= hostile.length) resolve();
      };
    });
    for (const text of hostile) await publisher.publish(reply, text);
    // Well-formed but lying: "done" before any worker ran it (no outcome in Redis), and a job id
    // that is not this executor's. The first is looked up and found missing; the second ignored.
    await publisher.publish(reply, JSON.stringify({ kind: "done", jobId, results: null }));
    await publisher.publish(reply, JSON.stringify({ kind: "done", jobId: "someone-else" }));
    // An outcome riding along that is malformed: dropped, the outcome is read from Redis instead.
    const outcome = JSON.stringify({ kind: "done", worker: "evil", results: null });
    await publisher.publish(reply, JSON.stringify({ kind: "done", jobId, outcome }));
    await allWarned;
    const inlineWarned = new Promise<void>((resolve) => {
      warned = () => {
        if (warnings.some((w) => w.includes(`dropped a malformed outcome of job ${jobId}`))) resolve();
      };
      warned();
    });
    await inlineWarned;
    expect(warnings[0]).toContain(`Job ${jobId}'s outcome is read from Redis instead`);
    const worker = await startWorker({ connection, queueName: "hostile", modules: [dataflow] });
    try {
      const { processedAll } = await run;
      expect(processedAll.map((p) => p.text)).toEqual(["hi 0", "hi 1"]);
    } finally {
      await worker.close();
    }
  } finally {
    publisher.disconnect();
    await close();
  }
});

it("a malformed outcome in Redis fails the job's tasks with WORKER_FAILED instead of crashing or hanging", async () => {
  const { connection, run, jobs, close } = await queuedRun("hostile-outcome", 1, () => undefined);
  const publisher = new Redis(connection);
  try {
    const job = jobs[0]!;
    await job.remove();
    await publisher.set(job.data.resultKey, JSON.stringify({ kind: "done", worker: "evil", results: null }));
    await publisher.publish(job.data.reply, JSON.stringify({ kind: "done", jobId: job.id }));
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BullMQError);
    expect((error as BullMQError).reason).toBe("WORKER_FAILED");
    expect((error as Error).message).toContain("is malformed (its results are not an array)");
  } finally {
    publisher.disconnect();
    await close();
  }
});
