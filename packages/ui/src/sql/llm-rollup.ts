/**
 * LLM calls rolled up at write time, so that neither the activity chart nor a node's history reads
 * spans: for each run, its calls by model (`run_llm`) and each node run's (`node_run_llm`), and per
 * project, DAG, UTC day and model the sum over the runs (`activity_llm`). Tokens are kept, not
 * prices: the server prices them when read, with its price table, as it does a run's page.
 *
 * A run's figures are counted again whole (its traces' spans with the run page's rule,
 * `llmCalls`: leaf LLM spans, each span id once) whenever something that can change them arrives:
 * spans of a trace that holds an LLM call (`llm_traces`), before or after the run's records and
 * from any process, or records of a run whose trace holds one. The new figures replace the old
 * ones and the day's rollup moves by the difference, so a span delivered twice, a batch read
 * again or a recount counts each call once. A run's calls count in the UTC day the run started
 * (the day its runs and failures count in, and the day a click on the chart filters by). Deleting
 * or dropping a run subtracts its figures (`delete.ts`, `dropRuns`).
 *
 * A recount reads without a lock, then writes in one transaction under an advisory lock (replicas
 * write one recount at a time) and only if the index still holds what it read: a recount that
 * read older spans than the index now has is not written, so the last figures are the newest.
 */
import {
  isLlmCallSpan,
  LLM_CALL_KEYS,
  type LlmCall,
  llmCalls,
  type ModelTokens,
  type UsageSpan,
  tokensByModel,
} from "../llm-usage.js";
import type { SpanView } from "../traces.js";
import type { SqlClient } from "./database.js";
import { jsonParam } from "./text-params.js";

/** Milliseconds in a UTC day (as `ingest.ts`'s `DAY_MS`, which imports this module). */
const DAY_MS = 86_400_000;

/** The key of the advisory lock recounts write under (any constant; this one spells "hts-llm1"). */
export const LLM_LOCK_KEY = 0x6874732d6c6c6d31n;

/** The traces among these spans' that hold an LLM call. */
export function llmTraceIds(spans: readonly SpanView[]): string[] {
  const out = new Set<string>();
  for (const span of spans) {
    if (out.has(span.traceId)) continue;
    if (isLlmCallSpan({ attributes: (span.attributes ?? {}) as Record<string, unknown> })) out.add(span.traceId);
  }
  return [...out];
}

/**
 * After spans were stored: marks the traces that hold an LLM call and recounts the runs of every
 * marked trace among `traceIds` (a late span of such a trace may change which calls are leaves).
 */
export async function afterSpans(
  db: SqlClient,
  traceIds: readonly string[],
  llmTraces: readonly string[],
): Promise<void> {
  if (llmTraces.length > 0) {
    await db.query("INSERT INTO llm_traces (trace_id) SELECT unnest($1::text[]) ON CONFLICT (trace_id) DO NOTHING", [
      llmTraces,
    ]);
  }
  if (traceIds.length === 0) return;
  const { rows } = await db.query<{ run_id: string }>(
    `SELECT DISTINCT n.run_id FROM node_runs n
     WHERE n.trace_id IN (SELECT trace_id FROM llm_traces WHERE trace_id = ANY($1::text[]))`,
    [traceIds],
  );
  await recountRuns(
    db,
    rows.map((r) => r.run_id),
  );
}

/** After records were stored: recounts those of these runs whose node runs' traces hold an LLM call. */
export async function afterRecords(db: SqlClient, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  const { rows } = await db.query<{ run_id: string }>(
    `SELECT DISTINCT n.run_id FROM node_runs n JOIN llm_traces t ON t.trace_id = n.trace_id
     WHERE n.run_id = ANY($1::text[])`,
    [runIds],
  );
  await recountRuns(
    db,
    rows.map((r) => r.run_id),
  );
}

/** One node run's calls by model, as stored. */
interface NodeRow {
  readonly node: string;
  readonly task_id: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly usage: ModelTokens[];
}

