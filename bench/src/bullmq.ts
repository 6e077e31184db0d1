/**
 * `@hamilton-ts/bullmq` rows (`pnpm bench --quick --only bullmq`): a local redis-server on a free
 * port, the executor against in-process and child-process workers. Each row is a ratio or a time
 * measured in this run, with its target:
 * - per-item overhead over a raw BullMQ round trip (addBulk + Worker, one job per item) ≤ 1.5×;
 * - 10,000 tiny items, 100 per job vs one per job: ≥ 5× faster;
 * - 1,000 items × 100 ms wait on 2 worker processes × concurrency 50: ≤ 1.5 s (least possible 1 s);
 * - 200 CPU-bound items × 20 ms, 2 worker processes vs in-process: ≥ 1.6× faster;
 * - 300 items reading one 1 MB value: Redis grows ≤ 10 MB while they wait, and holds ≤ 1 MB more
 *   than before once the run is done and the executor closed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Builder } from "@hamilton-ts/core";
import { BullMQExecutor, startWorker } from "@hamilton-ts/bullmq";
import { type Job, Queue, Worker } from "bullmq";
import * as dataflow from "./bullmq-dataflow.js";
import * as sharedDataflow from "./bullmq-shared.js";
import type { BenchItem } from "./bullmq-dataflow.js";
import { selected, type Options } from "./options.js";
import { freePort, start, stop } from "./processes.js";
import { rowsSection, type Section, type TargetRow } from "./section.js";

/** Redis's used_memory, in bytes (through redis-cli: the bench has no Redis client of its own). */
function usedMemory(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-p", String(port), "info", "memory"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.on("error", reject);
    child.on("exit", () => resolve(Number(/used_memory:(\d+)/.exec(out)?.[1] ?? Number.NaN)));
  });
}

const items = (count: number, ms = 0, cpu = false): BenchItem[] =>
  Array.from({ length: count }, (_, n) => ({ n, ms, cpu }));

/** The least of `runs` timings of `fn`, in ms (after one warm-up). */
async function best(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    least = Math.min(least, performance.now() - t0);
  }
  return least;
}

