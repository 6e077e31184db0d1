// A worker process for the tests (run with tsx and the @hamilton-ts/source condition). Its setup
// comes from the environment; it prints "ready <id>" once it takes tasks and closes on SIGTERM.
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { FileSink, HamiltonTracker } from "@hamilton-ts/tracker";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { startWorker } from "../src/index.js";
import * as dataflow from "./dataflow.js";
import { FileSpanExporter } from "./span-file.js";
import "./marks.js";

const env = process.env;
const adapters: LifecycleAdapter[] = [];
let provider: NodeTracerProvider | undefined;
if (env.SPANS_FILE) {
  provider = new NodeTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new FileSpanExporter(env.SPANS_FILE))],
  });
  provider.register();
  adapters.push(new OpenTelemetryTracer());
}
let tracker: HamiltonTracker | undefined;
if (env.STORE_DIR) {
  tracker = new HamiltonTracker({
    projectId: "p",
    username: "u",
    dagName: "d",
    sink: new FileSink({ dir: env.STORE_DIR }),
    flushIntervalMs: 20,
  });
  adapters.push(tracker);
}
const modules: object[] = [dataflow];
if (env.VARIANT) modules.push({ variantOnly: () => env.VARIANT });
// The SIGTERM handler is in place before the worker starts and before "ready" is printed: a
// handler added after the ready line left a moment in which the test's SIGTERM met Node's default
// action and ended the process by the signal instead of by a close.
const started = startWorker({
  connection: { host: "127.0.0.1", port: Number(env.REDIS_PORT) },
  queueName: env.QUEUE ?? "test",
  modules,
  config: { greeting: "worker's greeting", factor: 1 },
  adapters,
  concurrency: Number(env.CONCURRENCY ?? 10),
  lockDurationMs: Number(env.LOCK_MS ?? 10_000),
  stalledIntervalMs: Number(env.STALL_MS ?? 5_000),
  ...(env.CLOSE_MS === undefined ? {} : { closeTimeoutMs: Number(env.CLOSE_MS) }),
  ...(env.VERSION === undefined ? {} : { version: env.VERSION }),
});
let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await (await started).close();
    await tracker?.shutdown();
    await provider?.shutdown();
    process.exit(0);
  })();
});
const worker = await started;
process.stdout.write(`ready ${worker.id}\n`);
