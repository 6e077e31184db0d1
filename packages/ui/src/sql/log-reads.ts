/**
 * The log indexer's reads of the store's files, without state of their own: which files differ
 * from what was indexed (a stat each), and a run or template file read into a batch of records and
 * offsets that the indexer then writes (records before offsets). The indexer itself
 * (`log-indexer.ts`) decides when to read, and keeps the signatures.
 */
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DagTemplateRecord, type NodeRunRecord, RunFold, readAppended, type RunRecord } from "@hamilton-ts/store";
import type { ProjectRecords } from "./ingest.js";
import type { FileSignature, LogFile } from "./log-files.js";
import type { StoreFileRef } from "./store-files.js";

/** Bytes read from one file at a time. */
export const SLICE_BYTES = 4 * 1024 * 1024;

/** True for an error that says the file (or a folder on its path) is not there. */
export const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
};

/** What one indexing step writes: records, runs and templates to drop, offsets to save or forget. */
export interface Batch {
  readonly records: ProjectRecords[];
  readonly runIds: Set<string>;
  readonly dropRunIds: string[];
  readonly templates: { projectId: string; template: DagTemplateRecord }[];
  readonly dropTemplates: { projectId: string; graphVersion: string }[];
  readonly saved: LogFile[];
  readonly forgotten: string[];
  rows: number;
}

/** An empty batch. */
export function newBatch(): Batch {
  return {
    records: [],
    runIds: new Set(),
    dropRunIds: [],
    templates: [],
    dropTemplates: [],
    saved: [],
    forgotten: [],
    rows: 0,
  };
}

/** A file's row before anything of it was read. */
export function fresh(ref: StoreFileRef, projectId: string | undefined): LogFile {
  return {
    path: ref.path,
    kind: ref.kind,
    ino: 0,
    size: 0,
    mtimeMs: 0,
    offset: 0,
    tail: false,
    skippedLines: 0,
    skippedSpans: 0,
    projectId,
    runId: undefined,
    graphVersion: undefined,
  };
}

/**
 * The paths whose files differ from their signature (or are new, or gone), by a synchronous stat
 * each: a full pass over an unchanged store costs a stat per file and no database work. A file
 * that cannot be looked at is kept (the batch decides what to do with it).
 */
export function differingFiles(
  dir: string,
  signatures: ReadonlyMap<string, FileSignature>,
  paths: readonly string[],
): string[] {
  const out: string[] = [];
  for (const path of paths) {
    const known = signatures.get(path);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(join(dir, path), { throwIfNoEntry: false });
    } catch {
      out.push(path);
      continue;
    }
    if (st === undefined || st.isDirectory()) {
      if (known !== undefined) out.push(path);
    } else if (known === undefined || known.ino !== st.ino || known.size !== st.size || known.mtimeMs !== st.mtimeMs)
      out.push(path);
  }
  return out;
}

/** Puts a file that is gone in the batch: its run or template is dropped, its row forgotten. */
export function forgetFile(known: LogFile, batch: Batch): void {
  if (known.kind === "run" && known.runId !== undefined) batch.dropRunIds.push(known.runId);
  if (known.kind === "template" && known.projectId !== undefined && known.graphVersion !== undefined)
    batch.dropTemplates.push({ projectId: known.projectId, graphVersion: known.graphVersion });
  batch.forgotten.push(known.path);
}

/**
 * Reads what was appended to a run file (all of it when it is new or was replaced) into the batch:
 * its lines folded with `RunFold`, and its new offset.
 */
export async function readRunFile(
  dir: string,
  ref: StoreFileRef,
  projectId: string,
  known: LogFile | undefined,
  replaced: boolean,
  st: { ino: number; mtimeMs: number },
  batch: Batch,
): Promise<void> {
  const again = known === undefined || replaced || known.projectId !== projectId;
  const entry: LogFile = again ? fresh(ref, projectId) : { ...known };
  // A file read again from its start: what it held before goes (its new lines may say otherwise).
  if (again && known?.runId !== undefined) batch.dropRunIds.push(known.runId);
  const fold = new RunFold();
  for (;;) {
    const appended = await readAppended(join(dir, ref.path), entry.offset, { maxBytes: SLICE_BYTES });
    for (const line of appended.lines) fold.addLine(line);
    entry.offset = appended.nextOffset;
    entry.size = appended.size;
    entry.tail = appended.tail;
    if (!appended.more) break;
  }
  entry.ino = st.ino;
  entry.mtimeMs = st.mtimeMs;
  entry.skippedLines += fold.skipped;
  const records: (RunRecord | NodeRunRecord)[] = [...fold.nodes.values()];
  if (fold.run !== undefined) records.unshift(fold.run);
  const runId = fold.run?.runId ?? records[0]?.runId ?? entry.runId;
  entry.runId = typeof runId === "string" ? runId : undefined;
  if (records.length > 0) {
    batch.records.push({ projectId, records });
    for (const r of records) if (typeof r.runId === "string") batch.runIds.add(r.runId);
    batch.rows += records.length;
  }
  batch.saved.push(entry);
}

/** Reads a template file whole into the batch (a file that is not a template counts as a skipped line). */
export async function readTemplateFile(
  dir: string,
  ref: StoreFileRef,
  projectId: string,
  known: LogFile | undefined,
  st: { ino: number; size: number; mtimeMs: number },
  batch: Batch,
): Promise<void> {
  const entry = fresh(ref, projectId);
  let template: DagTemplateRecord | undefined;
  try {
    const parsed = JSON.parse(await readFile(join(dir, ref.path), "utf8")) as DagTemplateRecord | null;
    template = parsed?.type === "dag_template" ? parsed : undefined;
  } catch (error) {
    if (isMissing(error)) {
      if (known !== undefined) forgetFile(known, batch);
      return;
    }
    template = undefined;
  }
  Object.assign(entry, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, offset: st.size });
  if (known?.graphVersion !== undefined && known.graphVersion !== template?.graphVersion)
    batch.dropTemplates.push({ projectId: known.projectId ?? projectId, graphVersion: known.graphVersion });
  if (template === undefined) entry.skippedLines = 1;
  else {
    entry.graphVersion = template.graphVersion;
    batch.templates.push({ projectId, template });
    batch.rows++;
  }
  batch.saved.push(entry);
}
