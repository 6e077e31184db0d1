/**
 * The read API over the SQL index: `GET /api/runs` (filters, `q=`, `tag=`, `from=`/`to=`, paging),
 * `GET /api/runs/:runId`, `DELETE /api/runs/:runId`, `GET /api/traces/:traceId`,
 * `GET /api/activity`, `GET /api/nodes/history` and `GET /api/store`. A run's answer carries its
 * LLM calls, tokens and cost (`run.llm`, and `llm` on each node run that made calls), priced with
 * the server's table. The server checks the API key
 * first and hands these paths to {@link readRoute} with a {@link ReadSource}: the index's database
 * and what only the server knows (whether its own writes are indexed yet, the store's files).
 * Every bad parameter is a 400 that names it, says what was wrong and what is expected.
 */
import { HttpError, checkId } from "./http-error.js";
import { single, statusParam, tagParams, textParam, timeParam, wholeParam } from "./read-params.js";
import { DEFAULT_PRICES, type PriceTable } from "./prices.js";
import type { SqlClient } from "./sql/database.js";
import { deleteRun, pruneRuns } from "./sql/delete.js";
import { activity, BadCursorError, getRunJson, getTraceJson, listRuns, nodeHistoryJson } from "./sql/queries.js";
import { runLlm, runsLlm } from "./sql/run-llm.js";
import { versionsRoute } from "./versions-routes.js";

/** What the read routes need of the server (the indexer builds it in `server.ts`). */
export interface ReadSource {
  readonly db: SqlClient;
  /** Resolves once what this server wrote before the call is in the index. */
  settled(): Promise<void>;
  readonly backend: "embedded" | "postgres";
  /** Embedded: deletes the run's file (the index row is deleted by the read routes). */
  deleteRunFile?(projectId: string, runId: string): Promise<void>;
  /** The store's own status fields (dir, skipped counts, catchingUp). */
  status(): Promise<Record<string, unknown>>;
  /** The LLM price table runs' costs are computed with (`startUi({ prices })`); default the shipped one. */
  readonly prices?: PriceTable | undefined;
}

/**
 * A read route's answer: `json`, when given, is the body as JSON text the database built (send it
 * as it is); otherwise send `body` as JSON (nothing for a 204).
 */
export interface ReadAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly json?: string;
}

/** The most runs (and node runs of a node's history) one answer gives. */
export const MAX_LIMIT = 10_000;
/** Runs in a page of `GET /api/runs` without `limit`. */
export const DEFAULT_LIST_LIMIT = 100;
/** Node runs in `GET /api/nodes/history` without `limit`. */
export const DEFAULT_HISTORY_LIMIT = 100;
/** Days of `GET /api/activity` without `days`, and the most it gives. */
export const DEFAULT_ACTIVITY_DAYS = 30;
export const MAX_ACTIVITY_DAYS = 3660;

export { pruneRuns };
export type { PruneOptions } from "./sql/delete.js";

const bad = (error: HttpError): ReadAnswer => ({
  status: error.status,
  body: { error: error.message, detail: error.message },
});

/** `project=` (an id: no `/`, `\`, NUL or leading `.`), or undefined. */
function projectParam(query: URLSearchParams): string | undefined {
  const project = single(query, "project");
  return project === undefined ? undefined : checkId("project", project);
}

async function runsList(query: URLSearchParams, source: ReadSource): Promise<ReadAnswer> {
  const from = timeParam(query, "from");
  const to = timeParam(query, "to");
  if (from !== undefined && to !== undefined && from > to) {
    throw new HttpError(400, `from=${from} is after to=${to}: from is the earliest start time, to the latest (ms).`);
  }
  const filter = {
    project: projectParam(query),
    dag: textParam(query, "dag"),
    status: statusParam(query),
    q: textParam(query, "q"),
    tags: tagParams(query),
    from,
    to,
    before: textParam(query, "before"),
    limit: wholeParam(query, "limit", { min: 1, max: MAX_LIMIT, fallback: DEFAULT_LIST_LIMIT }),
  };
  await source.settled();
  let page: Awaited<ReturnType<typeof listRuns>>;
  try {
    page = await listRuns(source.db, filter);
  } catch (error) {
    if (error instanceof BadCursorError) throw new HttpError(400, error.message);
    throw error;
  }
  // LLM figures for the runs whose trace made calls (the page's LLM column).
  const traced = page.runs.flatMap((r) => (r.traceId === undefined ? [] : [{ runId: r.runId, traceId: r.traceId }]));
  const llm = await runsLlm(source.db, traced, source.prices ?? DEFAULT_PRICES);
  if (llm.size === 0) return { status: 200, body: page };
  const runs = page.runs.map((r) => {
    const usage = llm.get(r.runId);
    return usage === undefined ? r : { ...r, llm: usage };
  });
  return { status: 200, body: { runs, next: page.next } };
}

