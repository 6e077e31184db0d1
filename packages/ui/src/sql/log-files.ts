/**
 * The log indexer's bookkeeping in the index (`log_files`): for each store file it read, how far
 * (the offset just past the last complete line), the file's identity when read (inode, size,
 * mtime: a replaced or shrunk file is read again), what it holds (its run, or its template's
 * graph version) and what it skipped. Also the statements that replace or drop what a file held.
 */
import type { DagTemplateRecord } from "@hamilton-ts/store";
import type { SqlClient } from "./database.js";
import { dropAllLlm } from "./llm-rollup.js";
import { jsonParam } from "./text-params.js";

/** What kind of store file: a run's records, a DAG template, or the OTLP trace file. */
export type LogFileKind = "run" | "template" | "trace";

/** One store file as the index last read it. Paths are relative to the store's directory. */
export interface LogFile {
  readonly path: string;
  readonly kind: LogFileKind;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes read: up to the end of the last complete line. */
  offset: number;
  /** True when bytes after {@link offset} are there (a line being written, or torn). */
  tail: boolean;
  /** Lines that were not records (for the trace file: not OTLP JSON). */
  skippedLines: number;
  /** The trace file's spans without string ids. */
  skippedSpans: number;
  projectId: string | undefined;
  /** The run a run file holds. */
  runId: string | undefined;
  /** The graph version a template file holds. */
  graphVersion: string | undefined;
}

interface Row {
  path: string;
  kind: LogFileKind;
  ino: number;
  size: number;
  mtime_ms: number;
  read_offset: number;
  tail: boolean;
  skipped_lines: number;
  skipped_spans: number;
  project_id: string | null;
  run_id: string | null;
  graph_version: string | null;
}

function fromRow(r: Row): LogFile {
  return {
    path: r.path,
    kind: r.kind,
    ino: r.ino,
    size: r.size,
    mtimeMs: r.mtime_ms,
    offset: r.read_offset,
    tail: r.tail,
    skippedLines: r.skipped_lines,
    skippedSpans: r.skipped_spans,
    projectId: r.project_id ?? undefined,
    runId: r.run_id ?? undefined,
    graphVersion: r.graph_version ?? undefined,
  };
}

const COLUMNS = `path, kind, ino, size, mtime_ms, read_offset, tail, skipped_lines, skipped_spans, project_id, run_id,
  graph_version`;

/** Every file the index has read. */
export async function loadLogFiles(db: SqlClient): Promise<LogFile[]> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM log_files`);
  return rows.map(fromRow);
}

/** The files at these paths as the index last read them (paths it never read are left out). */
export async function loadLogFilesAt(db: SqlClient, paths: readonly string[]): Promise<LogFile[]> {
  if (paths.length === 0) return [];
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM log_files WHERE path = ANY($1::text[])`, [paths]);
  return rows.map(fromRow);
}

/** A file's identity when the index last read it: a file whose stat still says this is unchanged. */
export interface FileSignature {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly offset: number;
}

/**
 * The identity of every file the index has read, by path: what a start compares the files' stats
 * with. Built by the database as one JSON text (a row per file through the driver cost several
 * times more), and only these columns: the rest of a file's row is read when it changed.
 */
export async function loadSignatures(db: SqlClient): Promise<Map<string, FileSignature>> {
  const { rows } = await db.query<{ files: string }>(
    `SELECT coalesce(json_agg(json_build_array(path, ino, size, mtime_ms, read_offset))::text, '[]') AS files
     FROM log_files`,
  );
  const signatures = new Map<string, FileSignature>();
  for (const [path, ino, size, mtimeMs, offset] of JSON.parse(rows[0]?.files ?? "[]") as [
    string,
    number,
    number,
    number,
    number,
  ][])
    signatures.set(path, { ino, size, mtimeMs, offset });
  return signatures;
}

/** What the files the index read skipped, summed (see `LogIndexStatus`). */
export interface SkippedTotals {
  lines: number;
  traceLines: number;
  traceSpans: number;
}

/** Sums what every file skipped, in the database (a torn last line counts as one skipped line). */
export async function loadSkippedTotals(db: SqlClient): Promise<SkippedTotals> {
  const { rows } = await db.query<{ trace: boolean; lines: number | null; spans: number | null }>(
    `SELECT kind = 'trace' AS trace, sum(skipped_lines + CASE WHEN tail THEN 1 ELSE 0 END)::bigint AS lines,
       sum(skipped_spans)::bigint AS spans
     FROM log_files GROUP BY 1`,
  );
  const totals: SkippedTotals = { lines: 0, traceLines: 0, traceSpans: 0 };
  for (const r of rows) {
    if (r.trace) {
      totals.traceLines += r.lines ?? 0;
      totals.traceSpans += r.spans ?? 0;
    } else totals.lines += r.lines ?? 0;
  }
  return totals;
}

