/**
 * The SQL index's schema: one ordered, additive list of migrations for both backends (PGlite
 * embedded, PostgreSQL for a team), in the subset of PostgreSQL both run (PGlite is a recent
 * PostgreSQL in WASM, Debian's server 15). {@link migrate} applies what is missing under an
 * advisory lock, so replicas starting together do not race, and refuses a database that a newer
 * version of the package migrated: it is never written to.
 *
 * Times are milliseconds since the epoch in `bigint`; records are kept whole beside the columns
 * the queries filter and sort on: in `jsonb`, but a node run's in `json` (its text as written, not
 * parsed into jsonb when stored nor printed again when a run is answered).
 */
import type { SqlClient } from "./database.js";
import { LLM_CALL_KEYS } from "../llm-usage.js";
import { HISTORY_ENTRY_BYTES, HISTORY_ERROR_CHARS } from "./history-entry.js";
import { backfillLlm } from "./llm-rollup.js";

/** One step of the schema. Never edit a released step: add the next one. */
export interface Migration {
  /** 1, 2, 3, … in order, no gaps. */
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  /**
   * Work that needs the package's code (not SQL alone), run after the step's SQL committed, still
   * under the migration lock; it must be harmless to run again.
   */
  readonly after?: (sql: SqlClient) => Promise<void>;
}

/** The key of the advisory lock migrations take (any constant; this one spells "hts-migr"). */
export const MIGRATION_LOCK_KEY = 0x6874732d6d696772n;

/**
 * Every migration, in order. Activity is rolled up per project, DAG and UTC day at write time
 * (`activity_days`, and run durations in `activity_durations` by logarithmic bucket for p50/p95), so
 * the activity chart never scans the runs. LLM calls are rolled up the same way (`activity_llm`, by
 * model: priced when read, with the server's price table), from what each run's spans count
 * (`run_llm`, `node_run_llm`), kept up to date as spans and records arrive (`llm-rollup.ts`).
 */
