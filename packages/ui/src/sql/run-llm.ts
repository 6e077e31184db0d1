/**
 * A run's LLM calls counted and priced from the index (`run.llm` and each node run's `llm` in
 * `GET /api/runs/:runId`): the spans of the run's traces, read as their ids and parents plus the
 * attributes of the spans that look like LLM calls only, counted by `runLlmUsage` with the
 * server's price table.
 */
import { LLM_CALL_KEYS, type LlmUsage, NO_LLM_USAGE, runLlmUsage, type UsageSpan } from "../llm-usage.js";
import type { PriceTable } from "../prices.js";
import type { SqlClient } from "./database.js";

/** A run's LLM figures: its total, and each node run's by its span id. */
export interface RunLlm {
  readonly run: LlmUsage;
  /** Usage of the node runs that made calls, by the node run's span id. */
  readonly bySpan: Readonly<Record<string, LlmUsage>>;
}

/** Counts and prices the LLM calls in the traces of a run's node runs. */
export async function runLlm(db: SqlClient, runId: string, prices: PriceTable): Promise<RunLlm> {
  const spans = await db.query<{ span_id: string; parent: string | null; attributes: Record<string, unknown> | null }>(
    `SELECT s.span_id, s.record->>'parentSpanId' AS parent,
       CASE WHEN s.record->'attributes' ?| $2::text[] THEN s.record->'attributes' END AS attributes
     FROM spans s
     WHERE s.trace_id IN (SELECT DISTINCT n.trace_id FROM node_runs n WHERE n.run_id = $1 AND n.trace_id IS NOT NULL)
     ORDER BY s.start_time, s.span_id`,
    [runId, LLM_CALL_KEYS],
  );
  if (!spans.rows.some((s) => s.attributes !== null)) return { run: NO_LLM_USAGE, bySpan: {} };
  const usageSpans: UsageSpan[] = spans.rows.map((s) => ({
    spanId: s.span_id,
    parentSpanId: s.parent ?? undefined,
    attributes: s.attributes ?? {},
  }));
  const nodes = await db.query<{ span_id: string }>(
    "SELECT DISTINCT record->>'spanId' AS span_id FROM node_runs WHERE run_id = $1 AND record->>'spanId' IS NOT NULL",
    [runId],
  );
  const nodeRuns = nodes.rows.map((n) => ({ spanId: n.span_id }));
  const usage = runLlmUsage(nodeRuns, usageSpans, prices);
  const bySpan: Record<string, LlmUsage> = {};
  nodeRuns.forEach((n, i) => {
    const u = usage.nodeRuns[i];
    if (u !== undefined && u.calls > 0) bySpan[n.spanId] = u;
  });
  return { run: usage.run, bySpan };
}

/**
 * The LLM figures of several runs (a page of the runs list) from each run's trace, for the runs
 * that made calls: a trace is read whole (ids and parents) only when it holds an LLM span.
 */
export async function runsLlm(
  db: SqlClient,
  runs: readonly { readonly runId: string; readonly traceId: string }[],
  prices: PriceTable,
): Promise<Map<string, LlmUsage>> {
  const out = new Map<string, LlmUsage>();
  if (runs.length === 0) return out;
  const { rows } = await db.query<{
    trace_id: string;
    span_id: string;
    parent: string | null;
    attributes: Record<string, unknown> | null;
  }>(
    `WITH llm_traces AS (
       SELECT DISTINCT trace_id FROM spans WHERE trace_id = ANY($1::text[]) AND record->'attributes' ?| $2::text[]
     )
     SELECT s.trace_id, s.span_id, s.record->>'parentSpanId' AS parent,
       CASE WHEN s.record->'attributes' ?| $2::text[] THEN s.record->'attributes' END AS attributes
     FROM spans s WHERE s.trace_id IN (SELECT trace_id FROM llm_traces)
     ORDER BY s.trace_id, s.start_time, s.span_id`,
    [[...new Set(runs.map((r) => r.traceId))], LLM_CALL_KEYS],
  );
  const byTrace = new Map<string, UsageSpan[]>();
  for (const row of rows) {
    let spans = byTrace.get(row.trace_id);
    if (spans === undefined) byTrace.set(row.trace_id, (spans = []));
    spans.push({ spanId: row.span_id, parentSpanId: row.parent ?? undefined, attributes: row.attributes ?? {} });
  }
  for (const run of runs) {
    const spans = byTrace.get(run.traceId);
    if (spans === undefined) continue;
    const usage = runLlmUsage([], spans, prices).run;
    if (usage.calls > 0) out.set(run.runId, usage);
  }
  return out;
}
