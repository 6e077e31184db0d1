/**
 * The `store/…` figures' store: a generated store directory in the tracker's layout (what
 * `FileSink` and the OTLP JSON-lines exporter write), of `runs` runs of a few projects and DAGs,
 * ~16 node runs each (fan-out items, failures with their errors, tags, a cache hit now and then),
 * the DAGs' templates, one run of 10,000 node runs, and a `traces.jsonl` with 10 spans per run
 * linked to its node runs (trace and span ids as the tracer leaves them on node events).
 *
 * Generated once per size and kept in `bench/.cache/store-<runs>-v<version>/` (gitignored): a
 * `fixture.json` beside the store, written last, says it is complete. Each measurement works on a
 * hard-linked copy (`cp -al`), so the index a server builds inside a store never reaches the cache.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type DagTemplateRecord,
  type NodeRunRecord,
  type NodeTemplate,
  type RunRecord,
  runFile,
  templateFile,
} from "@hamilton-ts/tracker";

/** Bump when the generated store changes shape: older caches are then generated again. */
const FIXTURE_VERSION = 2;
const DAY_MS = 86_400_000;
/** The generated runs start over this many days, the newest ending at generation time. */
export const FIXTURE_DAYS = 90;
/** The main project, holding almost every run (its four DAGs, the 10,000-node run). */
export const MAIN_PROJECT = "1";
/** A small second project: every 50th run. */
export const SIDE_PROJECT = "2";
/** The main project's DAGs; run `i` belongs to `MAIN_DAGS[i % 4]`. */
export const MAIN_DAGS = ["etl", "features", "training", "report"] as const;
const SIDE_DAG = "scratch";
const BIG_DAG = "fanout-10k";
/** Node runs in the fixture's large run. */
export const BIG_RUN_NODES = 10_000;
/** The transforms every generated DAG has, in order; each run runs them, then the fan-out. */
const TRANSFORMS = [
  "raw",
  "clean",
  "dedupe",
  "features_a",
  "features_b",
  "joined",
  "scores",
  "threshold",
  "labels",
  "metrics",
  "summary",
  "report_table",
] as const;
/** The fan-out's items per run: `items` (expand), `work` per item, `total` (collect). */
const FAN_ITEMS = 2;
/** The transform that fails in a failed run (the ones after it do not run). */
const FAILING = "threshold";
/** Spans per run: the run's own and one per node run of the first nine transforms. */
export const SPANS_PER_RUN = 10;
/** Runs whose spans share one line of the trace file (one export of ~500 spans). */
const RUNS_PER_TRACE_LINE = 50;
/** Run files written at once. */
const WRITERS = 64;

/** What a generated store holds, and what the figures ask it for. */
export interface StoreFixture {
  /** The store's directory. */
  readonly dir: string;
  readonly runs: number;
  readonly nodeRuns: number;
  readonly spans: number;
  /** The run of {@link BIG_RUN_NODES} node runs. */
  readonly bigRunId: string;
  /** A trace in the middle of the trace file, and its span count. */
  readonly traceId: string;
  readonly traceSpans: number;
  /** Runs of the main project's first DAG (the node history's DAG). */
  readonly historyRuns: number;
  /** The oldest run's start, ms since the epoch. */
  readonly oldestStart: number;
  /** The newest run's start. */
  readonly newestStart: number;
  /** Seconds generating it took (0 when it came from the cache and it was not measured). */
  readonly generatedSeconds: number;
}

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

