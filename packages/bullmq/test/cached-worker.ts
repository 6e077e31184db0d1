// A worker process of the cache tests, with its cache on Redis (CACHE_PORT, CACHE_PREFIX) and the
// config { factor: FACTOR }; prints "ready <id>" once it takes tasks, and the cache's warnings.
import { RedisCacheStore } from "@hamilton-ts/cache-redis";
import { startWorker } from "../src/index.js";
import * as dataflow from "./cached-dataflow.js";

const env = process.env;
const store = new RedisCacheStore({
  connection: { host: "127.0.0.1", port: Number(env.CACHE_PORT) },
  prefix: env.CACHE_PREFIX ?? "test:cache",
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 10_000,
});
// The SIGTERM handler is in place before "ready" is printed (see test/worker.ts).
const started = startWorker({
  connection: { host: "127.0.0.1", port: Number(env.REDIS_PORT) },
  queueName: env.QUEUE ?? "cached",
  modules: [dataflow],
  config: { factor: Number(env.FACTOR ?? 2) },
  cache: { store, onWarning: (message) => process.stderr.write(`cache warning: ${message}\n`) },
  concurrency: Number(env.CONCURRENCY ?? 10),
});
let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await (await started).close();
    await store.close();
    process.exit(0);
  })();
});
const worker = await started;
process.stdout.write(`ready ${worker.id}\n`);
