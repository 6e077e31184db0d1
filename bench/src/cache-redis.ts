/**
 * `@hamilton-ts/cache-redis` rows (`pnpm bench --only cache-redis`): a local redis-server on a
 * free port. Each row is a ratio measured in this run, with its target:
 * - a cache hit's overhead for a 1 KB value — one `execute` of a one-node dataflow whose node hits
 *   a `RedisCacheStore`, less the same execute hitting a store in memory — vs a plain `GET` round
 *   trip of 1 KB (ioredis), called in turn, medians: ≤ 2×;
 * - 1,000 items each waiting 20 ms, on 2 worker processes (`startWorker({ cache })`, default
 *   concurrency 10), the executor with `cacheStore`: the second run (all hits) vs the first
 *   (an empty cache): ≥ 10× faster. Also shown: the second run when the workers answer from the
 *   cache but the executor sends every task (no `cacheStore`).
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BullMQExecutor } from "@hamilton-ts/bullmq";
import { RedisCacheStore } from "@hamilton-ts/cache-redis";
import { Builder } from "@hamilton-ts/core";
import { Redis } from "ioredis";
import { kilobyte, waiting } from "./cache-redis-dataflow.js";
import { selected, type Options } from "./options.js";
import { freePort, start, stop } from "./processes.js";
import { rowsSection, type Section, type TargetRow } from "./section.js";

/**
 * The median time per call (µs) of each of `fns`, called in turn (one of each, `calls` times, after
 * a warm-up of a tenth): interleaved, so that a machine busy with other work slows each alike.
 */
async function interleaved(calls: number, fns: readonly (() => Promise<unknown>)[]): Promise<number[]> {
  const samples = fns.map(() => [] as number[]);
  const warmup = Math.ceil(calls / 10);
  for (let i = 0; i < warmup + calls; i++) {
    for (let f = 0; f < fns.length; f++) {
      const t0 = performance.now();
      await fns[f]!();
      if (i >= warmup) samples[f]!.push((performance.now() - t0) * 1000);
    }
  }
  return samples.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)]!;
  });
}