/** Runs the rows; resolves with the section's markdown. */
export async function bullmqSuite(options: Options): Promise<Section | undefined> {
  if (!selected(options, "bullmq")) return undefined;
  const runs = options.quick ? 2 : 5;
  const port = await freePort();
  const connection = { host: "127.0.0.1", port };
  process.stderr.write(`bullmq: redis-server on 127.0.0.1:${port}…\n`);
  let redis: ChildProcess;
  try {
    redis = await start(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      process.env,
      "Ready to accept connections",
    );
  } catch (error) {
    const markdown = `### @hamilton-ts/bullmq\n\nNot run: redis-server could not start (${error instanceof Error ? error.message : String(error)}). Install it (apt-get install redis-server).\n`;
    return { id: "bullmq", figures: [], markdown, targets: [] };
  }
  const rows: TargetRow[] = [];
  const children: ChildProcess[] = [];
  try {
    const run = (executor: BullMQExecutor, list: BenchItem[]) =>
      new Builder()
        .withModules(dataflow)
        .withTaskExecutor(executor)
        .build()
        .execute(["results"], { inputs: { items: list } });

    // 1. Per-item overhead: 1,000 tiny items, one job each, an in-process worker (concurrency 50),
    // against raw BullMQ: addBulk of the same items and a Worker returning them.
    {
      const n = 1_000;
      const raw = new Queue("raw", { connection });
      let pending = 0;
      let done: (() => void) | undefined;
      const rawWorker = new Worker("raw", async (job: Job<{ item: BenchItem }>) => job.data.item.n, {
        connection: { ...connection, maxRetriesPerRequest: null },
        concurrency: 50,
      });
      rawWorker.on("completed", () => {
        if (--pending === 0) done?.();
      });
      const rawMs = await best(runs, async () => {
        pending = n;
        const finished = new Promise<void>((resolve) => (done = resolve));
        await raw.addBulk(items(n).map((item) => ({ name: "i", data: { item }, opts: { removeOnComplete: true } })));
        await finished;
      });
      await rawWorker.close();
      await raw.close();
      const worker = await startWorker({ connection, queueName: "overhead", modules: [dataflow], concurrency: 50 });
      const executor = new BullMQExecutor({ connection, queueName: "overhead" });
      const oursMs = await best(runs, () => run(executor, items(n)));
      await executor.close();
      await worker.close();
      const ratio = oursMs / rawMs;
      rows.push({
        what: `per-item overhead, ${n.toLocaleString("en-US")} tiny items, one job each, 1 worker × 50 (vs raw BullMQ addBulk + Worker)`,
        figure: `${((oursMs / n) * 1000).toFixed(0)} µs vs ${((rawMs / n) * 1000).toFixed(0)} µs per item (${ratio.toFixed(2)}×)`,
        target: "≤ 1.5×",
        ok: ratio <= 1.5,
      });
    }

    // 2. 10,000 tiny items: 100 per job vs one per job (in-process worker, concurrency 50).
    {
      const n = 10_000;
      const worker = await startWorker({ connection, queueName: "chunks", modules: [dataflow], concurrency: 50 });
      const single = new BullMQExecutor({ connection, queueName: "chunks" });
      const chunked = new BullMQExecutor({ connection, queueName: "chunks", itemsPerJob: 100 });
      const singleMs = await best(1, () => run(single, items(n)));
      const chunkedMs = await best(runs, () => run(chunked, items(n)));
      await Promise.all([single.close(), chunked.close()]);
      await worker.close();
      const speedup = singleMs / chunkedMs;
      rows.push({
        what: `${n.toLocaleString("en-US")} tiny items, 100 per job vs one per job`,
        figure: `${chunkedMs.toFixed(0)} ms vs ${singleMs.toFixed(0)} ms (${speedup.toFixed(1)}× faster)`,
        target: "≥ 5×",
        ok: speedup >= 5,
      });
    }

    // 5. Redis footprint: 300 items reading one 1 MB value (stored once per fan-out, not per job),
    // while they wait with no worker, and after the run and close().
    {
      const n = 300;
      const size = 1_000_000;
      const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
      const before = await usedMemory(port);
      const executor = new BullMQExecutor({ connection, queueName: "footprint" });
      const dr = new Builder().withModules(sharedDataflow).withTaskExecutor(executor).build();
      const xs = Array.from({ length: n }, (_, i) => i);
      const queue = new Queue(`footprint-${dr.graph.version.slice(0, 16)}`, { connection });
      const running = dr.execute(["all"], { inputs: { xs, size } });
      while ((await queue.getWaitingCount()) < n) await new Promise((resolve) => setTimeout(resolve, 20));
      const queued = (await usedMemory(port)) - before;
      const worker = await startWorker({
        connection,
        queueName: "footprint",
        modules: [sharedDataflow],
        concurrency: 50,
      });
      await running;
      await worker.close();
      await executor.close();
      await queue.close();
      const left = (await usedMemory(port)) - before;
      rows.push({
        what: `Redis growth while ${n} items reading one 1 MB value wait (479 MB when copied per job)`,
        figure: mb(queued),
        target: "≤ 10 MB",
        ok: queued <= 10e6,
      });
      rows.push({
        what: "Redis growth left after that run and close()",
        figure: mb(left),
        target: "≤ 1 MB",
        ok: left <= 1e6,
      });
    }

    // 3 and 4 on two worker processes.
    const entry = fileURLToPath(new URL("./bullmq-worker.js", import.meta.url));
    const env = { ...process.env, BENCH_REDIS_PORT: String(port), BENCH_QUEUE: "procs", BENCH_CONCURRENCY: "50" };
    children.push(...(await Promise.all([0, 1].map(() => start(process.execPath, [entry], env, "ready")))));
    const executor = new BullMQExecutor({ connection, queueName: "procs" });
    {
      const waitMs = await best(runs, () => run(executor, items(1_000, 100)));
      rows.push({
        what: "1,000 items × 100 ms wait, 2 worker processes × 50 (least possible 1 s)",
        figure: `${(waitMs / 1000).toFixed(2)} s`,
        target: "≤ 1.5 s",
        ok: waitMs <= 1_500,
      });
    }
    {
      const cpu = items(200, 20, true);
      const local = new Builder().withModules(dataflow).build();
      const localMs = await best(1, () => local.execute(["results"], { inputs: { items: cpu } }));
      const distributedMs = await best(runs, () => run(executor, cpu));
      const speedup = localMs / distributedMs;
      rows.push({
        what: "200 CPU-bound items × 20 ms, 2 worker processes vs in-process",
        figure: `${distributedMs.toFixed(0)} ms vs ${localMs.toFixed(0)} ms (${speedup.toFixed(2)}× faster)`,
        target: "≥ 1.6×",
        ok: speedup >= 1.6,
      });
    }
    await executor.close();
  } finally {
    await Promise.all(children.map(stop));
    await stop(redis);
  }
  return rowsSection("bullmq", "@hamilton-ts/bullmq (BullMQExecutor on a local redis-server)", rows, [
    `Least of ${runs} runs after a warm-up (the one-job-per-item and in-process baselines: least of 1). Redis, the coordinator and the workers share this machine's cores.`,
  ]);
}
