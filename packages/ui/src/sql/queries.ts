/**
 * The read API's questions as SQL over the index ({@link ingestRecords} writes it): the runs list
 * with filters, search and keyset paging; a run whole (built as one JSON text by the database, not
 * row by row); a trace; a DAG's activity per day from the rollups; a node's history (deleting is
 * in `delete.ts`). One dialect for PGlite and PostgreSQL.
 */
import { type LlmUsage, type ModelTokens, priceTokens } from "../llm-usage.js";
import { DEFAULT_PRICES, type PriceTable } from "../price-table.js";
import type { SqlClient } from "./database.js";
import { bucketMs, DAY_MS } from "./ingest.js";
import { jsonParam } from "./text-params.js";

/** One run in the runs list. */
export interface SqlRunSummary {
  readonly runId: string;
  readonly projectId: string;
  readonly dagName: string;
  readonly dagVersion: string;
  readonly status: string;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly nodeCount: number;
  readonly failedCount: number;
  /** Node runs whose result came from the cache (`cache: "hit"`). */
  readonly cacheHits: number;
  readonly traceId: string | undefined;
}

/** The runs list's filters; every one given must hold. */
export interface SqlRunQuery {
  readonly project?: string | undefined;
  readonly dag?: string | undefined;
  readonly status?: string | undefined;
  /** Case-insensitive substring of the DAG name, a node name, an error message or a tag value. */
  readonly q?: string | undefined;
  /** `[key, value]` pairs, each of which the run's tags must have. */
  readonly tags?: readonly (readonly [string, string])[] | undefined;
  /** Runs that started at or after this time (ms). */
  readonly from?: number | undefined;
  /** Runs that started before this time (ms). */
  readonly to?: number | undefined;
  /** The `next` of the previous page. */
  readonly before?: string | undefined;
  readonly limit: number;
}

/** A page of runs, newest first; `next` is the cursor of the following page, `null` after the last. */
export interface SqlRunPage {
  readonly runs: readonly SqlRunSummary[];
  readonly next: string | null;
}

/** A cursor that cannot be read (not one this server made). */
export class BadCursorError extends Error {
  constructor(cursor: string) {
    super(`before=${JSON.stringify(cursor)} is not a cursor of this list; pass the "next" of the previous page.`);
    this.name = "BadCursorError";
  }
}

function encodeCursor(startTime: number, runId: string): string {
  return Buffer.from(JSON.stringify([startTime, runId])).toString("base64url");
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // Falls through to the error below.
  }
  throw new BadCursorError(cursor);
}

