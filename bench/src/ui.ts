/**
 * `hamilton-ts-ui` (`@hamilton-ts/ui`): how fast it takes records in, and how fast its read API
 * answers over a large store.
 *
 * - `ui/ingest/tracking`: the server's capacity for the tracking protocol, node runs per second.
 *   20 runs (as 20 processes × 1,000 node runs would) reported at once: the requests a real
 *   `HamiltonUIClient` sent for them (captured once, untimed), replayed against a fresh `startUi`
 *   from a child process (`ui-replay.ts`), 20 lanes on their own connections, each sending one run's
 *   requests one after another; every record is on disk before its answer, and the store is checked
 *   to hold every node run afterwards. Beside one `FileSink` writing the same runs' batches, 20 runs
 *   at a time; target ≥ 0.5× FileSink.
 * - `ui/ingest/otlp`: the same for `POST /v1/traces`, spans per second: the protobuf bodies of
 *   `@opentelemetry/exporter-trace-otlp-proto`, 20 requests in flight, beside the OTLP JSON-lines
 *   file exporter (`@hamilton-ts/otlp-file`) given the same batches; target ≥ 0.5×.
 * - Context rows, no target: `ui/ingest/tracking/1-client` (one `HamiltonUIClient` in this process,
 *   batch after batch, end to end, beside `FileSink` batch after batch) and `ui/ingest/otlp/1-exporter`
 *   (one proto exporter in this process, batch after batch, beside the file exporter).
 * - `ui/store/10000-runs`: `startUi` over a store of 10,000 runs (start-up time, the index built),
 *   then `GET /api/runs`; target ≤ 200 ms.
 * - `ui/run/10000-nodes`: `GET /api/runs/:runId` of a run of 10,000 node runs; target ≤ 300 ms.
 *
 * The records are real: a `HamiltonTracker` run of the fan shape, captured by a sink that keeps
 * them. Times are medians of the repetitions (the first answer after start-up is printed too).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Builder } from "@hamilton-ts/core";
import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
import {
  FileSink,
  HamiltonTracker,
  HamiltonUIClient,
  readFileStore,
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
import type { ReplayJob, ReplayRequest, ReplayResult } from "./ui-replay.js";

/** Ingest through the server ÷ direct writes: at least this. */
export const UI_INGEST_RATIO = 0.5;
/** `GET /api/runs` over 10,000 runs, ms. */
export const UI_LIST_MS = 200;
/** `GET /api/runs/:runId` of a 10,000-node run, ms. */
export const UI_RUN_MS = 300;

/** One ingest figure: the same records through the server and written directly. */
export interface UiIngestFigure {
  readonly id: string;
  /** What the row measures, in a few words. */
  readonly label: string;
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
  /** True for the figures checked against the target; false for a context row. */
  readonly target: boolean;
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
/** Clients reporting at once in the capacity figures (as 20 reporting processes would). */
const LANES = 20;

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
  return { batches, nodeRuns: finalNodeRuns(batches.flat()) };
}

/** The number of node runs with a final record among `records`. */
function finalNodeRuns(records: readonly TrackerRecord[]): number {
  const finals = new Set<string>();
  for (const r of records)
    if (r.type === "node_run" && r.status !== "RUNNING") finals.add(`${r.runId}/${r.taskId}/${r.node}`);
  return finals.size;
}

/** One timed repetition: a fresh setup (not timed), `act` (timed, or reporting its own time), a teardown. */
interface Timing {
  once(): Promise<number>;
}

function timing<T>(
  setup: () => Promise<T>,
  act: (input: T) => Promise<number | void>,
  teardown: (input: T) => Promise<void>,
): Timing {
  return {
    async once() {
      const input = await setup();
      try {
        const started = performance.now();
        const reported = await act(input);
        return typeof reported === "number" ? reported : performance.now() - started;
      } finally {
        await teardown(input);
      }
    },
  };
}

/**
 * Medians of `reps` repetitions of the server's figure and the direct one, taken in turns (server,
 * direct, server, …), so that both see the same load of a busy machine.
 */
async function paired(reps: number, server: Timing, direct: Timing): Promise<[number, number]> {
  const serverTimes: number[] = [];
  const directTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    serverTimes.push(await server.once());
    directTimes.push(await direct.once());
  }
  return [median(serverTimes), median(directTimes)];
}

function ingestFigure(fields: Omit<UiIngestFigure, "serverPerSecond" | "directPerSecond" | "ratio">): UiIngestFigure {
  const serverPerSecond = (fields.items * 1000) / fields.serverMs;
  const directPerSecond = (fields.items * 1000) / fields.directMs;
  return { ...fields, serverPerSecond, directPerSecond, ratio: serverPerSecond / directPerSecond };
}

