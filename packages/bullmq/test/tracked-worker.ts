// A worker process whose tracker keeps the tracker's default flush interval (one second), for
// tests that SIGKILL workers: a task's records reach the store only if the tracker delivers them
// before the task ends. Run as `node test/worker.mjs /test/tracked-worker.ts`; its setup comes from
// the environment (REDIS_PORT, QUEUE, STORE_DIR, BULLMQ_TEST_MARKERS, LOCK_MS, STALL_MS,
// CONCURRENCY). It prints "ready <id>" once it takes tasks.
import { FileSink, HamiltonTracker } from "@hamilton-ts/tracker";
import { startWorker } from "../src/index.js";
import * as dataflow from "./dataflow.js";
import "./marks.js";

const env = process.env;
const tracker = new HamiltonTracker({
  projectId: "p",
  username: "u",
  dagName: "d",
  sink: new FileSink({ dir: env.STORE_DIR! }),
});
const worker = await startWorker({
  connection: { host: "127.0.0.1", port: Number(env.REDIS_PORT) },
  queueName: env.QUEUE ?? "test",
  modules: [dataflow],
  config: { greeting: "worker's greeting", factor: 1 },
  adapters: [tracker],
  concurrency: Number(env.CONCURRENCY ?? 10),
  lockDurationMs: Number(env.LOCK_MS ?? 10_000),
  stalledIntervalMs: Number(env.STALL_MS ?? 5_000),
  // Several workers die in these tests: a job may lose more than one.
  maxStalledCount: 10,
});
process.stdout.write(`ready ${worker.id}\n`);