/** `q` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally. */
function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The runs that match, newest first (by start time, then run id), a page at a time. */
export async function listRuns(db: SqlClient, query: SqlRunQuery): Promise<SqlRunPage> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (query.project !== undefined) where.push(`r.project_id = ${param(query.project)}`);
  if (query.dag !== undefined) where.push(`r.dag_name = ${param(query.dag)}`);
  if (query.status !== undefined) where.push(`r.status = ${param(query.status)}`);
  if (query.from !== undefined) where.push(`r.start_time >= ${param(Math.ceil(query.from))}`);
  if (query.to !== undefined) where.push(`r.start_time < ${param(Math.ceil(query.to))}`);
  for (const [key, value] of query.tags ?? []) where.push(`r.tags @> ${param(jsonParam({ [key]: value }))}::jsonb`);
  if (query.q !== undefined && query.q !== "") {
    const pattern = param(containsPattern(query.q));
    // Node names and error messages are kept on the run at ingest (`node_search`): no node run is read.
    where.push(`(r.search LIKE ${pattern} OR r.node_search LIKE ${pattern})`);
  }
  if (query.before !== undefined) {
    const [time, id] = decodeCursor(query.before);
    where.push(`(r.start_time, r.run_id) < (${param(time)}, ${param(id)})`);
  }
  const limit = param(query.limit + 1);
  // One JSON text, not rows: PGlite's protocol reader costs more per row than the database's JSON.
  // A node run's status, cache outcome and trace id are in node_runs_order: counted from the index.
  const { rows } = await db.query<{ json: string | null }>(
    `SELECT json_agg(json_build_object('runId', x.run_id, 'projectId', x.project_id,
       'dagName', x.dag_name, 'dagVersion', x.graph_version, 'status', x.status, 'startTime', x.start_time,
       'endTime', x.end_time, 'nodeCount', x.node_count, 'failedCount', x.failed_count, 'cacheHits', x.cache_hits,
       'traceId', x.trace_id) ORDER BY x.start_time DESC, x.run_id DESC)::text AS json
     FROM (
       SELECT r.run_id, r.project_id, r.dag_name, r.graph_version, r.status, r.start_time, r.end_time,
         c.node_count, c.failed_count, c.cache_hits, c.trace_id
       FROM runs r
       CROSS JOIN LATERAL (
         SELECT count(*) AS node_count, count(*) FILTER (WHERE n.status = 'FAILURE') AS failed_count,
           count(*) FILTER (WHERE n.cache = 'hit') AS cache_hits, min(n.trace_id) AS trace_id
         FROM node_runs n WHERE n.run_id = r.run_id
       ) c
       ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY r.start_time DESC, r.run_id DESC
       LIMIT ${limit}
     ) x`,
    values,
  );
  const all = JSON.parse(rows[0]?.json ?? "[]") as Mutable<SqlRunSummary>[];
  for (const run of all) {
    // Absent, not null, as the answer has always had them.
    run.endTime ??= undefined;
    run.traceId ??= undefined;
  }
  const page = all.length > query.limit ? all.slice(0, query.limit) : all;
  const last = page[page.length - 1];
  return {
    runs: page,
    next: all.length > query.limit && last !== undefined ? encodeCursor(last.startTime, last.runId) : null,
  };
}

/** LLM figures to put in a run's answer (see `run-llm.ts`). */
export interface RunJsonLlm {
  /** The run's total (`run.llm`). */
  readonly run: unknown;
  /** The figures of the node runs that made calls, by their span id (the others get none). */
  readonly bySpan: Readonly<Record<string, unknown>>;
}

/**
 * A run as the read API answers it (`{ run, template, nodeRuns }`, node runs in the order they were
 * first seen), as one JSON text the database built; undefined when the run is not in the index.
 * With `llm`, the run carries its LLM figures as `llm`, and so does each node run that made calls.
 */
export async function getRunJson(db: SqlClient, runId: string, llm?: RunJsonLlm): Promise<string | undefined> {
  const values: unknown[] = [runId];
  let runExtra = "";
  let nodeRecord = "n.record";
  if (llm !== undefined) {
    values.push(JSON.stringify(llm.run));
    runExtra = ", 'llm', $2::jsonb";
    if (Object.keys(llm.bySpan).length > 0) {
      // Only the node runs that made calls are rebuilt; the others' records go out as stored.
      values.push(JSON.stringify(llm.bySpan));
      nodeRecord =
        "CASE WHEN $3::jsonb ? (n.record->>'spanId') " +
        "THEN (n.record::jsonb || jsonb_build_object('llm', $3::jsonb -> (n.record->>'spanId')))::json ELSE n.record END";
    }
  }
  const { rows } = await db.query<{ json: string }>(
    `SELECT json_build_object(
       'run', r.record || jsonb_build_object('projectId', r.project_id, 'finished', r.status <> 'RUNNING'${runExtra}),
       'template', t.record,
       'nodeRuns', (SELECT coalesce(json_agg(${nodeRecord} ORDER BY n.seq), '[]'::json) FROM node_runs n WHERE n.run_id = r.run_id)
     )::text AS json
     FROM runs r LEFT JOIN templates t ON t.project_id = r.project_id AND t.graph_version = r.graph_version
     WHERE r.run_id = $1`,
    values,
  );
  return rows[0]?.json;
}

