/**
 * `ui/ingest/otlp` and its context row `ui/ingest/otlp/1-exporter`: OTLP/HTTP protobuf traces into
 * `hamilton-ts-ui`, spans per second, beside `JsonLinesFileExporter` given the same batches.
 */
import { readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
import { startUi } from "@hamilton-ts/ui";
import { context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import type { Options } from "./options.js";
import { ingestFigure, type UiIngestFigure } from "./ui-figures.js";
import { LANES, paired, type Replayer, tempDir, timing } from "./ui-harness.js";
import type { ReplayRequest } from "./ui-replay.js";

/** `count` finished spans: a root and its children, each with a few attributes, as a tracer makes them. */
function makeSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("bench-ui");
  const root = tracer.startSpan("hamilton.run");
  const parent = trace.setSpan(context.active(), root);
  for (let i = 1; i < count; i++) {
    // Under the run span, as the tracer nests node spans.
    const span = tracer.startSpan(
      `f_${i}`,
      { attributes: { "hamilton.node.name": `f_${i}`, "hamilton.node.version": "v1", "traceloop.span.kind": "task" } },
      parent,
    );
    span.end();
  }
  root.end();
  return memory.getFinishedSpans();
}

function exportAll(exporter: SpanExporter, batches: readonly ReadableSpan[][]): Promise<void> {
  return batches.reduce<Promise<void>>(
    (previous, batch) => previous.then(() => exportOne(exporter, batch)),
    Promise.resolve(),
  );
}

function exportOne(exporter: SpanExporter, batch: ReadableSpan[]): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    exporter.export(batch, (result) =>
      result.code === 0 ? resolve() : reject(result.error ?? new Error("export failed")),
    ),
  );
}

/** The BatchSpanProcessor's default batch. */
const OTLP_BATCH = 512;

function spanBatches(count: number): ReadableSpan[][] {
  const spans = makeSpans(count);
  const batches: ReadableSpan[][] = [];
  for (let i = 0; i < spans.length; i += OTLP_BATCH) batches.push(spans.slice(i, i + OTLP_BATCH));
  return batches;
}

/** The requests `@opentelemetry/exporter-trace-otlp-proto` sends for `batches`, caught by a server that keeps them. */
async function captureOtlp(batches: readonly ReadableSpan[][]): Promise<ReplayRequest[]> {
  const requests: ReplayRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = { "content-type": String(req.headers["content-type"]) };
      if (req.headers["content-encoding"] !== undefined)
        headers["content-encoding"] = String(req.headers["content-encoding"]);
      requests.push({ method: "POST", path: "/v1/traces", headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const exporter = new OTLPTraceExporter({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
  });
  try {
    await exportAll(exporter, batches);
  } finally {
    await exporter.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return requests;
}

/**
 * `ui/ingest/otlp`: the server's capacity. The protobuf bodies the OTLP proto exporter made for
 * the batches, `LANES` in flight at once from the replay child; beside one
 * `JsonLinesFileExporter` given the same batches at once (it appends them one after another).
 */
export async function ingestOtlp(options: Options, replayer: Replayer): Promise<UiIngestFigure> {
  const batches = spanBatches(options.quick ? 10 * OTLP_BATCH : 40 * OTLP_BATCH);
  const spans = batches.reduce((n, b) => n + b.length, 0);
  const requests = await captureOtlp(batches);
  const reps = options.quick ? 5 : 7;
  const id = "ui/ingest/otlp";
  const lines = async (dir: string) => (await readFile(join(dir, "traces.jsonl"), "utf8")).trim().split("\n").length;
  const [serverMs, directMs] = await paired(
    reps,
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, ui: await startUi({ dir, port: 0 }) };
      },
      ({ ui }) => replayer.run({ url: ui.url, setup: [], scripts: requests.map((r) => [r]), lanes: LANES }),
      async ({ dir, ui }) => {
        await ui.close();
        if ((await lines(dir)) !== batches.length) throw new Error(`bench ${id}: the trace file misses lines`);
        await rm(dir, { recursive: true, force: true });
      },
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, exporter: new JsonLinesFileExporter(join(dir, "traces.jsonl")) };
      },
      async ({ exporter }) => {
        await Promise.all(batches.map((batch) => exportOne(exporter, batch)));
      },
      async ({ dir, exporter }) => {
        await exporter.shutdown();
        if ((await lines(dir)) !== batches.length) throw new Error(`bench ${id}: the trace file misses lines`);
        await rm(dir, { recursive: true, force: true });
      },
    ),
  );
  return ingestFigure({
    id,
    label: `${batches.length} exports of ≤ ${OTLP_BATCH}, ${LANES} at once (replayed)`,
    unit: "spans",
    items: spans,
    serverMs,
    directMs,
    direct: "JsonLinesFileExporter",
    target: true,
  });
}

/** Context: one OTLP proto exporter in this process exporting batch after batch, end to end. */
export async function ingestOtlpOneExporter(options: Options): Promise<UiIngestFigure> {
  const batches = spanBatches(options.quick ? 5_000 : 20_000);
  const spans = batches.reduce((n, b) => n + b.length, 0);
  const runs = options.quick ? 3 : 5;
  const [serverMs, directMs] = await paired(
    runs,
    timing(
      async () => {
        const dir = await tempDir();
        const ui = await startUi({ dir, port: 0 });
        return { dir, ui, exporter: new OTLPTraceExporter({ url: `${ui.url}/v1/traces` }) };
      },
      ({ exporter }) => exportAll(exporter, batches),
      async ({ dir, ui, exporter }) => {
        await exporter.shutdown();
        await ui.close();
        await rm(dir, { recursive: true, force: true });
      },
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, exporter: new JsonLinesFileExporter(join(dir, "traces.jsonl")) };
      },
      ({ exporter }) => exportAll(exporter, batches),
      async ({ dir, exporter }) => {
        await exporter.shutdown();
        await rm(dir, { recursive: true, force: true });
      },
    ),
  );
  return ingestFigure({
    id: "ui/ingest/otlp/1-exporter",
    label: "1 OTLP proto exporter, batch after batch, in process",
    unit: "spans",
    items: spans,
    serverMs,
    directMs,
    direct: "JsonLinesFileExporter",
    target: false,
  });
}