/** The replay child process (see `ui-replay.ts`): one job at a time. */
class Replayer {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = fork(fileURLToPath(new URL("./ui-replay.js", import.meta.url)), [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
  }

  /** Replays a job; resolves with the child's wall time of it, ms. */
  run(job: ReplayJob): Promise<number> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench: the replay process exited (${code})`));
      this.#child.once("exit", onExit);
      this.#child.once("message", (result: ReplayResult) => {
        this.#child.off("exit", onExit);
        if ("error" in result) reject(new Error(`bench: replay failed: ${result.error}`));
        else resolve(result.ms);
      });
      this.#child.send(job);
    });
  }

  close(): void {
    this.#child.kill();
  }
}

/** The requests a `HamiltonUIClient` sent while it wrote `batches`: the setup, and one script per run. */
interface TrackingCapture {
  readonly setup: ReplayRequest[];
  readonly scripts: ReplayRequest[][];
}

/**
 * Sends `batches` with a real `HamiltonUIClient` to a real server (not timed) and keeps every
 * request it made, as the replay child sends them again: the dag_run and template ids the server
 * handed out become `{run}` and `{template}`, the ids the replayed server hands out.
 */
async function captureTracking(batches: readonly TrackerRecord[][]): Promise<TrackingCapture> {
  const dir = await tempDir();
  const ui = await startUi({ dir, port: 0 });
  const log: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | undefined;
    answer: string;
  }[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const answer = await response.clone().text();
    log.push({
      method: init?.method ?? "GET",
      path: String(input).slice(ui.url.length),
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : undefined,
      answer,
    });
    return response;
  };
  try {
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: USER });
    for (const batch of batches) await client.write(PROJECT, batch, noSignal);
  } finally {
    globalThis.fetch = realFetch;
    await ui.close();
    await rm(dir, { recursive: true, force: true });
  }
  const setup: ReplayRequest[] = [];
  const scripts = new Map<number, ReplayRequest[]>();
  const runOf = (id: string, path: string) => {
    const script = scripts.get(Number(id));
    if (script === undefined) throw new Error(`bench: captured ${path} before its run was created`);
    return script;
  };
  for (const entry of log) {
    const request = (path: string, saveAs?: string): ReplayRequest => ({
      method: entry.method as ReplayRequest["method"],
      path,
      headers: entry.headers,
      body: entry.body === undefined ? undefined : Buffer.from(entry.body),
      ...(saveAs === undefined ? {} : { saveAs }),
    });
    let m: RegExpExecArray | null;
    if (entry.method === "POST" && (m = /^(\/api\/v1\/dag_runs\?dag_template_id=)(\d+)$/.exec(entry.path))) {
      const id = (JSON.parse(entry.answer) as { id: number }).id;
      scripts.set(id, [request(`${m[1]}{template}`, "run")]);
    } else if ((m = /^(\/api\/v1\/dag_runs_bulk\?dag_run_id=)(\d+)$/.exec(entry.path))) {
      runOf(m[2]!, entry.path).push(request(`${m[1]}{run}`));
    } else if ((m = /^\/api\/v1\/dag_runs\/(\d+)\/$/.exec(entry.path))) {
      runOf(m[1]!, entry.path).push(request("/api/v1/dag_runs/{run}/"));
    } else if (entry.method === "POST" && entry.path.startsWith("/api/v1/dag_templates?")) {
      setup.push(request(entry.path, "template"));
    } else if (entry.method === "GET") {
      setup.push(request(entry.path));
    } else {
      throw new Error(`bench: HamiltonUIClient sent ${entry.method} ${entry.path}, which the replay does not know`);
    }
  }
  return { setup, scripts: [...scripts.values()] };
}

/** Each run's records, in the tracker's batches (a batch cut to the run's records), and the templates. */
function batchesPerRun(batches: readonly TrackerRecord[][]): { templates: TrackerRecord[]; runs: TrackerRecord[][][] } {
  const templates: TrackerRecord[] = [];
  const runs = new Map<string, TrackerRecord[][]>();
  for (const batch of batches) {
    const parts = new Map<string, TrackerRecord[]>();
    for (const record of batch) {
      if (record.type === "dag_template") {
        templates.push(record);
        continue;
      }
      let part = parts.get(record.runId);
      if (part === undefined) parts.set(record.runId, (part = []));
      part.push(record);
    }
    for (const [runId, part] of parts) {
      let list = runs.get(runId);
      if (list === undefined) runs.set(runId, (list = []));
      list.push(part);
    }
  }
  return { templates, runs: [...runs.values()] };
}

/** Runs `work` over `items`, `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/** Checks that a store holds `nodeRuns` finished node runs (every record written before its answer). */
async function checkStore(dir: string, nodeRuns: number, id: string): Promise<void> {
  const { runs } = await readFileStore(dir);
  const found = runs.reduce((n, r) => n + r.nodes.filter((node) => node.status !== "RUNNING").length, 0);
  if (found !== nodeRuns)
    throw new Error(`bench ${id}: the store holds ${found} finished node runs, expected ${nodeRuns}`);
}

/**
 * `ui/ingest/tracking`: the server's capacity. `LANES` clients report runs at once: the requests a
 * real `HamiltonUIClient` sent for them, replayed from a child process, each lane on its own
 * connection; beside one `FileSink` writing the same runs' batches, `LANES` runs at a time.
 */
async function ingestTracking(options: Options, replayer: Replayer): Promise<UiIngestFigure> {
  const runsCount = LANES;
  const { batches, nodeRuns } = await trackerBatches(options.quick ? 500 : 1000, runsCount);
  const capture = await captureTracking(batches);
  const perRun = batchesPerRun(batches);
  const reps = options.quick ? 5 : 7;
  const id = "ui/ingest/tracking";
  const [serverMs, directMs] = await paired(
    reps,
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, ui: await startUi({ dir, port: 0 }) };
      },
      ({ ui }) => replayer.run({ url: ui.url, setup: capture.setup, scripts: capture.scripts, lanes: LANES }),
      async ({ dir, ui }) => {
        await ui.close();
        await checkStore(dir, nodeRuns, id);
        await rm(dir, { recursive: true, force: true });
      },
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, sink: new FileSink({ dir }) };
      },
      async ({ sink }) => {
        await sink.write(PROJECT, perRun.templates);
        await inLanes(perRun.runs, LANES, async (run) => {
          for (const batch of run) await sink.write(PROJECT, batch);
        });
      },
      async ({ dir }) => {
        await checkStore(dir, nodeRuns, id);
        await rm(dir, { recursive: true, force: true });
      },
    ),
  );
  return ingestFigure({
    id,
    label: `${runsCount} runs, ${LANES} clients at once (replayed)`,
    unit: "node runs",
    items: nodeRuns,
    serverMs,
    directMs,
    direct: "FileSink",
    target: true,
  });
}

