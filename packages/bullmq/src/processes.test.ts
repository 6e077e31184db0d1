// Workers as real child processes: one trace and one run record across three processes, and a
// SIGKILLed worker's tasks rerun on another.
import { watch } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder } from "@hamilton-ts/core";
import { ATTR_PROCESS_PID, ATTR_WORKER, OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { FileSink, HamiltonTracker, readFileStore } from "@hamilton-ts/tracker";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as dataflow from "../test/dataflow.js";
import "../test/marks.js";
import type { Item } from "../test/dataflow.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { type SpanLine, toLine } from "../test/span-file.js";
import { startWorkerProcess, type WorkerProcess } from "../test/workers.js";
import { BullMQExecutor } from "./executor.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

let redis: RedisServer;
let dir: string;
let workers: WorkerProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await provider.shutdown();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bullmq-processes-"));
  exporter.reset();
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  workers = [];
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once a file whose name passes `test` is in `folder` (watched, not polled). */
async function fileAppears(folder: string, test: (name: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = watch(folder);
    const check = () =>
      readdir(folder).then((names) => {
        const found = names.find(test);
        if (found !== undefined) {
          watcher.close();
          resolve(found);
        }
      }, reject);
    watcher.on("change", () => void check());
    void check();
  });
}

async function worker(env: Record<string, string>): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ REDIS_PORT: String(redis.port), ...env });
  workers.push(w);
  return w;
}

const readSpans = async (file: string): Promise<SpanLine[]> =>
  (await readFile(file, "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as SpanLine);

describe("BullMQExecutor with worker processes", () => {
  it("makes one trace and one run record across the coordinator and two workers", { timeout: 60_000 }, async () => {
    const queueName = "trace";
    const spansFile = join(dir, "spans.jsonl");
    const store = join(dir, "store");
    const markers = join(dir, "markers");
    await import("node:fs/promises").then((fs) => fs.mkdir(markers));
    // Four at a time per worker, and each item waits until items have started in both workers:
    // one worker cannot take all eight, however late the other one asks.
    const env = {
      QUEUE: queueName,
      SPANS_FILE: spansFile,
      STORE_DIR: store,
      BULLMQ_TEST_MARKERS: markers,
      CONCURRENCY: "4",
    };
    const [a, b] = await Promise.all([worker(env), worker(env)]);
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
      .withAdapters(new OpenTelemetryTracer(), tracker)
      .withTaskExecutor(executor)
      .build();
    const items: Item[] = Array.from({ length: 8 }, (_, id) => ({ id, mode: "meet" }));
    try {
      const { processedAll } = await dr.execute(["processedAll"], { inputs: { items } });
      expect(processedAll.map((p) => p.id)).toEqual(items.map((i) => i.id));
      expect(new Set(processedAll.map((p) => p.pid))).toEqual(new Set([a!.pid, b!.pid]));
    } finally {
      await executor.close();
      await tracker.shutdown();
    }
    // SIGTERM: the workers close, deliver their records and export their spans, then exit.
    await Promise.all([a!.stop(), b!.stop()]);

    const local = exporter.getFinishedSpans().map(toLine);
    const remote = await readSpans(spansFile);
    const all = [...local, ...remote];
    const run = local.find((s) => s.name === "hamilton.run")!;
    expect(new Set(all.map((s) => s.traceId))).toEqual(new Set([run.traceId]));
    expect(new Set(all.map((s) => s.pid))).toEqual(new Set([process.pid, a!.pid, b!.pid]));
    const processed = remote.filter((s) => s.name.startsWith("processed "));
    expect(processed.map((s) => s.name).sort()).toEqual(items.map((i) => `processed item[${i.id}]`).sort());
    for (const span of processed) {
      expect(span.parentSpanId).toBe(run.spanId);
      expect(span.attributes[ATTR_PROCESS_PID]).toBe(span.pid);
      expect(span.attributes[ATTR_WORKER]).toMatch(new RegExp(`:${span.pid}$`));
    }

    const { runs } = await readFileStore(store);
    expect(runs).toHaveLength(1);
    const nodes = runs[0]!.nodes;
    expect(runs[0]!.finished).toBe(true);
    for (const { id } of items) {
      const record = nodes.find((n) => n.node === "processed" && n.taskId === `item[${id}]`);
      expect(record?.status).toBe("SUCCESS");
      expect(record?.worker).toMatch(new RegExp(`:(${a!.pid}|${b!.pid})$`));
      expect(record?.taskAttempt).toBe(1);
      expect(record?.traceId).toBe(run.traceId);
    }
    expect(nodes.find((n) => n.node === "processedAll")?.worker).toBeUndefined();
  });

  it("reruns a SIGKILLed worker's task on another worker; the record shows the second attempt", {
    timeout: 60_000,
  }, async () => {
    const queueName = "kill";
    const store = join(dir, "store");
    const markers = join(dir, "markers");
    await import("node:fs/promises").then((fs) => fs.mkdir(markers));
    // The doomed worker keeps its lock while the rescuer starts (renewed every 1.5 s, lapsing at 3 s).
    const fast = {
      LOCK_MS: "3000",
      STALL_MS: "1000",
      QUEUE: queueName,
      STORE_DIR: store,
      BULLMQ_TEST_MARKERS: markers,
    };
    const doomed = await worker(fast);
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
    try {
      const running = dr.execute(["processedAll"], { inputs: { items: [{ id: 0 }, { id: 1, mode: "wait" }] } });
      await fileAppears(markers, (name) => name === `started-1-${doomed.pid}`);
      const rescuer = await worker({ ...fast, BULLMQ_TEST_RELEASE: "1" });
      await doomed.kill();
      const { processedAll } = await running;
      expect(processedAll.map((p) => [p.id, p.pid])).toEqual([
        [0, doomed.pid],
        [1, rescuer.pid],
      ]);
      await rescuer.stop();
    } finally {
      await executor.close();
      await tracker.shutdown();
    }
    const { runs } = await readFileStore(store);
    expect(runs).toHaveLength(1);
    const record = runs[0]!.nodes.find((n) => n.node === "processed" && n.taskId === "item[1]");
    expect(record?.status).toBe("SUCCESS");
    expect(record?.taskAttempt).toBe(2);
    expect(record?.worker).toMatch(/:\d+$/);
    expect(record?.worker).not.toMatch(new RegExp(`:${doomed.pid}$`));
  });

  it("fails the run with NO_WORKER when a killed worker's task has no other worker to go to", {
    timeout: 60_000,
  }, async () => {
    const queueName = "orphan";
    const markers = join(dir, "markers");
    await import("node:fs/promises").then((fs) => fs.mkdir(markers));
    const doomed = await worker({ LOCK_MS: "1000", STALL_MS: "500", QUEUE: queueName, BULLMQ_TEST_MARKERS: markers });
    const executor = new BullMQExecutor({
      connection: { host: "127.0.0.1", port: redis.port },
      queueName,
      taskTimeoutMs: 1_500,
    });
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ greeting: "hi", factor: 2 })
      .withTaskExecutor(executor)
      .build();
    try {
      const running = dr.execute(["processedAll"], { inputs: { items: [{ id: 1, mode: "wait" }] } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await fileAppears(markers, (name) => name === `started-1-${doomed.pid}`);
      await doomed.kill();
      const error = await running;
      expect((error as Error).message).toContain(
        "the worker that had taken it stopped, and no other worker took it back",
      );
    } finally {
      await executor.close();
    }
  });
});
