/**
 * The read API's answers, built from the store: the tracker's records as `readFileStore` folds
 * them, and the spans of the trace file. They come from the store's shared {@link StoreIndex},
 * refreshed first, so runs that other processes write while the server runs are seen, and only
 * what changed since the last request is read.
 */
import type { DagTemplateRecord, NodeRunRecord, RunRecord, RunStatus, StoredRun } from "@hamilton-ts/store";
import { HttpError } from "./http-error.js";
import { storeIndex, type StoreIndex } from "./store-index.js";
import type { SpanView } from "./traces.js";

/** A store's directory, or its index. */
export type StoreSource = string | StoreIndex;

/** The index of a source, refreshed. */
function indexOf(source: StoreSource): StoreIndex {
  const index = typeof source === "string" ? storeIndex(source) : source;
  index.refresh();
  return index;
}

/** One run in `GET /api/runs`. */
export interface RunSummary {
  readonly runId: string;
  readonly projectId: string;
  readonly dagName: string;
  /** The run's graph version (its template's). */
  readonly dagVersion: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | undefined;
  /** Node runs recorded (a fan-out counts each item). */
  readonly nodeCount: number;
  /** Node runs that failed. */
  readonly failedCount: number;
  /** The trace of the run's node spans, when a tracer left one. */
  readonly traceId: string | undefined;
}

/** `GET /api/runs/:runId`. */
export interface RunDetail {
  readonly run: RunRecord & { readonly projectId: string; readonly finished: boolean };
  /** The run's DAG template, when the store has it. */
  readonly template: DagTemplateRecord | undefined;
  readonly nodeRuns: readonly NodeRunRecord[];
}

/** `GET /api/traces/:traceId`. */
export interface TraceDetail {
  readonly traceId: string;
  /** The trace's spans, by start time. */
  readonly spans: readonly SpanView[];
}

/** `GET /api/store`: where the store is and what of it could not be read. */
export interface StoreStatus {
  /** The store's absolute directory. */
  readonly dir: string;
  readonly runs: number;
  readonly templates: number;
  /** Run and template lines that were not records (e.g. the torn last line of a killed process). */
  readonly skippedLines: number;
  /** Files and folders that are not store files, with why (`readFileStore`'s `skippedFiles`). */
  readonly skippedFiles: readonly { readonly path: string; readonly reason: string }[];
  /** Lines of the trace file that were not OTLP JSON. */
  readonly skippedTraceLines: number;
  /** Spans in readable trace lines that were skipped (no string ids, a malformed `events`). */
  readonly skippedTraceSpans: number;
}

/** What the store holds, and what it skipped. */
export async function storeStatus(source: StoreSource): Promise<StoreStatus> {
  const index = indexOf(source);
  await index.refreshTraces();
  return { dir: index.dir, ...index.status() };
}

/** Filters of {@link listRuns}. */
export interface RunFilter {
  readonly project?: string | undefined;
  readonly dag?: string | undefined;
  readonly status?: string | undefined;
  /** At most this many runs (1 to 10,000). Default: 100. */
  readonly limit?: number | undefined;
}

/** The most runs `GET /api/runs` gives at once. */
export const MAX_RUNS_LIMIT = 10_000;
/** The runs `GET /api/runs` gives without `limit`. */
export const DEFAULT_RUNS_LIMIT = 100;

function summary(stored: StoredRun): RunSummary {
  const { run } = stored;
  return {
    runId: stored.runId,
    projectId: stored.projectId,
    dagName: run.dagName,
    dagVersion: run.graphVersion,
    status: run.status,
    startTime: run.startTime,
    endTime: run.endTime,
    nodeCount: stored.nodes.length,
    failedCount: stored.nodes.filter((n) => n.status === "FAILURE").length,
    traceId: stored.nodes.find((n) => typeof n.traceId === "string")?.traceId,
  };
}

/** Parses `limit` from a query string: an integer from 1 to {@link MAX_RUNS_LIMIT}, else a 400. */
export function parseLimit(text: string | null): number {
  if (text === null || text === "") return DEFAULT_RUNS_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS_LIMIT) {
    throw new HttpError(400, `limit=${JSON.stringify(text)}: expected a whole number from 1 to ${MAX_RUNS_LIMIT}.`);
  }
  return limit;
}

/** Runs in the store, newest first, filtered. */
export async function listRuns(source: StoreSource, filter: RunFilter = {}): Promise<RunSummary[]> {
  const runs = indexOf(source).runs();
  const out: RunSummary[] = [];
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!;
    if (filter.project !== undefined && run.projectId !== filter.project) continue;
    if (filter.dag !== undefined && run.run.dagName !== filter.dag) continue;
    if (filter.status !== undefined && run.run.status !== filter.status) continue;
    out.push(summary(run));
    if (out.length >= (filter.limit ?? DEFAULT_RUNS_LIMIT)) break;
  }
  return out;
}

/** One run with its template and node runs; undefined when the store has no such run. */
export async function getRun(source: StoreSource, runId: string): Promise<RunDetail | undefined> {
  const index = indexOf(source);
  const runs = index.runs();
  // The newest run with that id (ids are unique per project; the newest wins across projects).
  let stored: StoredRun | undefined;
  for (const r of runs) if (r.runId === runId) stored = r;
  if (stored === undefined) return undefined;
  const template = index
    .templates()
    .find((t) => t.projectId === stored.projectId && t.template.graphVersion === stored.run.graphVersion)?.template;
  return {
    run: { ...stored.run, projectId: stored.projectId, finished: stored.finished },
    template,
    nodeRuns: stored.nodes,
  };
}

/** The spans of one trace in the store's trace file (hex trace id, any case), each span id once (the first). */
export async function getTrace(source: StoreSource, traceId: string): Promise<TraceDetail> {
  const id = traceId.toLowerCase();
  // One span per span id (the index keeps the first): an exporter that retries an export sends the same spans again.
  const spans = [...(await indexOf(source).trace(id))];
  return { traceId: id, spans: spans.sort((a, b) => a.startTime - b.startTime) };
}
