// Pins what this package relies on in BullMQ beyond its API (bullmq-internals.ts) against the
// installed bullmq: each name gets its own test, so an upgrade that changes one fails it by name.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import {
  JOB_DATA_FIELD,
  jobKey,
  LOCK_RENEWAL_TEXT,
  lockKey,
  MISSING_LOCK_TEXT,
  parseWorkerClientName,
  STALLED_LIMIT_TEXT,
  workerClientName,
} from "./bullmq-internals.js";

let redis: RedisServer;
let admin: Redis;
const connection = () => ({ host: "127.0.0.1", port: redis.port });
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(connection());
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

/** A file of the installed bullmq's ESM build, as text. */
async function bullmqSource(path: string): Promise<string> {
  const main = createRequire(import.meta.url).resolve("bullmq");
  const root = main.slice(0, main.lastIndexOf(`${join("dist", "")}`));
  return readFile(join(root, "dist", "esm", path), "utf8");
}

/** Runs `body` while a real worker holds a job of a fresh queue (its processor waits for it). */
async function whileAJobIsHeld(body: (queue: Queue, job: Job) => Promise<void>): Promise<void> {
  const name = `pin-${Math.random().toString(36).slice(2)}`;
  const queue = new Queue(name, { connection: connection() });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: (job: Job) => void;
  const taken = new Promise<Job>((resolve) => (held = resolve));
  const worker = new Worker(
    name,
    async (job) => {
      held(job);
      await released;
    },
    { connection: connection() },
  );
  try {
    await queue.add("pinned", { hello: "world" }, { jobId: "job-1" });
    const job = await taken;
    try {
      await body(queue, job);
    } finally {
      release();
    }
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

describe("BullMQ internals this package relies on", () => {
  it("lockKey: a held job's lock is <prefix>:<queue>:<jobId>:lock", async () => {
    await whileAJobIsHeld(async (queue, job) => {
      expect(await admin.exists(lockKey(queue, job.id!))).toBe(1);
      expect(await admin.exists(lockKey(queue, "not-a-job"))).toBe(0);
    });
  });

  it("jobKey and JOB_DATA_FIELD: a job's data is the JSON in field data of hash <prefix>:<queue>:<jobId>", async () => {
    await whileAJobIsHeld(async (queue, job) => {
      const text = await admin.hget(jobKey(queue.qualifiedName, job.id!), JOB_DATA_FIELD);
      expect(JSON.parse(text!)).toEqual({ hello: "world" });
    });
  });

  it("STALLED_LIMIT_TEXT: the failure reason of a job that stalled too often", async () => {
    const script = await bullmqSource(join("commands", "moveStalledJobsToWait-9.lua"));
    const reason = /failedReason = "([^"]+)"/.exec(script)?.[1];
    expect(reason).toBeDefined();
    expect(STALLED_LIMIT_TEXT.test(reason!)).toBe(true);
  });

  it("MISSING_LOCK_TEXT: the error of finishing a job whose lock was lost", async () => {
    const source = await bullmqSource(join("classes", "finished-errors.js"));
    const text = /new Error\(`(Missing lock for job )\$\{jobId\}/.exec(source)?.[1];
    expect(text).toBeDefined();
    expect(MISSING_LOCK_TEXT.test(`${text}7. moveToFinished`)).toBe(true);
  });

  it("LOCK_RENEWAL_TEXT: the error a failed lock renewal emits", async () => {
    const source = await bullmqSource(join("classes", "lock-manager.js"));
    const text = /new Error\(`(could not renew lock for job )\$\{jobId\}`\)/.exec(source)?.[1];
    expect(text).toBeDefined();
    expect(LOCK_RENEWAL_TEXT.test(`${text}7`)).toBe(true);
  });

  it("workerClientName: a named worker's connection is <prefix>:<base64(queue)>:w:<name> in CLIENT LIST", async () => {
    const name = `pin-${Math.random().toString(36).slice(2)}`;
    const queue = new Queue(name, { connection: connection() });
    const worker = new Worker(name, async () => undefined, { connection: connection(), name: "abc_-09" });
    try {
      await worker.waitUntilReady();
      const workers = await queue.getWorkers();
      expect(workers.map((w) => w.rawname)).toEqual([workerClientName(name, "abc_-09")]);
      expect(parseWorkerClientName(workers[0]!.rawname!)).toEqual({ queueName: name, workerName: "abc_-09" });
      expect(parseWorkerClientName(`bull:${Buffer.from(name).toString("base64")}`)).toBeUndefined();
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
