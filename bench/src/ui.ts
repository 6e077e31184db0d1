/**
 * `hamilton-ts-ui` (`@hamilton-ts/ui`): how fast it takes records in, and how fast its read API
 * answers over a large store.
 *
 * - `ui/ingest/tracking`: node runs per second through the Hamilton UI tracking protocol
 *   (`HamiltonUIClient` → `startUi`), beside writing the same records in the same batches with
 *   `FileSink` directly; target ≥ 0.5× FileSink.
 * - `ui/ingest/otlp`: spans per second through OTLP/HTTP protobuf (`@opentelemetry/exporter-trace-otlp-proto`
 *   → `startUi`), beside writing the same spans in the same batches with the OTLP JSON-lines file
 *   exporter (`@hamilton-ts/otlp-file`) directly; target ≥ 0.5×.
 * - `ui/store/10000-runs`: `startUi` over a store of 10,000 runs (start-up time, the index built),
 *   then `GET /api/runs`; target ≤ 200 ms.
 * - `ui/run/10000-nodes`: `GET /api/runs/:runId` of a run of 10,000 node runs; target ≤ 300 ms.
 *
 * The records are real: a `HamiltonTracker` run of the fan shape, captured by a sink that keeps
 * them. Times are medians of the repetitions (the first answer after start-up is printed too).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
import {
  FileSink,
  HamiltonTracker,
  HamiltonUIClient,
  runFile,
  templateFile,
  type RunRecord,
  type SinkWriteOptions,
  type TrackerRecord,
} from "@hamilton-ts/tracker";
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
import { median } from "./measure.js";
import { selected, type Options } from "./options.js";
import type { TargetCheck } from "./results.js";
import type { Section } from "./section.js";
import { fan } from "./shapes.js";
import { table } from "./table.js";

/** Ingest through the server ÷ direct writes: at least this. */
export const UI_INGEST_RATIO = 0.5;
/** `GET /api/runs` over 10,000 runs, ms. */
export const UI_LIST_MS = 200;
/** `GET /api/runs/:runId` of a 10,000-node run, ms. */
export const UI_RUN_MS = 300;

/** One ingest figure: the same records through the server and written directly. */
export interface UiIngestFigure {
  readonly id: string;
  readonly unit: "node runs" | "spans";
  readonly items: number;
  /** Median time through the server, ms. */
  readonly serverMs: number;
  /** Median time written directly, ms. */
  readonly directMs: number;
  readonly serverPerSecond: number;
  readonly directPerSecond: number;
  /** serverPerSecond ÷ directPerSecond. */
  readonly ratio: number;
  readonly direct: string;
}

/** One read figure. */
export interface UiReadFigure {
  readonly id: string;
  readonly label: string;
  /** `startUi` until listening, the store's index built, ms. */
  readonly startupMs: number;
  /** The first answer after start-up, ms. */
  readonly firstMs: number;
  /** Median answer, ms. */
  readonly medianMs: number;
  readonly limitMs: number;
}

export interface UiFigures {
  readonly ingest: readonly UiIngestFigure[];
  readonly reads: readonly UiReadFigure[];
}

const PROJECT = 1;
const USER = "bench@example.com";
const noSignal: SinkWriteOptions = { signal: new AbortController().signal };

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "hamilton-ts-bench-ui-"));
}

/**
 * The records `runs` `HamiltonTracker` runs of the fan shape (one DAG, so one template) hand their
 * sink, batch by batch (the tracker's batches of 100 records), and how many node runs they hold.
 */
async function trackerBatches(nodes: number, runs = 1): Promise<{ batches: TrackerRecord[][]; nodeRuns: number }> {
  const batches: TrackerRecord[][] = [];
  const tracker = new HamiltonTracker({
    projectId: PROJECT,
    username: USER,
    dagName: `fan-${nodes}`,
    sink: { write: async (_project, records) => void batches.push([...records]) },
    // Keep every record of a large run (a capture, not a sink that could fall behind).
    queueCapacity: 1_000_000,
    onError: () => {},
  });
  const shape = fan(nodes);
  const dr = new Builder().withModules(shape.module).withAdapters(tracker).build();
  for (let i = 0; i < runs; i++) await dr.execute([shape.finalVar] as never[], { inputs: shape.inputs });
  await tracker.shutdown();
  const finals = new Set<string>();
  for (const batch of batches)
    for (const r of batch)
      if (r.type === "node_run" && r.status !== "RUNNING") finals.add(`${r.runId}/${r.taskId}/${r.node}`);
  return { batches, nodeRuns: finals.size };
}

