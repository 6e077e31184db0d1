/**
 * Writing the store's records into the SQL index. Every write is one statement, never a
 * `BEGIN … COMMIT` through a shared pool (on PGlite another request's statement would land inside
 * the transaction; on a server the statements would go to different connections):
 * - runs and node runs: the batch is folded first with the store's rule (`supersedes`: an
 *   `INSERT … ON CONFLICT` cannot touch one row twice), then upserted with the same rule as the
 *   `ON CONFLICT … DO UPDATE … WHERE`, so replicas receiving updates of one run at once settle
 *   the same way the file log's readers do;
 * - a run's first record counts it in the day's activity, its final record counts its failure and
 *   duration, in the same statement (rollups at write time: the activity chart never scans runs);
 * - templates and spans: `ON CONFLICT DO NOTHING` (an exporter that retries sends the same spans);
 * - then the LLM calls of the runs the batch touched are counted again (`llm-rollup.ts`) when their
 *   traces hold any.
 */
import type { DagTemplateRecord, NodeRunRecord, RunRecord } from "@hamilton-ts/store";
import { lostNodeRun, nodeRunKey, supersedes } from "@hamilton-ts/store";
import type { SpanView } from "../traces.js";
import type { SqlClient } from "./database.js";
import { historyEntry } from "./history-entry.js";
import { afterRecords, afterSpans, FORGET_RUN_LLM, llmTraceIds } from "./llm-rollup.js";
import { jsonParam } from "./text-params.js";

/** Milliseconds in a UTC day: activity is rolled up per `floor(startTime / DAY_MS)`. */
export const DAY_MS = 86_400_000;

/** Duration buckets per doubling (8: a bucket spans ~9%, so p50/p95 read from them are within ~4.5%). */
export const BUCKETS_PER_DOUBLING = 8;

/** The activity bucket of a duration in milliseconds. */
export function durationBucket(ms: number): number {
  return Math.max(0, Math.floor(Math.log2(Math.max(0, ms) + 1) * BUCKETS_PER_DOUBLING));
}

/** The duration a bucket stands for: its geometric middle, in milliseconds. */
export function bucketMs(bucket: number): number {
  return 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING) - 1;
}

/** A time in whole milliseconds (the columns are `bigint`; records may carry fractions). */
function ms(time: number): number {
  return Math.round(time);
}

/** The text `q=` searches in a run's own record: DAG name, tag values, the run's error. */
function searchText(run: RunRecord): string {
  const parts = [run.dagName, ...Object.values(run.tags ?? {}).map(String)];
  if (run.error !== undefined) parts.push(run.error.message);
  return parts.join("\n").toLowerCase();
}

/** Folds a batch so that each key appears once, as the store's readers would fold it. */
function foldBatch<T extends RunRecord | NodeRunRecord>(records: readonly T[], key: (r: T) => string): T[] {
  const out = new Map<string, T>();
  for (const record of records) {
    const k = key(record);
    const current = out.get(k);
    if (current === undefined || supersedes(current, record)) out.set(k, record);
  }
  return [...out.values()];
}

