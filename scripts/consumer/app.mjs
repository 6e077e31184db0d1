// The consumer app of scripts/consumer-test.mjs: runs in a temporary project OUTSIDE the workspace,
// against the packed tarballs installed with npm, like a user's code. Builds a small dataflow with
// both adapters (OpenTelemetryTracer with the OTel SDK and an in-memory exporter; HamiltonTracker
// with a FileSink), runs it once successfully and once failing, and checks the results, the spans
// (names, parents, one trace) and the FileSink's records (statuses, and their link to the spans).
// Usage: node app.mjs <store dir>. Prints "consumer app: ok ..." or throws.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Builder, HamiltonError, NodeExecutionError } from "@hamilton-ts/core";
import { ATTR_RUN_ID, OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
import { FileSink, HamiltonTracker } from "@hamilton-ts/tracker";
import { BullMQError, BullMQExecutor } from "@hamilton-ts/bullmq";
import { CacheRedisError, RedisCacheStore } from "@hamilton-ts/cache-redis";
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const storeDir = process.argv[2];
if (!storeDir) throw new Error("usage: node app.mjs <store dir>");

function check(condition, message) {
  if (!condition) throw new Error(`consumer app: ${message}`);
}

// The app owns the SDK: a context manager (so spans started inside a node nest under it) and a
// provider exporting to memory, and as OTLP JSON lines to a file beside the store.
const exporter = new InMemorySpanExporter();
const tracesPath = join(storeDir, "..", "traces.jsonl");
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(new JsonLinesFileExporter(tracesPath))],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const tracker = new HamiltonTracker({
  projectId: "consumer",
  username: "ci@example.com",
  dagName: "prices",
  sink: new FileSink({ dir: storeDir }),
});
const adapters = [new OpenTelemetryTracer(), tracker];

const dataflow = {
  prices: () => [3, 1, 2],
  sorted: ({ prices }) => [...prices].sort((a, b) => a - b),
  // An async node that calls a "service": its span must nest under this node's span.
  total: async ({ prices, discount }) => {
    const span = trace.getTracer("consumer-app").startSpan("pricing-service");
    await new Promise((resolve) => setTimeout(resolve, 5));
    span.end();
    return prices.reduce((a, b) => a + b, 0) * discount;
  },
  summary: ({ sorted, total }) => `${sorted.join(",")} = ${total}`,
};
const dr = new Builder()
  .withModules(dataflow)
  .withAdapters(...adapters)
  .build();
const out = await dr.execute(["summary", "total"], { inputs: { discount: 0.5 } });
check(
  JSON.stringify(out) === JSON.stringify({ summary: "1,2,3 = 3", total: 3 }),
  `unexpected results ${JSON.stringify(out)}`,
);

// A failing run: the node's own error, wrapped in the installed copy's NodeExecutionError.
const failing = new Builder()
  .withModules({
    seed: () => 1,
    explode: ({ seed }) => {
      throw new Error(`kaboom ${seed}`);
    },
  })
  .withAdapters(...adapters)
  .build();
const failure = await failing.execute(["explode"]).then(
  () => undefined,
  (error) => error,
);
check(
  failure instanceof NodeExecutionError && failure instanceof HamiltonError,
  `the failing run rejected with ${failure}, not a NodeExecutionError`,
);
check(
  failure.code === "NODE_FAILED" && failure.nodeName === "explode" && failure.cause?.message === "kaboom 1",
  `unexpected failure ${failure.code} ${failure.nodeName} ${failure.cause?.message}`,
);

const report = await tracker.shutdown();
await provider.forceFlush();

// Spans: one trace per run, the run span at its root, node spans under it, the service under "total".
const spans = exporter.getFinishedSpans();
const byName = new Map(spans.map((s) => [s.name, s]));
const idOf = (span) => span.spanContext().spanId;
const parentOf = (span) => span.parentSpanContext?.spanId ?? span.parentSpanId;
const runSpans = spans.filter((s) => s.name === "hamilton.run");
check(runSpans.length === 2, `expected 2 "hamilton.run" spans, got ${spans.map((s) => s.name).join(", ")}`);
const okRun = runSpans.find((s) => s.status.code !== SpanStatusCode.ERROR);
const failedRun = runSpans.find((s) => s.status.code === SpanStatusCode.ERROR);
check(okRun && failedRun, "expected one successful and one failed run span");
check(parentOf(okRun) === undefined, "the run span has a parent; it should be a root span");
for (const name of ["prices", "sorted", "total", "summary"]) {
  const span = byName.get(name);
  check(span, `no span "${name}"; spans: ${spans.map((s) => s.name).join(", ")}`);
  check(parentOf(span) === idOf(okRun), `span "${name}" is not a child of the run span`);
  check(span.spanContext().traceId === okRun.spanContext().traceId, `span "${name}" is in another trace`);
}
check(
  parentOf(byName.get("pricing-service")) === idOf(byName.get("total")),
  `"pricing-service" is not nested under the "total" node span`,
);
check(byName.get("explode")?.status.code === SpanStatusCode.ERROR, `the "explode" span has no ERROR status`);