/** Runs the rows; resolves with the section's markdown. */
export async function cacheRedisSuite(options: Options): Promise<Section | undefined> {
  if (!selected(options, "cache-redis")) return undefined;
  const rounds = options.quick ? 3 : 7;
  const port = await freePort();
  const connection = { host: "127.0.0.1", port };
  process.stderr.write(`cache-redis: redis-server on 127.0.0.1:${port}…\n`);
  let redis: ChildProcess;
  try {
    redis = await start(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      process.env,
      "Ready to accept connections",
    );
  } catch (error) {
    const markdown = `### @hamilton-ts/cache-redis\n\nNot run: redis-server could not start (${error instanceof Error ? error.message : String(error)}). Install it (apt-get install redis-server).\n`;
    return { id: "cache-redis", figures: [], markdown, targets: [] };
  }
  const rows: TargetRow[] = [];
  const children: ChildProcess[] = [];
  try {
    // 1. A hit of a 1 KB value: what Redis adds to an execute whose node hits, vs a plain GET of the same size.
    {
      const calls = options.quick ? 1_000 : 5_000;
      const raw = new Redis(connection);
      await raw.set("bench:raw", "x".repeat(1024));
      const store = new RedisCacheStore({ connection, prefix: "bench:hit" });
      const dr = new Builder().withModules(kilobyte).withCache({ store }).build();
      await dr.execute(["value"], { inputs: { seed: 1 } });
      let key = "";
      for await (const e of store.entries()) if (e.node === "value") key = e.key;
      // The same dataflow on a store in memory: what a hit costs the engine with no I/O at all.
      const memory = new Map<string, Uint8Array>();
      const inMemory = new Builder()
        .withModules(kilobyte)
        .withCache({
          store: {
            get: (k) => memory.get(k),
            set: (k, data) => void memory.set(k, data),
            delete: (k) => void memory.delete(k),
            clear: () => memory.clear(),
            entries: () => [],
          },
        })
        .build();
      await inMemory.execute(["value"], { inputs: { seed: 1 } });
      const [getUs, storeUs, hitUs, memoryUs] = (await interleaved(calls, [
        () => raw.getBuffer("bench:raw"),
        () => store.get(key),
        () => dr.execute(["value"], { inputs: { seed: 1 } }),
        () => inMemory.execute(["value"], { inputs: { seed: 1 } }),
      ])) as [number, number, number, number];
      await store.close();
      raw.disconnect();
      const overheadUs = hitUs - memoryUs;
      const ratio = overheadUs / getUs;
      rows.push({
        what: "a cache hit's overhead for a 1 KB value (an execute whose node hits Redis, less the same hit in memory) vs a plain GET of 1 KB",
        figure:
          `${overheadUs.toFixed(0)} µs vs ${getUs.toFixed(0)} µs (${ratio.toFixed(2)}×); execute ${hitUs.toFixed(0)} µs on Redis, ` +
          `${memoryUs.toFixed(0)} µs in memory; the store's get alone ${storeUs.toFixed(0)} µs (${(storeUs / getUs).toFixed(2)}×)`,
        target: "≤ 2×",
        ok: ratio <= 2,
      });
    }

    // 2. 1,000 items × 20 ms on 2 worker processes: the second run (all hits) vs the first.
    {
      const n = 1_000;
      const list = Array.from({ length: n }, (_, i) => ({ n: i, ms: 20 }));
      const prefix = "bench:items";
      const entry = fileURLToPath(new URL("./cache-redis-worker.js", import.meta.url));
      const env = { ...process.env, BENCH_REDIS_PORT: String(port), BENCH_QUEUE: "cache-items", BENCH_PREFIX: prefix };
      children.push(...(await Promise.all([0, 1].map(() => start(process.execPath, [entry], env, "ready")))));
      const store = new RedisCacheStore({ connection, prefix });
      const answering = new BullMQExecutor({ connection, queueName: "cache-items", cacheStore: store });
      const sending = new BullMQExecutor({ connection, queueName: "cache-items" });
      const run = (executor: BullMQExecutor) => async () => {
        const t0 = performance.now();
        const out = await new Builder()
          .withModules(waiting)
          .withCache({ store })
          .withTaskExecutor(executor)
          .build()
          .execute(["results"], { inputs: { items: list } });
        if (out.results.length !== n) throw new Error("wrong results");
        return performance.now() - t0;
      };
      // Warm-up (connections, the workers' first jobs), then the timed first runs on an empty cache.
      await store.clear();
      await run(answering)();
      let firstMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < (options.quick ? 1 : 2); i++) {
        await store.clear();
        firstMs = Math.min(firstMs, await run(answering)());
      }
      let secondMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < rounds; i++) secondMs = Math.min(secondMs, await run(answering)());
      let sentMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < (options.quick ? 1 : 3); i++) sentMs = Math.min(sentMs, await run(sending)());
      await Promise.all([answering.close(), sending.close()]);
      await store.close();
      const speedup = firstMs / secondMs;
      rows.push({
        what: `${n.toLocaleString("en-US")} items × 20 ms on 2 worker processes × 10, second run (all hits) vs first`,
        figure: `${secondMs.toFixed(0)} ms vs ${firstMs.toFixed(0)} ms (${speedup.toFixed(1)}× faster)`,
        target: "≥ 10×",
        ok: speedup >= 10,
      });
      rows.push({
        what: "the same second run with every task sent (workers answer from the cache; no cacheStore)",
        figure: `${sentMs.toFixed(0)} ms (${(firstMs / sentMs).toFixed(1)}× faster than the first)`,
        target: "(for comparison)",
        ok: true,
      });
    }
  } finally {
    await Promise.all(children.map(stop));
    await stop(redis);
  }
  return rowsSection("cache-redis", "@hamilton-ts/cache-redis (RedisCacheStore on a local redis-server)", rows, [
    "Per call: the median of calls made in turn with the GET they are compared with (so that load from elsewhere slows both alike). Runs: the least of a few. Redis, the coordinator and the workers share this machine's cores.",
  ]);
}
