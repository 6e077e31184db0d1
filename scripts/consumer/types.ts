// The TypeScript consumer of scripts/consumer-test.mjs: type-checked (tsc --noEmit, NodeNext,
// strict, skipLibCheck off so the shipped .d.ts files are checked too) against the types installed
// from the packed tarballs. Each `@ts-expect-error` must stay an error: if the installed types
// degraded to `any`, tsc would report it as unused.
import { Builder, type HamiltonError, NodeExecutionError, type GraphInfo } from "@hamilton-ts/core";
import type { LifecycleAdapter, NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { startLocalOpenAI, type LocalOpenAI } from "@hamilton-ts/local-openai";
import { OpenTelemetryTracer, type OpenTelemetryTracerOptions } from "@hamilton-ts/opentelemetry";
import { JsonLinesFileExporter, OtlpFileError, type OtlpFileErrorCode } from "@hamilton-ts/otlp-file";
import { FileSink, HamiltonTracker, type TrackerSink } from "@hamilton-ts/tracker";
import { BullMQExecutor, type WorkerOptions } from "@hamilton-ts/bullmq";
import { CacheRedisError, type CacheRedisErrorCode, RedisCacheStore } from "@hamilton-ts/cache-redis";
import { trace } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";

// The OTLP JSON-lines file exporter is an OpenTelemetry span exporter.
const fileExporter: SpanExporter = new JsonLinesFileExporter(".hamilton-ts/traces.jsonl");
void fileExporter;
const fileErrorCode: OtlpFileErrorCode | undefined = OtlpFileError.isInstance(undefined) ? "SHUT_DOWN" : undefined;
void fileErrorCode;
// @ts-expect-error — the path is a string
void new JsonLinesFileExporter(42);

const dataflow = {
  prices: () => [3, 1, 2],
  total: async ({ prices, discount }: { prices: number[]; discount: number }) =>
    prices.reduce((a, b) => a + b, 0) * discount,
  summary: ({ prices, total }: { prices: number[]; total: number }) => `${prices.length} items, ${total}`,
};

// Your own adapter, against the lifecycle types.
const timings: LifecycleAdapter = {
  afterNodeExecution(event: NodeExecutionResultEvent) {
    const ok: boolean = event.success;
    void ok;
  },
};

// Your own tracker sink.
const memorySink: TrackerSink = {
  async write(projectId, records) {
    void projectId;
    void records.length;
  },
};

const tracerOptions: OpenTelemetryTracerOptions = { tracer: trace.getTracer("consumer"), recordInputs: false };
const dr = new Builder()
  .withModules(dataflow)
  .withAdapters(
    new OpenTelemetryTracer(tracerOptions),
    new HamiltonTracker({
      projectId: "consumer",
      username: "ci",
      dagName: "prices",
      sink: new FileSink({ dir: ".hamilton-ts" }),
    }),
    new HamiltonTracker({ projectId: 1, username: "ci", dagName: "prices", sink: memorySink }),
    timings,
  )
  .build();

export async function main(): Promise<string> {
  const { summary, total } = await dr.execute(["summary", "total"], { inputs: { discount: 0.5 } });
  const s: string = summary;
  const n: number = total;
  // @ts-expect-error — "summary" is a string
  const wrong: number = summary;
  // @ts-expect-error — misspelt output
  await dr.execute(["summry"], { inputs: { discount: 0.5 } });
  // @ts-expect-error — discount is a number
  await dr.execute(["total"], { inputs: { discount: "half" } });
  const graph: GraphInfo = dr.graph;
  try {
    await dr.execute(["summary"], { inputs: { discount: 0.5 } });
  } catch (error) {
    if (error instanceof NodeExecutionError) console.error(error.nodeName, error.code satisfies HamiltonError["code"]);
  }
  const server: LocalOpenAI = await startLocalOpenAI();
  await server.close();
  return `${s} ${n} ${String(wrong)} ${graph.nodes.length}`;
}

// @hamilton-ts/cache-redis: the store is a core CacheStore (by shape) for withCache, startWorker and the executor.
const redisStore = new RedisCacheStore({ connection: { host: "127.0.0.1", port: 6379 }, prefix: "docs:cache" });
new Builder().withModules(dataflow).withCache({ store: redisStore }).build();
void new BullMQExecutor({ connection: { port: 6379 }, queueName: "docs", cacheStore: redisStore });
const cacheWorker: WorkerOptions = {
  connection: { port: 6379 },
  queueName: "docs",
  modules: [dataflow],
  cache: { store: redisStore },
};
void cacheWorker;
const redisCode: CacheRedisErrorCode | undefined = CacheRedisError.isInstance(undefined) ? "UNAVAILABLE" : undefined;
void redisCode;
// @ts-expect-error — the prefix is a string
void new RedisCacheStore({ connection: { port: 6379 }, prefix: 3 });

// @hamilton-ts/bullmq: the executor is a core TaskExecutor; worker options are typed.
const executor = new BullMQExecutor({ connection: { host: "127.0.0.1", port: 6379 }, queueName: "docs" });
new Builder().withModules(dataflow).withTaskExecutor(executor).build();
const workerOptions: WorkerOptions = {
  connection: { port: 6379 },
  queueName: "docs",
  modules: [dataflow],
  concurrency: 5,
};
// @ts-expect-error concurrency is a number
const badWorkerOptions: WorkerOptions = { ...workerOptions, concurrency: "5" };
void badWorkerOptions;