/** Context: one `HamiltonUIClient` in this process sending batch after batch, end to end. */
async function ingestTrackingOneClient(options: Options): Promise<UiIngestFigure> {
  const { batches, nodeRuns } = await trackerBatches(500, options.quick ? 4 : 10);
  const runs = options.quick ? 3 : 5;
  const [serverMs, directMs] = await paired(
    runs,
    timing(
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
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, sink: new FileSink({ dir }) };
      },
      async ({ sink }) => {
        for (const batch of batches) await sink.write(PROJECT, batch);
      },
      async ({ dir }) => rm(dir, { recursive: true, force: true }),
    ),
  );
  return ingestFigure({
    id: "ui/ingest/tracking/1-client",
    label: "1 HamiltonUIClient, batch after batch, in process",
    unit: "node runs",
    items: nodeRuns,
    serverMs,
    directMs,
    direct: "FileSink",
    target: false,
  });
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
async function ingestOtlp(options: Options, replayer: Replayer): Promise<UiIngestFigure> {
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
async function ingestOtlpOneExporter(options: Options): Promise<UiIngestFigure> {
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
          "what",
          "items",
          "through the server /s",
          "written directly /s",
          "directly with",
          "ratio",
          `target ≥ ${UI_INGEST_RATIO}×`,
        ],
        figures.ingest.map((f) => [
          f.id,
          f.label,
          `${n(f.items)} ${f.unit}`,
          n(f.serverPerSecond),
          n(f.directPerSecond),
          f.direct,
          `${n(f.ratio, 2)}×`,
          f.target ? mark(f.ratio >= UI_INGEST_RATIO) : "context",
        ]),
        [false, false, true, true, true, false, true, false],
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
    ...figures.ingest
      .filter((f) => f.target)
      .map((f) => ({
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
  const ingestIds = ["ui/ingest/tracking", "ui/ingest/otlp"];
  const replayer = ingestIds.some((id) => selected(options, id)) ? new Replayer() : undefined;
  try {
    if (selected(options, "ui/ingest/tracking")) {
      process.stderr.write("ui/ingest/tracking\n");
      ingest.push(await ingestTracking(options, replayer!));
      ingest.push(await ingestTrackingOneClient(options));
    }
    if (selected(options, "ui/ingest/otlp")) {
      process.stderr.write("ui/ingest/otlp\n");
      ingest.push(await ingestOtlp(options, replayer!));
      ingest.push(await ingestOtlpOneExporter(options));
    }
  } finally {
    replayer?.close();
  }
  process.stderr.write("ui reads\n");
  const figures: UiFigures = { ingest, reads: await reads(options) };
  if (figures.ingest.length === 0 && figures.reads.length === 0) return undefined;
  return { id: "ui", figures, markdown: render(figures), targets: targets(figures) };
}