/** A node run's history entry as migration 7 builds it from a row (`n`), as historyEntry does. */
const HISTORY_ENTRY_SQL = (() => {
  const reason = "n.record->'cacheMissReason'";
  const error = `CASE WHEN length(n.error_message) > ${HISTORY_ERROR_CHARS} THEN left(n.error_message, ${HISTORY_ERROR_CHARS}) || '…' ELSE n.error_message END`;
  const entry = (r: string, l: string) =>
    `json_build_object('runId', n.run_id, 'taskId', nullif(n.task_id, ''), 'attempt', n.attempt, 'startTime', n.start_time,
      'durationMs', n.duration_ms, 'status', n.status, 'cache', n.cache, 'cacheFromRun', n.record->'cacheFromRun',
      'cacheMissReason', ${r}, 'error', ${error}, 'llm', ${l})::text`;
  const full = entry(reason, "n.record->'llm'");
  const bare = entry(
    `CASE WHEN ${reason} IS NULL THEN NULL ELSE jsonb_build_object('kind', ${reason}->'kind') END`,
    "NULL",
  );
  return `CASE WHEN octet_length(${full}) <= ${HISTORY_ENTRY_BYTES} THEN ${full} ELSE ${bare} END`;
})();

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "runs, node runs, templates, spans, activity rollups, log offsets",
    sql: `
CREATE TABLE IF NOT EXISTS hts_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE templates (
  project_id text NOT NULL,
  graph_version text NOT NULL,
  dag_name text NOT NULL,
  created_at bigint NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (project_id, graph_version)
);
CREATE TABLE runs (
  run_id text PRIMARY KEY,
  project_id text NOT NULL,
  dag_name text NOT NULL,
  graph_version text NOT NULL,
  status text NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint,
  duration_ms double precision,
  duration_bucket integer,
  tags jsonb NOT NULL,
  search text NOT NULL,
  record jsonb NOT NULL
);
CREATE INDEX runs_by_start ON runs (start_time DESC, run_id DESC);
CREATE INDEX runs_by_dag ON runs (project_id, dag_name, start_time DESC, run_id DESC);
CREATE INDEX runs_by_tags ON runs USING gin (tags jsonb_path_ops);
CREATE SEQUENCE node_run_seq;
CREATE TABLE node_runs (
  run_id text NOT NULL,
  node text NOT NULL,
  task_id text NOT NULL,
  attempt integer NOT NULL,
  status text NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint,
  duration_ms double precision,
  cache text,
  trace_id text,
  error_message text,
  seq bigint NOT NULL DEFAULT nextval('node_run_seq'),
  record jsonb NOT NULL,
  PRIMARY KEY (run_id, node, task_id)
);
CREATE INDEX node_runs_history ON node_runs (node, start_time DESC);
CREATE INDEX node_runs_order ON node_runs (run_id, seq);
CREATE TABLE spans (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  start_time bigint NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE activity_days (
  project_id text NOT NULL,
  dag_name text NOT NULL,
  day integer NOT NULL,
  runs integer NOT NULL,
  failures integer NOT NULL,
  finished integer NOT NULL,
  PRIMARY KEY (project_id, dag_name, day)
);
CREATE TABLE activity_durations (
  project_id text NOT NULL,
  dag_name text NOT NULL,
  day integer NOT NULL,
  bucket integer NOT NULL,
  runs integer NOT NULL,
  PRIMARY KEY (project_id, dag_name, day, bucket)
);
CREATE TABLE log_files (
  path text PRIMARY KEY,
  read_offset bigint NOT NULL,
  skipped_lines integer NOT NULL
);
`,
  },
  {
    id: 2,
    name: "log offsets know each file's identity, kind and run, and the trace file's skipped spans",
    sql: `
ALTER TABLE log_files
  ADD COLUMN kind text NOT NULL DEFAULT 'run',
  ADD COLUMN ino bigint NOT NULL DEFAULT 0,
  ADD COLUMN size bigint NOT NULL DEFAULT 0,
  ADD COLUMN mtime_ms double precision NOT NULL DEFAULT 0,
  ADD COLUMN tail boolean NOT NULL DEFAULT false,
  ADD COLUMN project_id text,
  ADD COLUMN run_id text,
  ADD COLUMN graph_version text,
  ADD COLUMN skipped_spans integer NOT NULL DEFAULT 0;
CREATE INDEX log_files_by_run ON log_files (run_id);
`,
  },
  {
    id: 3,
    name: "team mode: the tracking protocol's ids from sequences, and its node attributes",
    sql: `
CREATE SEQUENCE protocol_template_ids;
CREATE SEQUENCE protocol_run_ids;
CREATE TABLE protocol_templates (
  id bigint PRIMARY KEY,
  project_id text NOT NULL,
  name text NOT NULL,
  dag_hash text NOT NULL,
  code_hash text NOT NULL,
  created_at bigint NOT NULL,
  UNIQUE (project_id, dag_hash, code_hash, name)
);
CREATE TABLE protocol_runs (
  id bigint PRIMARY KEY,
  template_id bigint NOT NULL,
  project_id text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX protocol_runs_by_template ON protocol_runs (template_id, id DESC);
CREATE INDEX protocol_runs_by_project ON protocol_runs (project_id, id DESC);
CREATE TABLE protocol_attributes (
  run_id text NOT NULL,
  node_name text NOT NULL,
  name text NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (run_id, node_name, name)
);
`,
  },
  {
    id: 4,
    name: "the runs list filtered by project, DAG and status reads its newest page from one index",
    sql: `
CREATE INDEX runs_by_dag_status ON runs (project_id, dag_name, status, start_time DESC, run_id DESC);
`,
  },
  {
    id: 5,
    name: "runs keep their node names and node error messages for q=, so a search never reads node runs",
    sql: `
ALTER TABLE runs ADD COLUMN node_search text NOT NULL DEFAULT E'\\n';
UPDATE runs r SET node_search = E'\\n' || s.text
FROM (
  SELECT n.run_id, string_agg(DISTINCT replace(v.p, E'\\n', ' ') || E'\\n', '') AS text
  FROM node_runs n CROSS JOIN LATERAL (VALUES (lower(n.node)), (lower(n.error_message))) v(p)
  WHERE v.p IS NOT NULL GROUP BY n.run_id
) s
WHERE r.run_id = s.run_id;
`,
  },
  {
    id: 6,
    name: "LLM calls rolled up at write time: per run, per node run and per day, by model",
    sql: `
CREATE TABLE llm_traces (
  trace_id text PRIMARY KEY
);
CREATE TABLE run_llm (
  run_id text NOT NULL,
  model text NOT NULL,
  project_id text NOT NULL,
  dag_name text NOT NULL,
  day integer NOT NULL,
  calls integer NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  PRIMARY KEY (run_id, model)
);
CREATE TABLE node_run_llm (
  run_id text NOT NULL,
  node text NOT NULL,
  task_id text NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  usage jsonb NOT NULL,
  PRIMARY KEY (run_id, node, task_id)
);
CREATE TABLE activity_llm (
  project_id text NOT NULL,
  dag_name text NOT NULL,
  day integer NOT NULL,
  model text NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  PRIMARY KEY (project_id, dag_name, day, model)
);
CREATE INDEX node_runs_by_trace ON node_runs (trace_id) WHERE trace_id IS NOT NULL;
INSERT INTO llm_traces (trace_id)
SELECT DISTINCT trace_id FROM spans WHERE record->'attributes' ?| array[${LLM_CALL_KEYS.map((k) => `'${k}'`).join(", ")}];
`,
    // The runs indexed before are counted once, from the spans already there.
    after: backfillLlm,
  },
  {
    id: 7,
    name: "a node's history reads one index range (node runs keep their run's project and DAG, and their entry as text); the runs list counts node runs from an index",
    sql: `
ALTER TABLE node_runs ADD COLUMN project_id text, ADD COLUMN dag_name text, ADD COLUMN entry text;
-- The keys, their order and their cuts are those of historyEntry (ingest.ts), which writes the
-- entries from now on; the node runs of a run not in the index get their entry in a second pass.
UPDATE node_runs n SET project_id = r.project_id, dag_name = r.dag_name, entry = ${HISTORY_ENTRY_SQL}
FROM runs r WHERE r.run_id = n.run_id;
UPDATE node_runs n SET entry = ${HISTORY_ENTRY_SQL} WHERE n.entry IS NULL;
-- The runs list counts each run's node runs, failures and cache hits from this index alone.
DROP INDEX node_runs_order;
CREATE INDEX node_runs_order ON node_runs (run_id, seq) INCLUDE (status, cache, trace_id);
-- A node's history looks up LLM figures only when the node has some.
CREATE INDEX node_run_llm_by_node ON node_run_llm (node);
-- The entry is in the index: a history is read from the index alone once the table is vacuumed.
CREATE INDEX node_runs_by_dag ON node_runs (project_id, dag_name, node, start_time DESC, run_id DESC, task_id DESC)
  INCLUDE (entry);
`,
  },
  {
    id: 8,
    name: "node runs keep their record as JSON text (json, not jsonb): stored without being parsed into jsonb, answered as written",
    sql: `
ALTER TABLE node_runs ALTER COLUMN record TYPE json USING record::json;
`,
  },
];

