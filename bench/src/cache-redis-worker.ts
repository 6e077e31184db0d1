/** A worker process of the cache-redis rows (spawned by cache-redis.ts): prints "ready" once it takes tasks. */
import { startWorker } from "@hamilton-ts/bullmq";
import { RedisCacheStore } from "@hamilton-ts/cache-redis";
import { waiting } from "./cache-redis-dataflow.js";

const connection = { host: "127.0.0.1", port: Number(process.env.BENCH_REDIS_PORT) };
const store = new RedisCacheStore({ connection, prefix: process.env.BENCH_PREFIX ?? "bench:cache" });
const worker = await startWorker({
  connection,
  queueName: process.env.BENCH_QUEUE ?? "cache-bench",
  modules: [waiting],
  cache: { store },
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 10),
});
process.stdout.write(`ready ${worker.id}\n`);
process.on("SIGTERM", () => void worker.close().then(() => store.close().then(() => process.exit(0))));