/** Counts the runs' LLM calls again from their spans and replaces their figures (see the module). */
export async function recountRuns(db: SqlClient, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  const ids = [...new Set(runIds)].sort();
  const nodes = await db.query<{
    run_id: string;
    node: string;
    task_id: string;
    span_id: string | null;
    trace_id: string | null;
  }>(
    `SELECT run_id, node, task_id, record->>'spanId' AS span_id, trace_id FROM node_runs
       WHERE run_id = ANY($1::text[]) ORDER BY run_id, seq`,
    [ids],
  );
  const traces = [...new Set(nodes.rows.map((n) => n.trace_id).filter((t): t is string => t !== null))];
  const spans = await db.query<{
    trace_id: string;
    span_id: string;
    parent: string | null;
    attributes: Record<string, unknown> | null;
  }>(
    `SELECT s.trace_id, s.span_id, s.record->>'parentSpanId' AS parent,
         CASE WHEN s.record->'attributes' ?| $2::text[] THEN s.record->'attributes' END AS attributes
       FROM spans s WHERE s.trace_id IN (SELECT trace_id FROM llm_traces WHERE trace_id = ANY($1::text[]))
       ORDER BY s.trace_id, s.start_time, s.span_id`,
    [traces, LLM_CALL_KEYS],
  );
  const byTrace = new Map<string, UsageSpan[]>();
  for (const row of spans.rows) {
    let list = byTrace.get(row.trace_id);
    if (list === undefined) byTrace.set(row.trace_id, (list = []));
    list.push({ spanId: row.span_id, parentSpanId: row.parent ?? undefined, attributes: row.attributes ?? {} });
  }
  const byRun = new Map<string, typeof nodes.rows>();
  for (const n of nodes.rows) {
    let list = byRun.get(n.run_id);
    if (list === undefined) byRun.set(n.run_id, (list = []));
    list.push(n);
  }
  const runs = ids.map((runId) => {
    const nodeRuns = byRun.get(runId) ?? [];
    const runTraces = [...new Set(nodeRuns.map((n) => n.trace_id).filter((t): t is string => t !== null))];
    const runSpans = runTraces.flatMap((t) => byTrace.get(t) ?? []);
    const calls = llmCalls(
      nodeRuns.map((n) => ({ spanId: n.span_id ?? undefined })),
      runSpans,
    );
    const perNode = new Map<number, LlmCall[]>();
    for (const { call, nodeRun } of calls) {
      if (nodeRun === undefined) continue;
      let list = perNode.get(nodeRun);
      if (list === undefined) perNode.set(nodeRun, (list = []));
      list.push(call);
    }
    const nodeRows: NodeRow[] = [...perNode].map(([i, list]) => ({
      node: nodeRuns[i]!.node,
      task_id: nodeRuns[i]!.task_id,
      input_tokens: list.reduce((sum, c) => sum + c.inputTokens, 0),
      output_tokens: list.reduce((sum, c) => sum + c.outputTokens, 0),
      usage: tokensByModel(list),
    }));
    return {
      run_id: runId,
      // What the count read: the figures are written only if the index still holds just that.
      seen_spans: runSpans.length,
      seen_nodes: nodeRuns.length,
      models: tokensByModel(calls.map((c) => c.call)),
      nodes: nodeRows,
    };
  });
  const input = jsonParam(runs);
  await db.transaction([
    { text: "SELECT pg_advisory_xact_lock($1::bigint)", values: [LLM_LOCK_KEY.toString()] },
    {
      text: `WITH ${CURRENT},
          target AS (SELECT run_id FROM runs WHERE run_id IN (SELECT run_id FROM seen_now) ORDER BY run_id FOR UPDATE),
          ${FORGET_RUN_LLM}
          SELECT count(*) FROM target`,
      values: [input],
    },
    { text: ADD_RUN_LLM, values: [input] },
  ]);
}

/**
 * The runs of the input (\$1) whose count read what the index holds now: as many node runs, and as
 * many spans in their traces that hold LLM calls. Spans and node runs are only ever added (a run
 * that loses them loses its figures too), so the same numbers mean the same rows; a count that
 * read less is not written (the write that added the rest counts again after it).
 */
const CURRENT = `
input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, seen_spans integer, seen_nodes integer, models jsonb, nodes jsonb)
),
seen_now AS (
  SELECT i.* FROM input i
  WHERE i.seen_nodes = (SELECT count(*) FROM node_runs n WHERE n.run_id = i.run_id)
    AND i.seen_spans = (SELECT count(*) FROM spans s WHERE s.trace_id IN (
      SELECT n.trace_id FROM node_runs n JOIN llm_traces t ON t.trace_id = n.trace_id WHERE n.run_id = i.run_id))
)`;

/**
 * Adds the runs' new figures and their part of the day rollups (the old ones were forgotten by the
 * statement before, in the same transaction). Only runs that are in the index are written (a run
 * deleted meanwhile is not brought back); their rows were locked by the statement before, so a
 * concurrent delete either comes first (nothing is written) or after (it subtracts this).
 */