// The OTLP JSON-lines file holds the same spans, with hex ids.
const fileSpans = readFileSync(tracesPath, "utf8")
  .trim()
  .split("\n")
  .flatMap((line) => JSON.parse(line).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
check(
  fileSpans.length === spans.length &&
    fileSpans.some((s) => s.name === "summary" && s.traceId === okRun.spanContext().traceId),
  `the OTLP JSON-lines file has ${fileSpans.length} spans (expected ${spans.length}, "summary" in the run's trace)`,
);

// FileSink records: find the run files wherever the store keeps them, keep the latest snapshot.
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
const records = filesUnder(storeDir)
  .filter((f) => f.endsWith(".jsonl") || f.endsWith(".json"))
  .flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line)),
  );
const latest = new Map();
for (const r of records)
  latest.set(
    r.type === "node_run" ? `${r.runId}/${r.node}` : r.type === "run" ? r.runId : `template/${r.graphVersion}`,
    r,
  );
const runs = [...latest.values()].filter((r) => r.type === "run");
const okRunId = okRun.attributes[ATTR_RUN_ID];
const okRecord = runs.find((r) => r.runId === okRunId);
check(
  okRecord,
  `no FileSink run record for run ${okRunId} (the run span's ${ATTR_RUN_ID}); runs: ${runs.map((r) => r.runId).join(", ")}`,
);
check(okRecord.status === "SUCCESS", `the run record's status is ${okRecord.status}`);
check(
  runs.some((r) => r.runId === failedRun.attributes[ATTR_RUN_ID] && r.status === "FAILURE"),
  "no FAILURE run record for the failing run",
);
check(
  [...latest.values()].some((r) => r.type === "dag_template" && r.dagName === "prices"),
  "no DAG template record",
);
for (const name of ["prices", "sorted", "total", "summary"]) {
  const node = latest.get(`${okRunId}/${name}`);
  check(node?.status === "SUCCESS", `node record "${name}": ${node ? node.status : "missing"}`);
  check(
    node.traceId === okRun.spanContext().traceId && node.spanId === idOf(byName.get(name)),
    `node record "${name}" does not link to its span (trace ${node.traceId}, span ${node.spanId})`,
  );
}
const exploded = latest.get(`${failedRun.attributes[ATTR_RUN_ID]}/explode`);
check(
  exploded?.status === "FAILURE" && String(exploded.error?.message).includes("kaboom 1"),
  `node record "explode": ${JSON.stringify(exploded)}`,
);

// @hamilton-ts/bullmq loads (bullmq and ioredis resolved from the tarball's dependencies), checks
// its options with a HamiltonError, and plugs into the Builder.
try {
  new BullMQExecutor({ connection: { host: "127.0.0.1", port: 6379 }, queueName: "a:b" });
  check(false, "BullMQExecutor accepted a queue name with ':'");
} catch (error) {
  check(HamiltonError.isInstance(error) && error instanceof BullMQError, `BullMQExecutor's option error: ${error}`);
}
const bullmq = new BullMQExecutor({ connection: { host: "127.0.0.1", port: 6379 }, queueName: "consumer" });
new Builder()
  .withModules({ one: () => 1 })
  .withTaskExecutor(bullmq)
  .build();
await bullmq.close();

// @hamilton-ts/cache-redis loads (ioredis from the tarball's dependencies), checks its options with
// its own error class, and plugs into withCache (no Redis needed: it connects on first use).
try {
  new RedisCacheStore({ connection: { host: "127.0.0.1", port: 6379 }, prefix: "" });
  check(false, "RedisCacheStore accepted an empty prefix");
} catch (error) {
  check(
    CacheRedisError.isInstance(error) && error.code === "INVALID_OPTION",
    `RedisCacheStore's option error: ${error}`,
  );
}
const redisStore = new RedisCacheStore({ connection: { host: "127.0.0.1", port: 6379 } });
new Builder()
  .withModules({ one: () => 1 })
  .withCache({ store: redisStore })
  .build();
await redisStore.close();

console.log(
  `consumer app: ok (results ${JSON.stringify(out)}; ${spans.length} spans, in memory and in OTLP JSON lines; ${records.length} FileSink records; tracker report ${JSON.stringify(report)})`,
);