function uuidOf(text: string): string {
  const h = hex(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `bench/.cache/` (gitignored). */
export function cacheRoot(): string {
  return fileURLToPath(new URL("../.cache/", import.meta.url));
}

function nodeTemplate(name: string, deps: readonly string[], kind: string, dag: string, line: number): NodeTemplate {
  const source = `export function ${name}({ ${deps.join(", ")} }) {\n  return step(${JSON.stringify(name)}, ${deps.join(", ") || "undefined"});\n}`;
  return {
    name,
    functionName: name,
    dependencies: deps,
    optionalDependencies: [],
    tags: kind === "transform" ? { stage: dag } : {},
    documentation: `The ${name.replace("_", " ")} of the ${dag} pipeline.`,
    source: kind === "input" ? "" : source,
    classification: kind === "input" ? "input" : "transform",
    kind,
    version: hex(`${dag}/${name}/${source}`).slice(0, 16),
    sourceFile: kind === "input" ? undefined : `src/${dag}.ts`,
    sourceLine: kind === "input" ? undefined : line,
    sourceMapped: kind === "input" ? undefined : true,
  };
}

function template(dag: string, version: number, big = false): DagTemplateRecord {
  const nodes: NodeTemplate[] = [nodeTemplate("date", [], "input", dag, 0)];
  if (!big) {
    let previous = "date";
    TRANSFORMS.forEach((name, i) => {
      nodes.push(nodeTemplate(name, [previous], "transform", dag, 10 + i * 6));
      previous = name;
    });
  }
  nodes.push(nodeTemplate("items", ["date"], "expand", dag, 100));
  nodes.push(nodeTemplate("work", ["items"], "transform", dag, 110));
  nodes.push(nodeTemplate("total", ["work"], "collect", dag, 120));
  nodes.sort((a, b) => (a.name < b.name ? -1 : 1));
  const graphVersion = hex(`${dag}@${version}`).slice(0, 32);
  return {
    type: "dag_template",
    graphVersion,
    dagName: dag,
    dagHash: hex(`${dag}/structure`),
    codeHash: hex(`${dag}/code@${version}`),
    createdAt: Date.UTC(2026, 0, 1) + version * DAY_MS,
    config: { region: { kind: "string", length: 9, preview: "eu-west-1", truncated: false } },
    tags: { team: dag === "training" ? "ml" : "data", owner: "bench" },
    nodes,
  };
}

/** A node run's final record, in the tracker's key order. */
function nodeRun(
  runId: string,
  node: string,
  taskId: string | undefined,
  start: number,
  ms: number,
  failed: string | undefined,
  result: NodeRunRecord["result"],
  trace: { traceId: string; spanId: string } | undefined,
  hit: boolean,
): NodeRunRecord {
  return {
    type: "node_run",
    runId,
    node,
    taskId,
    attempt: 1,
    status: failed === undefined ? "SUCCESS" : "FAILURE",
    startTime: start,
    endTime: start + ms,
    durationMs: ms,
    result: failed === undefined ? result : undefined,
    error:
      failed === undefined
        ? undefined
        : {
            type: "ValueError",
            message: failed,
            stack: `ValueError: ${failed}\n    at ${node} (src/pipeline.ts:52:11)\n    at execute (node_modules/@hamilton-ts/core/dist/run.js:310:20)`,
            cause: undefined,
          },
    warnings: undefined,
    traceId: trace?.traceId,
    spanId: trace?.spanId,
    cache: hit ? "hit" : undefined,
    cacheKey: hit ? hex(`${node}/key`).slice(0, 40) : undefined,
    cacheFromRun: hit ? uuidOf("cache-source") : undefined,
  };
}

function resultOf(node: string, i: number): NodeRunRecord["result"] {
  if (node === "report_table" || node === "summary")
    return {
      kind: "string",
      length: 480,
      preview: `batch ${i}: ${node} of ${(i * 7919) % 100_000} rows, 12 columns, 3 flagged`,
      truncated: true,
    };
  if (node === "metrics")
    return {
      kind: "object",
      type: "Object",
      size: 3,
      entries: {
        precision: { kind: "primitive", type: "number", value: ((i * 37) % 1000) / 1000 },
        recall: { kind: "primitive", type: "number", value: ((i * 53) % 1000) / 1000 },
        rows: { kind: "primitive", type: "number", value: (i * 7919) % 100_000 },
      },
      truncated: false,
    };
  return { kind: "primitive", type: "number", value: (i * 31 + node.length) % 10_007 };
}

interface RunPlan {
  readonly i: number;
  readonly project: string;
  readonly dag: string;
  readonly template: DagTemplateRecord;
  readonly runId: string;
  readonly traceId: string;
  readonly start: number;
  readonly failed: boolean;
}

/** A run's lines (run RUNNING, node runs, run final) and its spans. */
function runLines(plan: RunPlan): { text: string; nodeRuns: number; spans: unknown[] } {
  const { i, runId, traceId, start, failed, template: t } = plan;
  const tags = { env: i % 3 === 0 ? "prod" : "dev", team: ["data", "ml", "ops"][i % 3]!, batch: String(i % 100) };
  const runRecord: RunRecord = {
    type: "run",
    runId,
    dagName: plan.dag,
    graphVersion: t.graphVersion,
    dagHash: t.dagHash,
    codeHash: t.codeHash,
    username: "bench@example.com",
    host: `worker-${i % 8}`,
    pid: 1000 + (i % 5000),
    status: "RUNNING",
    startTime: start,
    endTime: undefined,
    durationMs: undefined,
    finalVars: ["total", "report_table"],
    inputs: { date: { kind: "string", length: 10, preview: "2026-12-01", truncated: false } },
    overrides: [],
    config: t.config,
    tags,
    error: undefined,
  };
  const lines = [JSON.stringify(runRecord)];
  const spanIdOf = (k: number) => `${traceId.slice(0, 14)}${k.toString(16).padStart(2, "0")}`;
  const spans: unknown[] = [];
  let at = start + 1;
  let nodeRuns = 0;
  let failure: string | undefined;
  for (let k = 0; k < TRANSFORMS.length; k++) {
    const node = TRANSFORMS[k]!;
    const ms = 2 + ((i + k * 13) % 40);
    const fails = failed && node === FAILING;
    const message = fails ? `score ${((i * 17) % 50) / 100} is below the threshold 0.5 in batch ${i}` : undefined;
    const trace = k < SPANS_PER_RUN - 1 ? { traceId, spanId: spanIdOf(k + 1) } : undefined;
    lines.push(
      JSON.stringify(
        nodeRun(runId, node, undefined, at, ms, message, resultOf(node, i), trace, k === 0 && i % 10 === 0),
      ),
    );
    nodeRuns++;
    if (trace !== undefined) spans.push(span(traceId, trace.spanId, spanIdOf(0), node, at, ms, message));
    at += ms;
    if (fails) {
      failure = message;
      break;
    }
  }
  if (failure === undefined) {
    lines.push(
      JSON.stringify(nodeRun(runId, "items", undefined, at, 1, undefined, resultOf("items", i), undefined, false)),
    );
    for (let item = 0; item < FAN_ITEMS; item++)
      lines.push(
        JSON.stringify(
          nodeRun(
            runId,
            "work",
            `items-${item}`,
            at + 1,
            5 + item,
            undefined,
            resultOf("work", i + item),
            undefined,
            false,
          ),
        ),
      );
    lines.push(
      JSON.stringify(nodeRun(runId, "total", undefined, at + 8, 1, undefined, resultOf("total", i), undefined, false)),
    );
    nodeRuns += 2 + FAN_ITEMS;
    at += 9;
  }
  spans.unshift(span(traceId, spanIdOf(0), undefined, plan.dag, start, at - start, failure));
  lines.push(
    JSON.stringify({
      ...runRecord,
      status: failure === undefined ? "SUCCESS" : "FAILURE",
      endTime: at,
      durationMs: at - start,
      error:
        failure === undefined
          ? undefined
          : {
              type: "ValueError",
              message: failure,
              stack: `ValueError: ${failure}\n    at threshold (src/pipeline.ts:52:11)`,
              cause: undefined,
            },
    } satisfies RunRecord),
  );
  return { text: `${lines.join("\n")}\n`, nodeRuns, spans };
}

/** One span in OTLP JSON (what `JsonTraceSerializer` makes). */
function span(
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  start: number,
  ms: number,
  error: string | undefined,
): unknown {
  return {
    traceId,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    kind: 1,
    startTimeUnixNano: `${start}000000`,
    endTimeUnixNano: `${start + ms}000000`,
    attributes: [
      { key: "hamilton.node.name", value: { stringValue: name } },
      { key: "traceloop.span.kind", value: { stringValue: parentSpanId === undefined ? "workflow" : "task" } },
    ],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    status: error === undefined ? { code: 0 } : { code: 2, message: error },
    links: [],
    droppedLinksCount: 0,
    flags: 257,
  };
}

function traceLine(spans: readonly unknown[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "bench-pipeline" } },
            { key: "telemetry.sdk.language", value: { stringValue: "nodejs" } },
          ],
          droppedAttributesCount: 0,
        },
        scopeSpans: [{ scope: { name: "@hamilton-ts/opentelemetry" }, spans }],
      },
    ],
  });
}

