/**
 * Deleting runs from the SQL index: one run (`DELETE /api/runs/:runId`) or every finished run that
 * started before a time (retention: `hamilton-ts-ui prune`, the server's `retainDays`). A run goes
 * with its node runs, the spans of its traces and its part of the activity rollups, in one
 * statement; a run still running is never deleted. Embedded, the run's file in the store goes
 * first (the files are the durable log the index is rebuilt from), then its rows.
 */
import type { SqlClient } from "./database.js";
import { DAY_MS } from "./ingest.js";
import { FORGET_RUN_LLM } from "./llm-rollup.js";
import { CHANGES_CHANNEL } from "./team-notify.js";

/** A run that was deleted. */
export interface DeletedRun {
  readonly runId: string;
  readonly projectId: string;
}

/**
 * Deletes the finished runs among `runIds` (unknown and running ones are left alone), their node
 * runs, the spans of their traces, and their counts in the activity rollups (LLM calls included);
 * one statement.
 */
export async function deleteRuns(db: SqlClient, runIds: readonly string[]): Promise<DeletedRun[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<{ run_id: string; project_id: string }>(
    `WITH target AS (
       SELECT run_id, project_id, dag_name, status, duration_bucket,
         floor(start_time::double precision / ${DAY_MS})::integer AS day
       FROM runs WHERE run_id = ANY($1::text[]) AND status <> 'RUNNING' FOR UPDATE
     ),
     traces AS (
       SELECT DISTINCT n.trace_id FROM node_runs n JOIN target t ON t.run_id = n.run_id WHERE n.trace_id IS NOT NULL
     ),
     del_spans AS (DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM traces)),
     del_llm_traces AS (DELETE FROM llm_traces WHERE trace_id IN (SELECT trace_id FROM traces)),${FORGET_RUN_LLM},
     del_nodes AS (DELETE FROM node_runs WHERE run_id IN (SELECT run_id FROM target)),
     del_attributes AS (DELETE FROM protocol_attributes WHERE run_id IN (SELECT run_id FROM target)),
     del_runs AS (DELETE FROM runs WHERE run_id IN (SELECT run_id FROM target) RETURNING run_id, project_id),
     per_day AS (
       SELECT project_id, dag_name, day, count(*) AS runs, count(*) FILTER (WHERE status = 'FAILURE') AS failures
       FROM target GROUP BY project_id, dag_name, day
     ),
     per_bucket AS (
       SELECT project_id, dag_name, day, duration_bucket AS bucket, count(*) AS runs
       FROM target WHERE duration_bucket IS NOT NULL GROUP BY project_id, dag_name, day, duration_bucket
     ),
     days AS (
       UPDATE activity_days a SET runs = a.runs - g.runs, failures = a.failures - g.failures, finished = a.finished - g.runs
       FROM per_day g WHERE a.project_id = g.project_id AND a.dag_name = g.dag_name AND a.day = g.day
     ),
     durations AS (
       UPDATE activity_durations d SET runs = d.runs - g.runs
       FROM per_bucket g
       WHERE d.project_id = g.project_id AND d.dag_name = g.dag_name AND d.day = g.day AND d.bucket = g.bucket
     )
     SELECT run_id, project_id FROM del_runs`,
    [runIds],
  );
  return rows.map((row) => ({ runId: row.run_id, projectId: row.project_id }));
}

/** A run's project and status in the index, or undefined when it is not there. */
export async function runState(
  db: SqlClient,
  runId: string,
): Promise<{ readonly projectId: string; readonly status: string } | undefined> {
  const { rows } = await db.query<{ project_id: string; status: string }>(
    "SELECT project_id, status FROM runs WHERE run_id = $1",
    [runId],
  );
  const row = rows[0];
  return row === undefined ? undefined : { projectId: row.project_id, status: row.status };
}

/** What {@link deleteRun} did. */
export type DeleteOutcome = "deleted" | "not_found" | "running";