const UPSERT_RUNS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    run_id text, project_id text, dag_name text, graph_version text, status text, start_time bigint,
    end_time bigint, duration_ms double precision, tags jsonb, search text, record jsonb, bucket integer)
),
old AS (
  SELECT r.run_id, r.status FROM runs r JOIN input i ON i.run_id = r.run_id FOR UPDATE OF r
),
up AS (
  INSERT INTO runs AS r (run_id, project_id, dag_name, graph_version, status, start_time, end_time, duration_ms, duration_bucket, tags, search, record, node_search)
  SELECT i.run_id, i.project_id, i.dag_name, i.graph_version, i.status, i.start_time, i.end_time, i.duration_ms, i.bucket,
    i.tags, i.search, i.record,
    -- A new run row starts with what its node runs stored before it say (kept as it is on update).
    coalesce((SELECT E'\\n' || string_agg(DISTINCT replace(v.p, E'\\n', ' ') || E'\\n', '')
      FROM node_runs n CROSS JOIN LATERAL (VALUES (lower(n.node)), (lower(n.error_message))) v(p)
      WHERE n.run_id = i.run_id AND v.p IS NOT NULL), E'\\n')
  -- Joined with old so its rows are read (and locked) before this statement updates them: a row
  -- updated by the statement itself would be invisible to old's FOR UPDATE.
  FROM input i LEFT JOIN old o ON o.run_id = i.run_id
  ON CONFLICT (run_id) DO UPDATE SET
    project_id = excluded.project_id, dag_name = excluded.dag_name, graph_version = excluded.graph_version,
    status = excluded.status, start_time = excluded.start_time, end_time = excluded.end_time,
    duration_ms = excluded.duration_ms, duration_bucket = excluded.duration_bucket, tags = excluded.tags, search = excluded.search, record = excluded.record
  WHERE NOT (excluded.status = 'RUNNING' AND r.status <> 'RUNNING')
  RETURNING r.run_id, r.project_id, r.dag_name, r.status, r.start_time
),
-- Node runs stored before their run learn its project and DAG (a node's history is read by them).
attach AS (
  UPDATE node_runs n SET project_id = up.project_id, dag_name = up.dag_name
  FROM up WHERE n.run_id = up.run_id AND n.dag_name IS NULL
),
delta AS (
  SELECT up.project_id, up.dag_name, floor(up.start_time::double precision / ${DAY_MS})::integer AS day,
    CASE WHEN old.run_id IS NULL THEN 1 ELSE 0 END AS runs,
    (CASE WHEN up.status = 'FAILURE' THEN 1 ELSE 0 END) - (CASE WHEN old.status = 'FAILURE' THEN 1 ELSE 0 END) AS failures,
    CASE WHEN up.status <> 'RUNNING' AND (old.status IS NULL OR old.status = 'RUNNING') THEN 1 ELSE 0 END AS finished,
    i.bucket
  FROM up JOIN input i ON i.run_id = up.run_id LEFT JOIN old ON old.run_id = up.run_id
),
days AS (
  INSERT INTO activity_days AS a (project_id, dag_name, day, runs, failures, finished)
  SELECT project_id, dag_name, day, sum(runs), sum(failures), sum(finished) FROM delta GROUP BY project_id, dag_name, day
  ON CONFLICT (project_id, dag_name, day) DO UPDATE SET
    runs = a.runs + excluded.runs, failures = a.failures + excluded.failures, finished = a.finished + excluded.finished
)
INSERT INTO activity_durations AS d (project_id, dag_name, day, bucket, runs)
SELECT project_id, dag_name, day, bucket, count(*) FROM delta WHERE finished = 1 AND bucket IS NOT NULL
GROUP BY project_id, dag_name, day, bucket
ON CONFLICT (project_id, dag_name, day, bucket) DO UPDATE SET runs = d.runs + excluded.runs`;

/**
 * The node runs' upsert; what it stored adds the node names and error messages their runs'
 * `node_search` lacks (each line-delimited, lower case), in the same statement.
 */
const UPSERT_NODE_RUNS = `
WITH up AS (
INSERT INTO node_runs AS n (run_id, node, task_id, attempt, status, start_time, end_time, duration_ms, cache, trace_id,
  error_message, record, entry, project_id, dag_name)
SELECT x.run_id, x.node, x.task_id, x.attempt, x.status, x.start_time, x.end_time, x.duration_ms, x.cache, x.trace_id,
  x.error_message, x.record, x.entry, r.project_id, r.dag_name
FROM json_to_recordset($1::json) AS x(
  run_id text, node text, task_id text, attempt integer, status text, start_time bigint, end_time bigint,
  duration_ms double precision, cache text, trace_id text, error_message text, record json, entry text, ord bigint)
LEFT JOIN runs r ON r.run_id = x.run_id
ORDER BY x.ord
ON CONFLICT (run_id, node, task_id) DO UPDATE SET
  attempt = excluded.attempt, status = excluded.status, start_time = excluded.start_time, end_time = excluded.end_time,
  duration_ms = excluded.duration_ms, cache = excluded.cache, trace_id = excluded.trace_id,
  error_message = excluded.error_message, record = excluded.record, entry = excluded.entry,
  project_id = coalesce(excluded.project_id, n.project_id), dag_name = coalesce(excluded.dag_name, n.dag_name)
WHERE excluded.attempt > n.attempt
   OR (excluded.attempt = n.attempt AND NOT (excluded.status = 'RUNNING' AND n.status <> 'RUNNING'))
RETURNING n.run_id, lower(n.node) AS node, lower(n.error_message) AS error
),
pieces AS (
  SELECT DISTINCT up.run_id, replace(v.p, E'\\n', ' ') AS p
  FROM up CROSS JOIN LATERAL (VALUES (up.node), (up.error)) v(p) WHERE v.p IS NOT NULL
),
adds AS (
  SELECT pieces.run_id, string_agg(pieces.p || E'\\n', '') AS add
  FROM pieces JOIN runs r ON r.run_id = pieces.run_id
  WHERE strpos(r.node_search, E'\\n' || pieces.p || E'\\n') = 0
  GROUP BY pieces.run_id
)
UPDATE runs r SET node_search = r.node_search || adds.add FROM adds WHERE r.run_id = adds.run_id`;

/** Stores a project's run and node-run records (any mix, any order within the batch's own order). */
export async function ingestRecords(
  db: SqlClient,
  projectId: string,
  records: readonly (RunRecord | NodeRunRecord)[],
): Promise<void> {
  await ingestBatch(db, [{ projectId, records }]);
}

/** Records of one project, in the order they were written. */
export interface ProjectRecords {
  readonly projectId: string;
  readonly records: readonly (RunRecord | NodeRunRecord)[];
}

/**
 * Stores the run and node-run records of several projects (the log indexer's batch of files) in one
 * statement for the runs and one for the node runs. Storing a batch again is harmless: the fold
 * rule keeps what is stored, and the activity rollups count a run once.
 */
export async function ingestBatch(db: SqlClient, batch: readonly ProjectRecords[]): Promise<void> {
  const projectOf = new Map<RunRecord, string>();
  const allRuns: RunRecord[] = [];
  const allNodes: NodeRunRecord[] = [];
  for (const { projectId, records } of batch) {
    for (const r of records) {
      if (r.type === "run") {
        projectOf.set(r, projectId);
        allRuns.push(r);
      } else if (r.type === "node_run") allNodes.push(r);
    }
  }
  const runs = foldBatch(allRuns, (r) => r.runId);
  const nodes = foldBatch(allNodes, (r) => `${r.runId}\0${nodeRunKey(r)}`);
  if (runs.length > 0) {
    const rows = runs.map((run) => ({
      run_id: run.runId,
      project_id: projectOf.get(run)!,
      dag_name: run.dagName,
      graph_version: run.graphVersion,
      status: run.status,
      start_time: ms(run.startTime),
      end_time: run.endTime === undefined ? null : ms(run.endTime),
      duration_ms: run.durationMs ?? null,
      tags: run.tags ?? {},
      search: searchText(run),
      record: run,
      bucket: run.status === "RUNNING" ? null : durationBucket(run.durationMs ?? 0),
    }));
    await db.query(UPSERT_RUNS, [jsonParam(rows)]);
  }
  if (nodes.length > 0) {
    const rows = nodes.map((node, ord) => ({
      ord,
      run_id: node.runId,
      node: node.node,
      task_id: node.taskId ?? "",
      attempt: node.attempt,
      status: node.status,
      start_time: ms(node.startTime),
      end_time: node.endTime === undefined ? null : ms(node.endTime),
      duration_ms: node.durationMs ?? null,
      cache: node.cache ?? null,
      trace_id: node.traceId ?? null,
      error_message: node.error?.message ?? null,
      record: node,
      entry: historyEntry(node),
    }));
    await db.query(UPSERT_NODE_RUNS, [jsonParam(rows)]);
  }
  await afterRecords(db, [...new Set([...runs.map((r) => r.runId), ...nodes.map((n) => n.runId)])]);
}

/**
 * Reads as `UNKNOWN` ({@link lostNodeRun}, as `RunFold` does) the node runs still `RUNNING` in
 * those of `runIds` that ended: the run's final record may have been stored before or after them.
 * A later record of such a node run (a late write) still replaces it. Returns how many changed.
 */
export async function markLostNodeRuns(db: SqlClient, runIds: readonly string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  const { rows } = await db.query<{ run: RunRecord; node: NodeRunRecord }>(
    `SELECT r.record AS run, n.record AS node FROM node_runs n JOIN runs r ON r.run_id = n.run_id
     WHERE n.run_id = ANY($1::text[]) AND n.status = 'RUNNING' AND r.status <> 'RUNNING'`,
    [runIds],
  );
  if (rows.length === 0) return 0;
  const lost = rows.map(({ run, node }) => {
    const record = lostNodeRun(node, run);
    return {
      run_id: record.runId,
      node: record.node,
      task_id: record.taskId ?? "",
      attempt: record.attempt,
      end_time: record.endTime === undefined ? null : ms(record.endTime),
      error_message: record.error?.message ?? null,
      record,
      entry: historyEntry(record),
    };
  });
  await db.query(
    `UPDATE node_runs n SET status = 'UNKNOWN', end_time = x.end_time, error_message = x.error_message, record = x.record,
       entry = x.entry
     FROM json_to_recordset($1::json) AS x(run_id text, node text, task_id text, attempt integer, end_time bigint,
       error_message text, record json, entry text)
     WHERE n.run_id = x.run_id AND n.node = x.node AND n.task_id = x.task_id AND n.attempt = x.attempt
       AND n.status = 'RUNNING'`,
    [jsonParam(lost)],
  );
  return lost.length;
}

/**
 * Removes runs whatever their status (their file is gone or was replaced), with their node runs and
 * their part of the activity rollups (LLM calls included); their spans stay (they belong to the
 * trace file), and count again if the runs come back.
 */
export async function dropRuns(db: SqlClient, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.query(
    `WITH target AS (
       SELECT run_id, project_id, dag_name, status, duration_bucket,
         floor(start_time::double precision / ${DAY_MS})::integer AS day
       FROM runs WHERE run_id = ANY($1::text[]) FOR UPDATE
     ),
     del_nodes AS (DELETE FROM node_runs WHERE run_id = ANY($1::text[])),
     del_runs AS (DELETE FROM runs WHERE run_id IN (SELECT run_id FROM target)),${FORGET_RUN_LLM},
     days AS (
       UPDATE activity_days a SET runs = a.runs - t.runs, failures = a.failures - t.failures,
         finished = a.finished - t.finished
       FROM (SELECT project_id, dag_name, day, count(*) AS runs,
               count(*) FILTER (WHERE status = 'FAILURE') AS failures,
               count(*) FILTER (WHERE status <> 'RUNNING') AS finished
             FROM target GROUP BY project_id, dag_name, day) t
       WHERE a.project_id = t.project_id AND a.dag_name = t.dag_name AND a.day = t.day
     )
     UPDATE activity_durations d SET runs = d.runs - t.runs
     FROM (SELECT project_id, dag_name, day, duration_bucket, count(*) AS runs FROM target
           WHERE status <> 'RUNNING' AND duration_bucket IS NOT NULL GROUP BY project_id, dag_name, day, duration_bucket) t
     WHERE d.project_id = t.project_id AND d.dag_name = t.dag_name AND d.day = t.day AND d.bucket = t.duration_bucket`,
    [runIds],
  );
}

/** Stores DAG templates; the first record of a graph version stays (they are the same). */
export async function ingestTemplates(
  db: SqlClient,
  projectId: string,
  templates: readonly DagTemplateRecord[],
): Promise<void> {
  if (templates.length === 0) return;
  const rows = templates.map((t) => ({
    project_id: projectId,
    graph_version: t.graphVersion,
    dag_name: t.dagName,
    created_at: t.createdAt,
    record: t,
  }));
  await db.query(
    `INSERT INTO templates (project_id, graph_version, dag_name, created_at, record)
     SELECT project_id, graph_version, dag_name, created_at, record
     FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, graph_version text, dag_name text, created_at bigint, record jsonb)
     ON CONFLICT (project_id, graph_version) DO NOTHING`,
    [jsonParam(rows)],
  );
}

/** Stores spans; a span already stored (same trace and span id) is kept as it was. */
export async function ingestSpans(db: SqlClient, spans: readonly SpanView[]): Promise<void> {
  if (spans.length === 0) return;
  const seen = new Set<string>();
  const rows = [];
  for (const span of spans) {
    const key = `${span.traceId}\0${span.spanId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ trace_id: span.traceId, span_id: span.spanId, start_time: ms(span.startTime), record: span });
  }
  await db.query(
    `INSERT INTO spans (trace_id, span_id, start_time, record)
     SELECT trace_id, span_id, start_time, record
     FROM jsonb_to_recordset($1::jsonb) AS x(trace_id text, span_id text, start_time bigint, record jsonb)
     ON CONFLICT (trace_id, span_id) DO NOTHING`,
    [jsonParam(rows)],
  );
  await afterSpans(db, [...new Set(rows.map((r) => r.trace_id))], llmTraceIds(spans));
}