async function runDetail(runId: string, source: ReadSource): Promise<ReadAnswer> {
  await source.settled();
  const llm = await runLlm(source.db, runId, source.prices ?? DEFAULT_PRICES);
  const json = await getRunJson(source.db, runId, llm);
  return json === undefined
    ? { status: 404, body: { error: `No run with id ${JSON.stringify(runId)} in the store.` } }
    : { status: 200, body: undefined, json };
}

async function runDelete(runId: string, source: ReadSource): Promise<ReadAnswer> {
  await source.settled();
  const outcome = await deleteRun(
    source.backend === "embedded" && source.deleteRunFile !== undefined
      ? { db: source.db, backend: source.backend, deleteRunFile: (p, r) => source.deleteRunFile!(p, r) }
      : { db: source.db, backend: source.backend },
    runId,
  );
  if (outcome === "deleted") return { status: 204, body: undefined };
  if (outcome === "not_found")
    return { status: 404, body: { error: `No run with id ${JSON.stringify(runId)} in the store.` } };
  return {
    status: 409,
    body: {
      error: `Run ${JSON.stringify(runId)} is still running; it can be deleted once it has finished (SUCCESS or FAILURE).`,
    },
  };
}

async function trace(traceId: string, source: ReadSource): Promise<ReadAnswer> {
  if (!/^[0-9a-f]{32}$/i.test(traceId)) {
    throw new HttpError(400, `Trace id ${JSON.stringify(traceId.slice(0, 100))} is not 32 hex digits.`);
  }
  const id = traceId.toLowerCase();
  await source.settled();
  const spans = await getTraceJson(source.db, id);
  return { status: 200, body: undefined, json: `{"traceId":${JSON.stringify(id)},"spans":${spans}}` };
}

async function activityDays(query: URLSearchParams, source: ReadSource): Promise<ReadAnswer> {
  const filter = {
    project: projectParam(query),
    dag: textParam(query, "dag"),
    days: wholeParam(query, "days", { min: 1, max: MAX_ACTIVITY_DAYS, fallback: DEFAULT_ACTIVITY_DAYS }),
  };
  await source.settled();
  return { status: 200, body: await activity(source.db, { ...filter, prices: source.prices }) };
}

async function history(query: URLSearchParams, source: ReadSource): Promise<ReadAnswer> {
  const node = textParam(query, "node");
  if (node === undefined) {
    throw new HttpError(
      400,
      "node is missing: GET /api/nodes/history needs node=<name> (and may take project=, dag=, limit=).",
    );
  }
  const filter = {
    project: projectParam(query),
    dag: textParam(query, "dag"),
    node,
    limit: wholeParam(query, "limit", { min: 1, max: MAX_LIMIT, fallback: DEFAULT_HISTORY_LIMIT }),
  };
  await source.settled();
  return { status: 200, body: undefined, json: await nodeHistoryJson(source.db, { ...filter, prices: source.prices }) };
}

async function storeStatus(source: ReadSource): Promise<ReadAnswer> {
  await source.settled();
  const [status, counts] = await Promise.all([
    source.status(),
    source.db.query<{ runs: number; templates: number }>(
      "SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM templates) AS templates",
    ),
  ]);
  const { runs, templates } = counts.rows[0] ?? { runs: 0, templates: 0 };
  return {
    status: 200,
    body: { ...status, backend: source.backend, runs: Number(runs), templates: Number(templates) },
  };
}

/** The id after a route's prefix, percent-decoded (a bad escape is a 400). */
function idAfter(path: string, prefix: string): string {
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch (error) {
    throw new HttpError(400, `The path is not valid percent-encoding (${(error as Error).message}).`);
  }
}

async function dispatch(
  method: string,
  path: string,
  query: URLSearchParams,
  source: ReadSource,
): Promise<ReadAnswer | undefined> {
  if (path === "/api/runs") return method === "GET" ? runsList(query, source) : undefined;
  if (path.startsWith("/api/runs/")) {
    if (method !== "GET" && method !== "DELETE") return undefined;
    const runId = checkId("run id", idAfter(path, "/api/runs/"));
    return method === "GET" ? runDetail(runId, source) : runDelete(runId, source);
  }
  if (method !== "GET") return undefined;
  if (path.startsWith("/api/traces/")) return trace(idAfter(path, "/api/traces/"), source);
  if (path === "/api/activity") return activityDays(query, source);
  if (path === "/api/nodes/history") return history(query, source);
  if (path.startsWith("/api/versions")) return versionsRoute(path, query, source);
  if (path === "/api/store") return storeStatus(source);
  return undefined;
}

/**
 * Answers a read route, or undefined when `method` and `path` are not one (the server routes them
 * on). A bad parameter is a 400 answer, never a rejection; a database failure rejects.
 */
export async function readRoute(
  method: string,
  path: string,
  query: URLSearchParams,
  source: ReadSource,
): Promise<ReadAnswer | undefined> {
  try {
    return await dispatch(method, path, query, source);
  } catch (error) {
    if (error instanceof HttpError) return bad(error);
    throw error;
  }
}