/** The run of {@link BIG_RUN_NODES} node runs: `items`, 9,998 `work` items, `total`. */
function bigRun(t: DagTemplateRecord, start: number): { runId: string; text: string } {
  const runId = uuidOf("big-run");
  const run: RunRecord = {
    type: "run",
    runId,
    dagName: BIG_DAG,
    graphVersion: t.graphVersion,
    dagHash: t.dagHash,
    codeHash: t.codeHash,
    username: "bench@example.com",
    host: "worker-0",
    pid: 999,
    status: "RUNNING",
    startTime: start,
    endTime: undefined,
    durationMs: undefined,
    finalVars: ["total"],
    inputs: {},
    overrides: [],
    config: t.config,
    tags: { env: "prod" },
    error: undefined,
  };
  const lines = [JSON.stringify(run)];
  const items = BIG_RUN_NODES - 2;
  lines.push(
    JSON.stringify(nodeRun(runId, "items", undefined, start, 3, undefined, resultOf("items", 0), undefined, false)),
  );
  for (let k = 0; k < items; k++)
    lines.push(
      JSON.stringify(
        nodeRun(runId, "work", `items-${k}`, start + 3 + k, 1, undefined, resultOf("work", k), undefined, false),
      ),
    );
  const end = start + 4 + items;
  lines.push(
    JSON.stringify(nodeRun(runId, "total", undefined, end - 1, 1, undefined, resultOf("total", 0), undefined, false)),
  );
  lines.push(JSON.stringify({ ...run, status: "SUCCESS", endTime: end, durationMs: end - start } satisfies RunRecord));
  return { runId, text: `${lines.join("\n")}\n` };
}