/** Records how far files were read (after what they held was stored: a crash in between reads it again). */
export async function saveLogFiles(db: SqlClient, files: readonly LogFile[]): Promise<void> {
  if (files.length === 0) return;
  const rows = files.map((f) => ({
    path: f.path,
    kind: f.kind,
    ino: f.ino,
    size: f.size,
    mtime_ms: f.mtimeMs,
    read_offset: f.offset,
    tail: f.tail,
    skipped_lines: f.skippedLines,
    skipped_spans: f.skippedSpans,
    project_id: f.projectId ?? null,
    run_id: f.runId ?? null,
    graph_version: f.graphVersion ?? null,
  }));
  await db.query(
    `INSERT INTO log_files AS l (path, kind, ino, size, mtime_ms, read_offset, tail, skipped_lines, skipped_spans,
       project_id, run_id, graph_version)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(path text, kind text, ino bigint, size bigint,
       mtime_ms double precision, read_offset bigint, tail boolean, skipped_lines integer, skipped_spans integer,
       project_id text, run_id text, graph_version text)
     ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, ino = excluded.ino, size = excluded.size,
       mtime_ms = excluded.mtime_ms, read_offset = excluded.read_offset, tail = excluded.tail,
       skipped_lines = excluded.skipped_lines, skipped_spans = excluded.skipped_spans,
       project_id = excluded.project_id, run_id = excluded.run_id, graph_version = excluded.graph_version`,
    [jsonParam(rows)],
  );
}

/** Forgets files that are gone. */
export async function forgetLogFiles(db: SqlClient, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await db.query("DELETE FROM log_files WHERE path = ANY($1::text[])", [paths]);
}

/** Stores templates read from their files, replacing what an earlier version of the file held. */
export async function putTemplates(
  db: SqlClient,
  templates: readonly { readonly projectId: string; readonly template: DagTemplateRecord }[],
): Promise<void> {
  if (templates.length === 0) return;
  const seen = new Map<string, object>();
  for (const { projectId, template: t } of templates) {
    seen.set(`${projectId}\0${t.graphVersion}`, {
      project_id: projectId,
      graph_version: t.graphVersion,
      dag_name: t.dagName,
      created_at: Math.round(t.createdAt),
      record: t,
    });
  }
  await db.query(
    `INSERT INTO templates AS t (project_id, graph_version, dag_name, created_at, record)
     SELECT project_id, graph_version, dag_name, created_at, record
     FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, graph_version text, dag_name text, created_at bigint, record jsonb)
     ON CONFLICT (project_id, graph_version) DO UPDATE SET dag_name = excluded.dag_name,
       created_at = excluded.created_at, record = excluded.record`,
    [jsonParam([...seen.values()])],
  );
}

/** Removes the templates of files that are gone. */
export async function dropTemplates(
  db: SqlClient,
  templates: readonly { readonly projectId: string; readonly graphVersion: string }[],
): Promise<void> {
  if (templates.length === 0) return;
  await db.query(
    `DELETE FROM templates t USING jsonb_to_recordset($1::jsonb) AS x(project_id text, graph_version text)
     WHERE t.project_id = x.project_id AND t.graph_version = x.graph_version`,
    [JSON.stringify(templates.map((t) => ({ project_id: t.projectId, graph_version: t.graphVersion })))],
  );
}

/** Removes every span (the trace file was replaced, cut or deleted: it is read again from its start). */
export async function dropAllSpans(db: SqlClient): Promise<void> {
  await db.query("DELETE FROM spans");
  // Every LLM figure came from spans: the trace file read again counts them again.
  await dropAllLlm(db);
}

/**
 * What the indexer keeps beside the files' offsets (`hts_meta`): the last full pass's list of
 * files and folders that are not store files.
 */
export async function saveMeta(db: SqlClient, key: string, value: unknown): Promise<void> {
  await db.query(
    "INSERT INTO hts_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [key, jsonParam(value)],
  );
}

/** A value {@link saveMeta} kept, or undefined. */
export async function loadMeta(db: SqlClient, key: string): Promise<unknown> {
  const { rows } = await db.query<{ value: string }>("SELECT value FROM hts_meta WHERE key = $1", [key]);
  return rows[0] === undefined ? undefined : JSON.parse(rows[0].value);
}