/** A trace's spans by start time, as one JSON array text (`[]` for an unknown trace). */
export async function getTraceJson(db: SqlClient, traceId: string): Promise<string> {
  const { rows } = await db.query<{ json: string }>(
    `SELECT coalesce(json_agg(s.record ORDER BY s.start_time, s.span_id), '[]'::json)::text AS json
     FROM spans s WHERE s.trace_id = $1`,
    [traceId],
  );
  return rows[0]?.json ?? "[]";
}

/** One UTC day of a DAG's (or a project's, or every) activity. */
export interface ActivityDay {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly runs: number;
  readonly failures: number;
  /** Median duration of the day's finished runs, within ~5% (from rollup buckets); null without any. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** LLM calls made by the day's runs (leaf LLM spans of their traces, each counted once). */
  readonly llmCalls: number;
  /** Input plus output tokens of those calls. */
  readonly tokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /**
   * USD, priced with the server's price table; null when a model that used tokens has no price
   * (listed in `unpricedModels`).
   */
  readonly costUsd: number | null;
  readonly unpricedModels?: readonly string[];
}

/** The filters of {@link activity}. */
export interface ActivityQuery {
  readonly project?: string | undefined;
  readonly dag?: string | undefined;
  /** How many days back, today included (UTC). */
  readonly days: number;
  /** "Now" (ms), for tests; default `Date.now()`. */
  readonly now?: number | undefined;
  /** The price table tokens are priced with; default the shipped one. */
  readonly prices?: PriceTable | undefined;
}

/** The LLM figures of an answer: tokens in and out, their sum, and their cost. */
function llmFields(usage: LlmUsage) {
  return {
    llmCalls: usage.calls,
    tokens: usage.inputTokens + usage.outputTokens,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costUsd: usage.costUsd === null ? null : Math.round(usage.costUsd * 1e9) / 1e9,
    ...(usage.unpricedModels === undefined ? {} : { unpricedModels: usage.unpricedModels }),
  };
}

function quantileOf(buckets: readonly { bucket: number; runs: number }[], total: number, q: number): number | null {
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const { bucket, runs } of buckets) {
    seen += runs;
    if (seen >= rank) return Math.round(bucketMs(bucket) * 10) / 10;
  }
  return Math.round(bucketMs(buckets[buckets.length - 1]!.bucket) * 10) / 10;
}

/**
 * Runs, failures, p50/p95 duration, and LLM tokens and cost per day, every day of the range (zeros
 * where none ran), from the rollups only.
 */
export async function activity(db: SqlClient, query: ActivityQuery): Promise<{ days: ActivityDay[] }> {
  const today = Math.floor((query.now ?? Date.now()) / DAY_MS);
  const first = today - query.days + 1;
  const where = ["day >= $1", "day <= $2"];
  const values: unknown[] = [first, today];
  if (query.project !== undefined) {
    values.push(query.project);
    where.push(`project_id = $${values.length}`);
  }
  if (query.dag !== undefined) {
    values.push(query.dag);
    where.push(`dag_name = $${values.length}`);
  }
  const filter = where.join(" AND ");
  const [days, durations, llm] = await Promise.all([
    db.query<{ day: number; runs: number; failures: number }>(
      `SELECT day, sum(runs)::bigint AS runs, sum(failures)::bigint AS failures
       FROM activity_days WHERE ${filter} GROUP BY day`,
      values,
    ),
    db.query<{ day: number; bucket: number; runs: number }>(
      `SELECT day, bucket, sum(runs)::bigint AS runs FROM activity_durations WHERE ${filter}
       GROUP BY day, bucket ORDER BY day, bucket`,
      values,
    ),
    db.query<{ day: number; model: string; calls: number; input_tokens: number; output_tokens: number }>(
      `SELECT day, model, sum(calls)::bigint AS calls, sum(input_tokens)::bigint AS input_tokens,
         sum(output_tokens)::bigint AS output_tokens
       FROM activity_llm WHERE ${filter} GROUP BY day, model`,
      values,
    ),
  ]);
  const llmByDay = new Map<number, ModelTokens[]>();
  for (const row of llm.rows) {
    if (row.calls <= 0) continue;
    let list = llmByDay.get(row.day);
    if (list === undefined) llmByDay.set(row.day, (list = []));
    list.push({ model: row.model, calls: row.calls, inputTokens: row.input_tokens, outputTokens: row.output_tokens });
  }
  const prices = query.prices ?? DEFAULT_PRICES;
  const byDay = new Map(days.rows.map((row) => [row.day, row]));
  const bucketsByDay = new Map<number, { bucket: number; runs: number }[]>();
  for (const row of durations.rows) {
    if (row.runs <= 0) continue;
    let list = bucketsByDay.get(row.day);
    if (list === undefined) bucketsByDay.set(row.day, (list = []));
    list.push({ bucket: row.bucket, runs: row.runs });
  }
  const out: ActivityDay[] = [];
  for (let day = first; day <= today; day++) {
    const counts = byDay.get(day);
    const buckets = bucketsByDay.get(day) ?? [];
    const finished = buckets.reduce((sum, b) => sum + b.runs, 0);
    out.push({
      day: new Date(day * DAY_MS).toISOString().slice(0, 10),
      runs: counts?.runs ?? 0,
      failures: counts?.failures ?? 0,
      p50Ms: quantileOf(buckets, finished, 0.5),
      p95Ms: quantileOf(buckets, finished, 0.95),
      ...llmFields(priceTokens(llmByDay.get(day) ?? [], prices)),
    });
  }
  return { days: out };
}