async function writeTemplate(dir: string, project: string, t: DagTemplateRecord): Promise<void> {
  const path = templateFile(dir, project, t.graphVersion);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(t)}\n`);
}

/** Writes a store of `runs` runs (plus the large run) into `dir`; the figures' facts about it. */
export async function generateStore(dir: string, runs: number): Promise<Omit<StoreFixture, "generatedSeconds">> {
  const started = performance.now();
  const now = Date.now();
  const oldest = now - FIXTURE_DAYS * DAY_MS;
  const step = (FIXTURE_DAYS * DAY_MS) / runs;
  // Each main DAG's code changes halfway: two template versions, as a real project's history has.
  const templates = new Map<string, [DagTemplateRecord, DagTemplateRecord]>();
  for (const dag of [...MAIN_DAGS, SIDE_DAG]) templates.set(dag, [template(dag, 1), template(dag, 2)]);
  const big = template(BIG_DAG, 1, true);
  for (const dag of MAIN_DAGS) for (const t of templates.get(dag)!) await writeTemplate(dir, MAIN_PROJECT, t);
  for (const t of templates.get(SIDE_DAG)!) await writeTemplate(dir, SIDE_PROJECT, t);
  await writeTemplate(dir, MAIN_PROJECT, big);
  await mkdir(dirname(runFile(dir, MAIN_PROJECT, "x")), { recursive: true });
  await mkdir(dirname(runFile(dir, SIDE_PROJECT, "x")), { recursive: true });

  const traces = createWriteStream(join(dir, "traces.jsonl"));
  let pendingSpans: unknown[] = [];
  let writtenSpans = 0;
  let nodeRuns = 0;
  let spans = 0;
  let historyRuns = 0;
  const middle = Math.floor(runs / 2);
  let middleTrace = "";
  let next = 0;
  const writeTraces = async (text: string) => {
    if (!traces.write(text)) await new Promise<void>((resolve) => traces.once("drain", resolve));
  };
  const planOf = (i: number): RunPlan => {
    const side = i % 50 === 49;
    const dag = side ? SIDE_DAG : MAIN_DAGS[i % MAIN_DAGS.length]!;
    const runId = uuidOf(`run-${i}`);
    return {
      i,
      project: side ? SIDE_PROJECT : MAIN_PROJECT,
      dag,
      template: templates.get(dag)![i < runs / 2 ? 0 : 1],
      runId,
      traceId: hex(`trace-${i}`).slice(0, 32),
      start: Math.round(oldest + i * step),
      // About one run in 20 fails, spread over every DAG (a hash of i, not i itself).
      failed: (Math.imul(i, 2654435761) >>> 16) % 20 === 7,
    };
  };
  // Writers take runs in order; the trace file gets each run's spans in the same order.
  const texts = new Map<number, unknown[]>();
  let flushed = 0;
  const flushTraces = async () => {
    while (texts.has(flushed)) {
      pendingSpans.push(...texts.get(flushed)!);
      texts.delete(flushed);
      flushed++;
      if (flushed % RUNS_PER_TRACE_LINE === 0) {
        // Taken before the await: another writer may add spans while this line drains.
        const line = `${traceLine(pendingSpans)}\n`;
        writtenSpans += pendingSpans.length;
        pendingSpans = [];
        await writeTraces(line);
      }
    }
  };
  const writer = async () => {
    for (let i = next++; i < runs; i = next++) {
      const plan = planOf(i);
      const lines = runLines(plan);
      nodeRuns += lines.nodeRuns;
      spans += lines.spans.length;
      if (plan.project === MAIN_PROJECT && plan.dag === MAIN_DAGS[0]) historyRuns++;
      if (i === middle) middleTrace = plan.traceId;
      await writeFile(runFile(dir, plan.project, plan.runId), lines.text);
      texts.set(i, lines.spans);
      await flushTraces();
      if (i > 0 && i % 20_000 === 0)
        process.stderr.write(
          `  store fixture: ${i.toLocaleString("en-US")} runs (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  await flushTraces();
  if (pendingSpans.length > 0) {
    writtenSpans += pendingSpans.length;
    await writeTraces(`${traceLine(pendingSpans)}\n`);
  }
  await new Promise<void>((resolve, reject) =>
    traces.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  if (writtenSpans !== spans || flushed !== runs)
    throw new Error(`bench: the store fixture wrote ${writtenSpans} of ${spans} spans (${flushed} of ${runs} runs)`);
  const newestStart = Math.round(oldest + (runs - 1) * step);
  const bigOne = bigRun(big, newestStart - 60_000);
  await writeFile(runFile(dir, MAIN_PROJECT, bigOne.runId), bigOne.text);
  return {
    dir,
    runs: runs + 1,
    nodeRuns: nodeRuns + BIG_RUN_NODES,
    spans,
    bigRunId: bigOne.runId,
    traceId: middleTrace,
    traceSpans: SPANS_PER_RUN,
    historyRuns,
    oldestStart: oldest,
    newestStart,
  };
}

/** The cached store of `runs` runs, generated when missing (see the module's comment). */
export async function cachedStore(runs: number): Promise<StoreFixture> {
  const folder = join(cacheRoot(), `store-${runs}-v${FIXTURE_VERSION}`);
  const meta = join(folder, "fixture.json");
  if (existsSync(meta)) return JSON.parse(await readFile(meta, "utf8")) as StoreFixture;
  await rm(folder, { recursive: true, force: true });
  const dir = join(folder, "store");
  await mkdir(dir, { recursive: true });
  process.stderr.write(`  store fixture: generating ${runs.toLocaleString("en-US")} runs in ${folder}\n`);
  const started = performance.now();
  const facts = await generateStore(dir, runs);
  const fixture: StoreFixture = { ...facts, generatedSeconds: (performance.now() - started) / 1000 };
  await writeFile(meta, `${JSON.stringify(fixture, null, 2)}\n`);
  return fixture;
}

const run = promisify(execFile);
/** Working copies made by this process: part of their folder's name, so two made at once differ. */
let copies = 0;

/**
 * A working copy of a cached store: its files hard-linked (`cp -al`, no data copied) into a new
 * folder beside the cache, so a server may build its index in it. `remove()` deletes the copy.
 */
export async function workingCopy(fixture: StoreFixture): Promise<{ dir: string; remove(): Promise<void> }> {
  const folder = join(cacheRoot(), `work-${process.pid}-${(copies++).toString()}-${Date.now().toString(36)}`);
  await mkdir(folder, { recursive: true });
  const dir = join(folder, "store");
  await run("cp", ["-al", fixture.dir, dir]);
  return { dir, remove: () => rm(folder, { recursive: true, force: true }) };
}
