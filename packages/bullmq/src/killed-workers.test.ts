// Workers SIGKILLed in the middle of a run, as real child processes: the run's result is right,
// and so is its record — every task's last attempt is in it, and nothing is RUNNING once it ended.
import { watch } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { FileSink, HamiltonTracker, type NodeRunRecord, nodeRunKey, readFileStore } from "@hamilton-ts/tracker";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import type { Item } from "../test/dataflow.js";
import { startWorkerProcess, type WorkerProcess } from "../test/workers.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQExecutor } from "./executor.js";

/** Resolves once `folder` holds `count` files whose names pass `test` (watched, not polled), or `stop` settles. */
async function filesAppear(
  folder: string,
  test: (name: string) => boolean,
  count: number,
  stop: Promise<unknown>,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const watcher = watch(folder);
    const done = (reached: boolean) => {
      watcher.close();
      resolve(reached);
    };
    const check = () =>
      readdir(folder).then((names) => {
        if (names.filter(test).length >= count) done(true);
      }, reject);
    watcher.on("change", () => void check());
    void stop.then(
      () => done(false),
      () => done(false),
    );
    void check();
  });
}

/** Every node run line in the store's run files. */
async function nodeLines(store: string): Promise<NodeRunRecord[]> {
  const lines: NodeRunRecord[] = [];
  for (const name of await readdir(store, { recursive: true })) {
    if (!name.endsWith(".jsonl")) continue;
    for (const line of (await readFile(join(store, name), "utf8")).split("\n")) {
      if (!line.startsWith("{")) continue;
      const record = JSON.parse(line) as { type?: string };
      if (record.type === "node_run") lines.push(record as NodeRunRecord);
    }
  }
  return lines;
}

let redis: RedisServer;
let dir: string;
let workers: WorkerProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), "bullmq-killed-"));
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  workers = [];
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

it("keeps every task's last attempt in the run record, and nothing RUNNING, when workers are SIGKILLed mid-run", {
  timeout: 240_000,
}, async () => {
  const queueName = "killed";
  const store = join(dir, "store");
  const markers = join(dir, "markers");
  await mkdir(markers, { recursive: true });
  const env = {
    REDIS_PORT: String(redis.port),
    QUEUE: queueName,
    STORE_DIR: store,
    BULLMQ_TEST_MARKERS: markers,
    // A lock a busy machine's late renewal does not lose (renewed every 1.5 s, lapsing at 3 s); a
    // killed worker's tasks come back within 4 s.
    LOCK_MS: "3000",
    STALL_MS: "1000",
    CONCURRENCY: "3",
  };
  // Three to kill, one that lives to the end.
  workers = await Promise.all(Array.from({ length: 4 }, () => startWorkerProcess(env, "/test/tracked-worker.ts")));
  const tracker = new HamiltonTracker({
    projectId: "p",
    username: "u",
    dagName: "d",
    sink: new FileSink({ dir: store }),
  });
  const executor = new BullMQExecutor({ connection: { host: "127.0.0.1", port: redis.port }, queueName });
  const dr = new Builder()
    .withModules(dataflow)
    .withConfig({ greeting: "hi", factor: 2 })
    .withAdapters(tracker)
    .withTaskExecutor(executor)
    .build();
  const count = 60;
  const items: Item[] = Array.from({ length: count }, (_, id) => ({ id, mode: "slow", ms: 300 }));
  let result: { processedAll: { id: number }[] };
  let killed = 0;
  try {
    const running = dr.execute(["processedAll"], { inputs: { items } });
    // Each doomed worker is killed once it has started 4 items with 3 at a time: it handed back
    // at least one task whose records its tracker had not yet flushed on its own.
    for (const doomed of workers.slice(0, 3)) {
      const started = (name: string) => name.startsWith("started-") && name.endsWith(`-${doomed.pid}`);
      if (!(await filesAppear(markers, started, 4, running))) break;
      await doomed.kill();
      killed++;
    }
    result = (await running) as typeof result;
  } finally {
    await executor.close();
    await tracker.shutdown();
  }
  // The last worker dies too, without closing: only what it delivered before handing tasks back counts.
  await Promise.all(workers.map((w) => w.kill()));
  expect(killed).toBeGreaterThan(0);
  expect(result.processedAll.map((p) => p.id)).toEqual(items.map((item) => item.id));

  const { runs } = await readFileStore(store);
  expect(runs).toHaveLength(1);
  const run = runs[0]!;
  expect(run.run.status).toBe("SUCCESS");
  expect(run.nodes.filter((n) => n.status !== "SUCCESS").map((n) => `${nodeRunKey(n)}: ${n.status}`)).toEqual([]);
  const processed = new Map(run.nodes.filter((n) => n.node === "processed").map((n) => [n.taskId, n]));
  const missing = items.map((item) => `item[${item.id}]`).filter((taskId) => !processed.has(taskId));
  expect(missing).toEqual([]);
  // Each task's record is its last attempt's.
  const lastAttempt = new Map<string, number>();
  for (const line of await nodeLines(store)) {
    const key = nodeRunKey(line);
    lastAttempt.set(key, Math.max(lastAttempt.get(key) ?? 0, line.taskAttempt ?? 0));
  }
  for (const node of processed.values()) expect(node.taskAttempt).toBe(lastAttempt.get(nodeRunKey(node)));
  // Some tasks did run twice: a killed worker's tasks in flight were run again elsewhere.
  expect([...processed.values()].some((n) => (n.taskAttempt ?? 1) > 1)).toBe(true);
});