/** Median of `runs` timings of `act` (each with its own fresh setup, not timed). */
async function timed<T>(
  runs: number,
  setup: () => Promise<T>,
  act: (input: T) => Promise<void>,
  teardown: (input: T) => Promise<void>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = await setup();
    try {
      const started = performance.now();
      await act(input);
      if (i >= 0) times.push(performance.now() - started);
    } finally {
      await teardown(input);
    }
  }
  return median(times);
}

function ingestFigure(
  id: string,
  unit: UiIngestFigure["unit"],
  items: number,
  serverMs: number,
  directMs: number,
  direct: string,
): UiIngestFigure {
  const serverPerSecond = (items * 1000) / serverMs;
  const directPerSecond = (items * 1000) / directMs;
  return {
    id,
    unit,
    items,
    serverMs,
    directMs,
    serverPerSecond,
    directPerSecond,
    ratio: serverPerSecond / directPerSecond,
    direct,
  };
}

async function ingestTracking(options: Options): Promise<UiIngestFigure> {
  const { batches, nodeRuns } = await trackerBatches(500, options.quick ? 4 : 10);
  const runs = options.quick ? 3 : 5;
  const serverMs = await timed(
    runs,
    async () => {
      const dir = await tempDir();
      const ui = await startUi({ dir, port: 0 });
      return { dir, ui, client: new HamiltonUIClient({ baseUrl: ui.url, username: USER }) };
    },
    async ({ client }) => {
      for (const batch of batches) await client.write(PROJECT, batch, noSignal);
    },
    async ({ dir, ui }) => {
      await ui.close();
      await rm(dir, { recursive: true, force: true });
    },
  );
  const directMs = await timed(
    runs,
    async () => {
      const dir = await tempDir();
      return { dir, sink: new FileSink({ dir }) };
    },
    async ({ sink }) => {
      for (const batch of batches) await sink.write(PROJECT, batch);
    },
    async ({ dir }) => rm(dir, { recursive: true, force: true }),
  );
  return ingestFigure("ui/ingest/tracking", "node runs", nodeRuns, serverMs, directMs, "FileSink");
}

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
    (previous, batch) =>
      previous.then(
        () =>
          new Promise<void>((resolve, reject) =>
            exporter.export(batch, (result) =>
              result.code === 0 ? resolve() : reject(result.error ?? new Error("export failed")),
            ),
          ),
      ),
    Promise.resolve(),
  );
}

