/** A worker process of the BullMQ bench rows (spawned by bullmq.ts): prints "ready" once it takes tasks. */
import { startWorker } from "@hamilton-ts/bullmq";
import * as dataflow from "./bullmq-dataflow.js";

const worker = await startWorker({
  connection: { host: "127.0.0.1", port: Number(process.env.BENCH_REDIS_PORT) },
  queueName: process.env.BENCH_QUEUE ?? "bench",
  modules: [dataflow],
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  // CPU-bound items block the event loop for 20 ms: far below half the lock.
});
process.stdout.write(`ready ${worker.id}\n`);
process.on("SIGTERM", () => void worker.close().then(() => process.exit(0)));