/** The filters of {@link nodeHistory}. */
export interface NodeHistoryQuery {
  readonly project?: string | undefined;
  readonly dag?: string | undefined;
  readonly node: string;
  readonly limit: number;
  /** The price table tokens are priced with; default the shipped one. */
  readonly prices?: PriceTable | undefined;
}

/** One node run in a node's history. */
export interface NodeHistoryEntry {
  readonly runId: string;
  /** The fan-out task, null for a node outside a fan-out. */
  readonly taskId: string | null;
  readonly attempt: number;
  readonly startTime: number;
  readonly durationMs: number | null;
  readonly status: string;
  /** The cache's outcome (`hit`, `miss`, `recompute`, `disabled`), null without a cache. */
  readonly cache: string | null;
  /** For a hit: the run whose stored result was replayed. */
  readonly cacheFromRun: string | null;
  /** For a miss: why (the record's `cacheMissReason`). */
  readonly cacheMissReason: unknown;
  /** The node run's error message, for a failure. */
  readonly error: string | null;
  /** The node run's LLM calls and tokens, when its record carries them (`llm`). */
  readonly llm: unknown;
  /**
   * Input plus output tokens of the LLM calls under the node run's span (from its spans); these
   * four keys are absent when it made none (10,000 entries stay small).
   */
  readonly tokens?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** Their cost in USD (server's price table); null when a model that used tokens has no price. */
  readonly costUsd?: number | null;
}

/** A node's last node runs, newest first, with statistics over them. */
export interface NodeHistory {
  readonly runs: readonly NodeHistoryEntry[];
  /** How many node runs `runs` holds (at most the query's `limit`). */
  readonly count: number;
  /** Failed node runs over all of them (0 to 1); 0 when there are none. */
  readonly failureRate: number;
  /** Median duration (interpolated) of those with a duration; null without any. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Tokens over the node runs that made LLM calls (0 without any). */
  readonly tokens: number;
  /** Their cost in USD; null when a model that used tokens has no price. */
  readonly costUsd: number | null;
}

/**
 * The node's last `limit` node runs (in runs of the project and DAG when given), newest first, as
 * the JSON text of a {@link NodeHistory}.
 *
 * Node runs keep their run's project and DAG and their history entry as JSON text (written with
 * the row): with a project and a DAG the entries are one range of `node_runs_by_dag` (read from the
 * index alone), without them one of `node_runs_history`, and they are joined as text and answered
 * as they are, never built or serialised per row. The statistics are computed here over the
 * parsed entries; the LLM figures are looked up in what was counted at write time, only when the
 * node has any, priced here and added to the entries that made calls.
 */
export async function nodeHistoryJson(db: SqlClient, query: NodeHistoryQuery): Promise<string> {
  const values: unknown[] = [query.node, query.limit];
  const where = ["n.node = $1"];
  if (query.project !== undefined) {
    values.push(query.project);
    where.push(`n.project_id = $${values.length}`);
  }
  if (query.dag !== undefined) {
    values.push(query.dag);
    where.push(`n.dag_name = $${values.length}`);
  }
  const picked = `SELECT n.run_id, n.node, n.task_id, n.entry FROM node_runs n
       WHERE ${where.join(" AND ")}
       ORDER BY n.start_time DESC, n.run_id DESC, n.task_id DESC
       LIMIT $2`;
  const { rows } = await db.query<{ runs: string | null; usage: string | null }>(
    // The entries joined in the order the range has them (a sorted subquery feeds the aggregate in
    // its order), one per line: an entry's JSON never holds a raw line break. The LLM figures are
    // looked up only when the node has any: the range is read a second time then, not
    // materialised for every history.
    `SELECT (SELECT string_agg(h.entry, E',\n') FROM (${picked}) h) AS runs,
       (SELECT json_agg(json_build_array(l.run_id, nullif(l.task_id, ''), l.input_tokens, l.output_tokens, l.usage))
        FROM (${picked}) h JOIN node_run_llm l ON l.run_id = h.run_id AND l.node = h.node AND l.task_id = h.task_id
        WHERE EXISTS (SELECT 1 FROM node_run_llm e WHERE e.node = $1))::text AS usage`,
    values,
  );
  let text = rows[0]?.runs ?? "";
  const runs = JSON.parse(`[${text}]`) as Pick<NodeHistoryEntry, "runId" | "taskId" | "status" | "durationMs">[];
  const usage = JSON.parse(rows[0]?.usage ?? "[]") as [string, string | null, number, number, ModelTokens[]][];
  const prices = query.prices ?? DEFAULT_PRICES;
  const all: ModelTokens[] = [];
  if (usage.length > 0) {
    const byKey = new Map<string, (typeof usage)[number]>();
    for (const u of usage) {
      for (const m of u[4]) all.push(m);
      byKey.set(`${u[0]}\0${u[1] ?? ""}`, u);
    }
    const lines = text.split(",\n");
    if (lines.length !== runs.length) throw new Error("nodeHistoryJson: the entries are not one per line");
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      const u = byKey.get(`${run.runId}\0${run.taskId ?? ""}`);
      if (u === undefined) continue;
      const costUsd = llmFields(priceTokens(u[4], prices)).costUsd;
      const added = `"tokens":${u[2] + u[3]},"inputTokens":${u[2]},"outputTokens":${u[3]},"costUsd":${JSON.stringify(costUsd)}`;
      const line = lines[i]!;
      lines[i] = `${line.slice(0, line.lastIndexOf("}"))},${added}}`;
    }
    text = lines.join(",\n");
  }
  const total = llmFields(priceTokens(all, prices));
  let failures = 0;
  const durations: number[] = [];
  for (const run of runs) {
    if (run.status === "FAILURE") failures++;
    if (run.durationMs !== null) durations.push(run.durationMs);
  }
  durations.sort((a, b) => a - b);
  const stats = {
    count: runs.length,
    failureRate: runs.length === 0 ? 0 : failures / runs.length,
    p50Ms: percentileCont(durations, 0.5),
    p95Ms: percentileCont(durations, 0.95),
    tokens: total.tokens,
    costUsd: total.costUsd,
  };
  return `{"runs":[${text}],${JSON.stringify(stats).slice(1)}`;
}

/** {@link nodeHistoryJson}, parsed. */
export async function nodeHistory(db: SqlClient, query: NodeHistoryQuery): Promise<NodeHistory> {
  return JSON.parse(await nodeHistoryJson(db, query)) as NodeHistory;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** PostgreSQL's `percentile_cont`: linear interpolation over sorted values; null for none. */
export function percentileCont(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const at = fraction * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below);
}