async function ingestOtlp(options: Options): Promise<UiIngestFigure> {
  const spans = makeSpans(options.quick ? 5_000 : 20_000);
  // The BatchSpanProcessor's default batch.
  const batches: ReadableSpan[][] = [];
  for (let i = 0; i < spans.length; i += 512) batches.push(spans.slice(i, i + 512));
  const runs = options.quick ? 3 : 5;
  const serverMs = await timed(
    runs,
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
  );
  const directMs = await timed(
    runs,
    async () => {
      const dir = await tempDir();
      return { dir, exporter: new JsonLinesFileExporter(join(dir, "traces.jsonl")) };
    },
    ({ exporter }) => exportAll(exporter, batches),
    async ({ dir, exporter }) => {
      await exporter.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  );
  return ingestFigure("ui/ingest/otlp", "spans", spans.length, serverMs, directMs, "JsonLinesFileExporter");
}

/** Times `requests` GETs of `path` against a server started over `dir`. */
async function readTimes(
  id: string,
  label: string,
  dir: string,
  path: string,
  limitMs: number,
  requests: number,
): Promise<UiReadFigure> {
  const started = performance.now();
  const ui = await startUi({ dir, port: 0 });
  const startupMs = performance.now() - started;
  try {
    // The client's first request (fetch loads and compiles its HTTP client) is not the server's time.
    await (await fetch(`${ui.url}/api/v1/health`)).text();
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const res = await fetch(`${ui.url}${path}`);
      const text = await res.text();
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`bench ${id}: GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    return { id, label, startupMs, firstMs: times[0]!, medianMs: median(times), limitMs };
  } finally {
    await ui.close();
  }
}

/** A store of `count` runs, each the records of one small tracker run (its run id changed), written in the store's layout. */
async function storeOfRuns(dir: string, count: number): Promise<void> {
  const { batches } = await trackerBatches(5);
  const records = batches.flat();
  const template = records.find((r) => r.type === "dag_template")!;
  const runId = (records.find((r) => r.type === "run") as RunRecord).runId;
  const lines = records
    .filter((r) => r.type !== "dag_template")
    .map((r) => JSON.stringify(r))
    .join("\n");
  const path = templateFile(dir, PROJECT, template.graphVersion);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(template)}\n`);
  await mkdir(dirname(runFile(dir, PROJECT, "x")), { recursive: true });
  for (let i = 0; i < count; i++) {
    const id = `run-${String(i).padStart(5, "0")}`;
    const text = lines
      .replaceAll(runId, id)
      .replace(/"startTime":(\d+)/g, (_, t: string) => `"startTime":${Number(t) + i}`);
    await writeFile(runFile(dir, PROJECT, id), `${text}\n`);
  }
}

async function reads(options: Options): Promise<UiReadFigure[]> {
  const out: UiReadFigure[] = [];
  const requests = options.quick ? 5 : 11;
  if (selected(options, "ui/store/10000-runs")) {
    const dir = await tempDir();
    try {
      await storeOfRuns(dir, 10_000);
      out.push(
        await readTimes(
          "ui/store/10000-runs",
          "GET /api/runs (10,000 runs in the store)",
          dir,
          "/api/runs",
          UI_LIST_MS,
          requests,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (selected(options, "ui/run/10000-nodes")) {
    const dir = await tempDir();
    try {
      const { batches } = await trackerBatches(10_000);
      const sink = new FileSink({ dir });
      for (const batch of batches) await sink.write(PROJECT, batch);
      const runId = (batches.flat().find((r) => r.type === "run") as RunRecord).runId;
      out.push(
        await readTimes(
          "ui/run/10000-nodes",
          "GET /api/runs/:runId (a run of 10,001 node runs)",
          dir,
          `/api/runs/${encodeURIComponent(runId)}`,
          UI_RUN_MS,
          requests,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}

const mark = (ok: boolean) => (ok ? "✓" : "✗");
const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function render(figures: UiFigures): string {
  const out: string[] = [];
  if (figures.ingest.length > 0) {
    out.push("### hamilton-ts-ui: ingest, through the server vs written directly", "");
    out.push(
      table(
        [
          "id",
          "items",
          "through the server /s",
          "written directly /s",
          "directly with",
          "ratio",
          `target ≥ ${UI_INGEST_RATIO}×`,
        ],
        figures.ingest.map((f) => [
          f.id,
          `${n(f.items)} ${f.unit}`,
          n(f.serverPerSecond),
          n(f.directPerSecond),
          f.direct,
          `${n(f.ratio, 2)}×`,
          mark(f.ratio >= UI_INGEST_RATIO),
        ]),
        [false, true, true, true, false, true, false],
      ),
      "",
    );
  }
  if (figures.reads.length > 0) {
    out.push("### hamilton-ts-ui: the read API over a large store", "");
    out.push(
      table(
        ["id", "request", "start-up ms", "first ms", "median ms", "target"],
        figures.reads.map((f) => [
          f.id,
          f.label,
          n(f.startupMs),
          n(f.firstMs),
          n(f.medianMs),
          `≤ ${f.limitMs} ms ${mark(f.medianMs <= f.limitMs)}`,
        ]),
        [false, false, true, true, true, false],
      ),
      "",
    );
  }
  return out.join("\n");
}

function targets(figures: UiFigures): TargetCheck[] {
  return [
    ...figures.ingest.map((f) => ({
      name: `${f.id}: through the server ÷ ${f.direct}`,
      figure: `${n(f.ratio, 2)}×`,
      limit: `≥ ${UI_INGEST_RATIO}×`,
      ok: f.ratio >= UI_INGEST_RATIO,
    })),
    ...figures.reads.map((f) => ({
      name: `${f.id}: ${f.label}`,
      figure: `${n(f.medianMs)} ms`,
      limit: `≤ ${f.limitMs} ms`,
      ok: f.medianMs <= f.limitMs,
    })),
  ];
}

/** The `ui/…` figures, as a section of the report; undefined when `--only` selects none. */
export async function uiSuite(options: Options): Promise<Section | undefined> {
  const ingest: UiIngestFigure[] = [];
  if (selected(options, "ui/ingest/tracking")) {
    process.stderr.write("ui/ingest/tracking\n");
    ingest.push(await ingestTracking(options));
  }
  if (selected(options, "ui/ingest/otlp")) {
    process.stderr.write("ui/ingest/otlp\n");
    ingest.push(await ingestOtlp(options));
  }
  process.stderr.write("ui reads\n");
  const figures: UiFigures = { ingest, reads: await reads(options) };
  if (figures.ingest.length === 0 && figures.reads.length === 0) return undefined;
  return { id: "ui", figures, markdown: render(figures), targets: targets(figures) };
}