/** Where deletions happen: the index, and (embedded) the store's files. */
export interface DeleteTarget {
  readonly db: SqlClient;
  /** Deletes the run's file from the store (embedded); absent in team mode (no files). */
  deleteRunFile?(projectId: string, runId: string): Promise<void>;
  /**
   * `postgres`: every replica is told of the deletion (a `pg_notify` on the replicas' change
   * channel), so their pages refresh. Embedded, the log indexer sees the deleted files itself.
   */
  readonly backend?: "embedded" | "postgres" | undefined;
}

/** Tells every replica of a team database that runs were deleted; a notification that fails is dropped. */
async function announce(target: DeleteTarget): Promise<void> {
  if (target.backend !== "postgres") return;
  await target.db.query("SELECT pg_notify($1, 'write')", [CHANGES_CHANNEL]).catch(() => undefined);
}

/**
 * Deletes one finished run: its file first (when the target has files), then its rows. A run
 * still running is refused (`running`), an unknown one is `not_found`.
 */
export async function deleteRun(target: DeleteTarget | SqlClient, runId: string): Promise<DeleteOutcome> {
  const { db, deleteRunFile } = "db" in target ? target : { db: target, deleteRunFile: undefined };
  const state = await runState(db, runId);
  if (state === undefined) return "not_found";
  if (state.status === "RUNNING") return "running";
  await deleteRunFile?.(state.projectId, runId);
  const deleted = await deleteRuns(db, [runId]);
  if (deleted.length > 0) {
    if ("db" in target) await announce(target);
    return "deleted";
  }
  // Deleted meanwhile: by the log indexer, which saw the file this call deleted (embedded), or by
  // another request or replica.
  return (await runState(db, runId)) === undefined
    ? deleteRunFile !== undefined
      ? "deleted"
      : "not_found"
    : "running";
}

/** Options of {@link pruneRuns}. */
export interface PruneOptions {
  /** Deletes finished runs that started more than this many milliseconds before `now`. */
  readonly olderThanMs: number;
  /** Only this project's runs; default every project. */
  readonly project?: string | undefined;
  /** "Now" in ms since the epoch; default `Date.now()`. */
  readonly now?: number | undefined;
}

/** How many runs are deleted per statement. */
const PRUNE_BATCH = 500;

/**
 * Retention: deletes every finished run that started before `now - olderThanMs` (in one project
 * when given), with its node runs, spans and (embedded) file, a batch of runs at a time. Resolves
 * to the number of runs deleted. Running runs are kept whatever their age.
 */
export async function pruneRuns(target: DeleteTarget, options: PruneOptions): Promise<number> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw new RangeError(`pruneRuns: olderThanMs is ${options.olderThanMs}; expected a number of milliseconds ≥ 0.`);
  }
  const cutoff = Math.floor((options.now ?? Date.now()) - options.olderThanMs);
  const values: unknown[] = [cutoff, PRUNE_BATCH];
  let where = "status <> 'RUNNING' AND start_time < $1";
  if (options.project !== undefined) {
    values.push(options.project);
    where += " AND project_id = $3";
  }
  let count = 0;
  // A file that cannot be deleted rejects (nothing of that batch is deleted from the index).
  for (;;) {
    const { rows } = await target.db.query<{ run_id: string; project_id: string }>(
      `SELECT run_id, project_id FROM runs WHERE ${where} ORDER BY start_time, run_id LIMIT $2`,
      values,
    );
    if (rows.length === 0) break;
    if (target.deleteRunFile !== undefined) {
      for (const row of rows) await target.deleteRunFile(row.project_id, row.run_id);
    }
    const deleted = await deleteRuns(
      target.db,
      rows.map((row) => row.run_id),
    );
    // Embedded, the log indexer may drop a run whose file was just deleted before this statement
    // does: those runs were deleted all the same.
    count += target.deleteRunFile !== undefined ? rows.length : deleted.length;
    if (deleted.length === 0 && target.deleteRunFile === undefined) break;
  }
  if (count > 0) await announce(target);
  return count;
}