const ADD_RUN_LLM = `
WITH ${CURRENT},
r AS (
  SELECT r.run_id, r.project_id, r.dag_name, floor(r.start_time::double precision / ${DAY_MS})::integer AS day
  FROM runs r WHERE r.run_id IN (SELECT run_id FROM seen_now)
),
fresh AS (
  SELECT r.run_id, r.project_id, r.dag_name, r.day, m.model, m.calls, m."inputTokens" AS input_tokens,
    m."outputTokens" AS output_tokens
  FROM r JOIN seen_now i ON i.run_id = r.run_id
  CROSS JOIN LATERAL jsonb_to_recordset(i.models) AS m(model text, calls integer, "inputTokens" bigint, "outputTokens" bigint)
),
ins AS (
  INSERT INTO run_llm (run_id, model, project_id, dag_name, day, calls, input_tokens, output_tokens)
  SELECT run_id, model, project_id, dag_name, day, calls, input_tokens, output_tokens FROM fresh
),
rollup AS (
  INSERT INTO activity_llm AS a (project_id, dag_name, day, model, calls, input_tokens, output_tokens)
  SELECT project_id, dag_name, day, model, sum(calls), sum(input_tokens), sum(output_tokens) FROM fresh
  GROUP BY project_id, dag_name, day, model
  ON CONFLICT (project_id, dag_name, day, model) DO UPDATE SET calls = a.calls + excluded.calls,
    input_tokens = a.input_tokens + excluded.input_tokens, output_tokens = a.output_tokens + excluded.output_tokens
)
INSERT INTO node_run_llm (run_id, node, task_id, input_tokens, output_tokens, usage)
SELECT r.run_id, n.node, n.task_id, n.input_tokens, n.output_tokens, n.usage
FROM r JOIN seen_now i ON i.run_id = r.run_id
CROSS JOIN LATERAL jsonb_to_recordset(i.nodes) AS n(node text, task_id text, input_tokens bigint, output_tokens bigint, usage jsonb)`;

/**
 * SQL (a data-modifying `WITH` part) that subtracts the figures of the runs in the CTE named
 * `target` (with `run_id`) from the day rollups and deletes them: used by deletes and drops.
 */
export const FORGET_RUN_LLM = `
  llm_old AS (DELETE FROM run_llm WHERE run_id IN (SELECT run_id FROM target)
    RETURNING project_id, dag_name, day, model, calls, input_tokens, output_tokens),
  llm_days AS (
    UPDATE activity_llm a SET calls = a.calls - g.calls, input_tokens = a.input_tokens - g.input_tokens,
      output_tokens = a.output_tokens - g.output_tokens
    FROM (SELECT project_id, dag_name, day, model, sum(calls) AS calls, sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens FROM llm_old GROUP BY project_id, dag_name, day, model) g
    WHERE a.project_id = g.project_id AND a.dag_name = g.dag_name AND a.day = g.day AND a.model = g.model
  ),
  llm_nodes AS (DELETE FROM node_run_llm WHERE run_id IN (SELECT run_id FROM target))`;

/** Runs counted per recount when a whole index is counted (an upgrade). */
const BACKFILL_RUNS = 200;

/**
 * Counts the runs of the traces marked in `llm_traces` that have no figures yet (an index made
 * before this rollup existed), a batch at a time. Harmless to run again.
 */
export async function backfillLlm(db: SqlClient): Promise<void> {
  let after = "";
  for (;;) {
    const { rows } = await db.query<{ run_id: string }>(
      `SELECT DISTINCT n.run_id FROM node_runs n JOIN llm_traces t ON t.trace_id = n.trace_id
       WHERE n.run_id > $1 AND NOT EXISTS (SELECT 1 FROM run_llm l WHERE l.run_id = n.run_id)
       ORDER BY n.run_id LIMIT $2`,
      [after, BACKFILL_RUNS],
    );
    if (rows.length === 0) return;
    await recountRuns(
      db,
      rows.map((r) => r.run_id),
    );
    after = rows[rows.length - 1]!.run_id;
  }
}

/** Forgets every LLM figure (every span was dropped: the trace file was replaced). */
export async function dropAllLlm(db: SqlClient): Promise<void> {
  await db.transaction([
    { text: "DELETE FROM activity_llm" },
    { text: "DELETE FROM run_llm" },
    { text: "DELETE FROM node_run_llm" },
    { text: "DELETE FROM llm_traces" },
  ]);
}
