/**
 * A run's LLM calls counted and priced from the index (`run.llm` and each node run's `llm` in
 * `GET /api/runs/:runId`): the spans of the run's traces, read as their ids and parents plus the
 * attributes of the spans that look like LLM calls only, counted by `runLlmUsage` with the
 * server's price table.
 */
import { type LlmUsage, NO_LLM_USAGE, runLlmUsage, type UsageSpan } from "../llm-usage.js";
import type { PriceTable } from "../prices.js";
import type { SqlClient } from "./database.js";

/**
 * The attribute keys that can make a span an LLM call (see `isLlmCallSpan`): only these spans'
 * attributes are read; every span's id and parent are (a call under a call is not counted twice).
 */
const LLM_KEYS = [
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.prompt_tokens",
  "llm.usage.prompt_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.usage.completion_tokens",
  "llm.usage.completion_tokens",
  "gen_ai.usage.total_tokens",
  "llm.usage.total_tokens",
  "gen_ai.response.model",
  "gen_ai.request.model",
  "llm.response.model",
  "llm.request.model",
];

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
    [runId, LLM_KEYS],
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
 * The LLM figures of several runs (a page of the runs list), for the runs that made calls: only
 * traces holding an LLM span are read whole (ids and parents), so a page of runs without LLM calls
 * costs one look at their spans' attributes in the database.
 */
export async function runsLlm(
  db: SqlClient,
  runIds: readonly string[],
  prices: PriceTable,
): Promise<Map<string, LlmUsage>> {
  const out = new Map<string, LlmUsage>();
  if (runIds.length === 0) return out;
  const { rows } = await db.query<{
    run_id: string;
    span_id: string;
    parent: string | null;
    attributes: Record<string, unknown> | null;
  }>(
    `WITH t AS (
       SELECT DISTINCT run_id, trace_id FROM node_runs WHERE run_id = ANY($1::text[]) AND trace_id IS NOT NULL
     ),
     llm_traces AS (
       SELECT DISTINCT s.trace_id FROM spans s WHERE s.trace_id IN (SELECT trace_id FROM t) AND s.record->'attributes' ?| $2::text[]
     )
     SELECT t.run_id, s.span_id, s.record->>'parentSpanId' AS parent,
       CASE WHEN s.record->'attributes' ?| $2::text[] THEN s.record->'attributes' END AS attributes
     FROM t JOIN spans s ON s.trace_id = t.trace_id
     WHERE t.trace_id IN (SELECT trace_id FROM llm_traces)
     ORDER BY t.run_id, s.start_time, s.span_id`,
    [runIds, LLM_KEYS],
  );
  const byRun = new Map<string, UsageSpan[]>();
  for (const row of rows) {
    let spans = byRun.get(row.run_id);
    if (spans === undefined) byRun.set(row.run_id, (spans = []));
    spans.push({ spanId: row.span_id, parentSpanId: row.parent ?? undefined, attributes: row.attributes ?? {} });
  }
  for (const [runId, spans] of byRun) {
    const usage = runLlmUsage([], spans, prices).run;
    if (usage.calls > 0) out.set(runId, usage);
  }
  return out;
}