/** The schema version this package writes: the last migration's id. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/** A database migrated by a newer version of the package than this one. */
export class SchemaTooNewError extends Error {
  /** The database's schema version. */
  readonly found: number;
  constructor(found: number) {
    super(
      `The database's schema is at version ${found}, newer than this hamilton-ts-ui's ${SCHEMA_VERSION}: ` +
        `a newer @hamilton-ts/ui migrated it. Upgrade this one (it never writes to a newer schema).`,
    );
    this.name = "SchemaTooNewError";
    this.found = found;
  }
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The schema version before. */
  readonly from: number;
  /** The schema version now ({@link SCHEMA_VERSION}). */
  readonly to: number;
  /** The migrations applied, in order (empty when the schema was current). */
  readonly applied: readonly number[];
}

async function versionOf(sql: SqlClient): Promise<number> {
  const { rows } = await sql.query<{ value: string }>("SELECT value FROM hts_schema WHERE key = 'version'");
  return rows.length === 0 ? 0 : Number(rows[0]!.value);
}

/**
 * Brings the schema to {@link SCHEMA_VERSION}: each missing migration in its own transaction,
 * holding the migration lock (a replica starting at the same time waits, then finds nothing to do).
 * Running it twice is harmless. Rejects with {@link SchemaTooNewError}, before writing anything,
 * when a newer version migrated the database.
 */
export async function migrate(db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const latest = migrations[migrations.length - 1]?.id ?? 0;
  return db.exclusive(MIGRATION_LOCK_KEY, async (sql) => {
    await sql.query("CREATE TABLE IF NOT EXISTS hts_schema (key text PRIMARY KEY, value text NOT NULL)");
    const from = await versionOf(sql);
    if (from > latest) throw new SchemaTooNewError(from);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.id <= from) continue;
      try {
        await sql.transaction([
          { text: migration.sql },
          {
            text: "INSERT INTO hts_schema (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            values: [String(migration.id)],
          },
        ]);
      } catch (error) {
        throw new Error(`Migration ${migration.id} (${migration.name}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      await migration.after?.(sql);
      applied.push(migration.id);
    }
    return { from, to: Math.max(from, latest), applied };
  });
}

/** The database's schema version (0 for an empty database), without changing anything. */
export async function schemaVersion(db: SqlClient): Promise<number> {
  const { rows } = await db.query<{ exists: boolean }>("SELECT to_regclass('hts_schema') IS NOT NULL AS exists");
  return rows[0]?.exists ? versionOf(db) : 0;
}
