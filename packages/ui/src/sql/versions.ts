/**
 * A DAG's versions from the index: each graph version its runs and templates name, with when it
 * was first and last seen (its template's creation and its runs' starts), how many runs it had and
 * how many failed; and the two templates a version diff compares. One dialect for PGlite and
 * PostgreSQL, over the tables of migration 1 (`runs`, `templates`).
 */
import type { DagTemplateRecord } from "@hamilton-ts/store";
import type { SqlClient } from "./database.js";

/** One version of a DAG in a project. */
export interface DagVersion {
  readonly projectId: string;
  readonly graphVersion: string;
  /** The earliest of its template's creation and its first run's start (ms). */
  readonly firstSeen: number;
  /** The latest of its template's creation and its last run's start (ms). */
  readonly lastSeen: number;
  readonly runs: number;
  readonly failures: number;
  /** Nodes in its template; null when the store has no template of it. */
  readonly nodes: number | null;
}

/** Which DAG's versions: its name, in one project or in all. */
export interface VersionsQuery {
  readonly dag: string;
  readonly project?: string | undefined;
}

/** The DAG's versions, the newest (last seen) first. */
export async function dagVersions(db: SqlClient, query: VersionsQuery): Promise<DagVersion[]> {
  const values: unknown[] = [query.dag];
  let project = "";
  if (query.project !== undefined) {
    values.push(query.project);
    project = " AND project_id = $2";
  }
  const { rows } = await db.query<{
    project_id: string;
    graph_version: string;
    first_seen: number;
    last_seen: number;
    runs: number;
    failures: number;
    nodes: number | null;
  }>(
    `WITH r AS (
       SELECT project_id, graph_version, min(start_time) AS first_seen, max(start_time) AS last_seen,
         count(*) AS runs, count(*) FILTER (WHERE status = 'FAILURE') AS failures
       FROM runs WHERE dag_name = $1${project}
       GROUP BY project_id, graph_version
     ), t AS (
       SELECT project_id, graph_version, created_at, jsonb_array_length(record->'nodes') AS nodes
       FROM templates WHERE dag_name = $1${project}
     )
     SELECT coalesce(r.project_id, t.project_id) AS project_id,
       coalesce(r.graph_version, t.graph_version) AS graph_version,
       least(r.first_seen, t.created_at) AS first_seen,
       greatest(r.last_seen, t.created_at) AS last_seen,
       coalesce(r.runs, 0) AS runs, coalesce(r.failures, 0) AS failures, t.nodes
     FROM r FULL JOIN t ON t.project_id = r.project_id AND t.graph_version = r.graph_version
     ORDER BY last_seen DESC, first_seen DESC, graph_version DESC, project_id`,
    values,
  );
  return rows.map((row) => ({
    projectId: row.project_id,
    graphVersion: row.graph_version,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    runs: Number(row.runs),
    failures: Number(row.failures),
    nodes: row.nodes === null ? null : Number(row.nodes),
  }));
}

/**
 * The templates of the DAG's given graph versions (in one project, or the first project that has
 * it: a graph version is a hash of the graph, so any project's template of it is the same), by
 * graph version; a version without a template is missing from the map.
 */
export async function versionTemplates(
  db: SqlClient,
  query: VersionsQuery,
  versions: readonly string[],
): Promise<Map<string, DagTemplateRecord>> {
  const values: unknown[] = [query.dag, [...versions]];
  let project = "";
  if (query.project !== undefined) {
    values.push(query.project);
    project = " AND project_id = $3";
  }
  const { rows } = await db.query<{ graph_version: string; record: DagTemplateRecord | string }>(
    `SELECT DISTINCT ON (graph_version) graph_version, record FROM templates
     WHERE dag_name = $1 AND graph_version = ANY($2::text[])${project}
     ORDER BY graph_version, project_id`,
    values,
  );
  return new Map(
    rows.map((row) => [
      row.graph_version,
      typeof row.record === "string" ? (JSON.parse(row.record) as DagTemplateRecord) : row.record,
    ]),
  );
}
