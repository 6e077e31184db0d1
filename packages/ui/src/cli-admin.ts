/**
 * The CLI's maintenance commands: `migrate` (a team database's schema, as a step of its own),
 * `prune` (retention: finished runs past an age, and the durations it takes: `30d`, `12h`) and
 * `reindex` (the embedded index rebuilt from the store's files).
 */
import { resolve } from "node:path";
import type { ReadClient } from "./cli-read.js";
import { describeDatabaseUrl, openTeamDatabase, runFileDeleter } from "./cli-read.js";
import { UiError } from "./errors.js";
import { pruneRuns } from "./sql/delete.js";
import { migrateDatabase, openStoreIndex, reindexStore } from "./store-index-db.js";

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** A duration such as `30d`, `12h`, `90m`, `45s` or `2w`, in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * UNITS[match[2]!]!;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new UiError(
      "INVALID_OPTION",
      `${flag} ${JSON.stringify(text)}: expected a duration above zero: a whole number and a unit, s, m, h, d or w (e.g. 30d, 12h).`,
    );
  }
  return ms;
}

/** `hamilton-ts-ui migrate --database-url …`: brings the schema up to date; prints what it did. */
export async function migrateCommand(url: string): Promise<string> {
  const result = await migrateDatabase(url);
  const where = describeDatabaseUrl(url);
  return result.applied.length === 0
    ? `hamilton-ts-ui: the database at ${where} is at schema version ${result.to}; nothing to do.\n`
    : `hamilton-ts-ui: migrated the database at ${where} from schema version ${result.from} to ${result.to} (migrations ${result.applied.join(", ")}).\n`;
}

/** What `prune` deletes. */
export interface PruneRequest {
  readonly olderThanMs: number;
  readonly project: string | undefined;
  readonly now: number;
}

/** Prunes a team database directly; resolves to the runs deleted. */
export async function pruneDatabase(url: string, request: PruneRequest): Promise<number> {
  const db = await openTeamDatabase(url);
  try {
    return await pruneRuns({ db, backend: "postgres" }, request);
  } finally {
    await db.close();
  }
}

interface ListedRun {
  readonly runId: string;
  readonly status: string;
}

/**
 * Prunes through the read API (a running server: it deletes the rows, the spans and, embedded,
 * the files): lists the runs that started before the cutoff, a page at a time, and deletes each
 * finished one. Resolves to the runs deleted.
 */
export async function pruneThrough(client: ReadClient, request: PruneRequest): Promise<number> {
  const cutoff = Math.floor(request.now - request.olderThanMs);
  let deleted = 0;
  let before: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ to: String(cutoff), limit: "1000" });
    if (request.project !== undefined) query.set("project", request.project);
    if (before !== undefined) query.set("before", before);
    const page = await client.request("GET", "/api/runs", query);
    if (page.status !== 200) throw new Error(`GET /api/runs at ${client.where}: ${errorOf(page.body, page.status)}`);
    const { runs, next } = page.body as { runs: ListedRun[]; next: string | null };
    for (const run of runs) {
      if (run.status === "RUNNING") continue;
      const answer = await client.request("DELETE", `/api/runs/${encodeURIComponent(run.runId)}`);
      if (answer.status === 204) deleted++;
      else if (answer.status !== 404 && answer.status !== 409) {
        throw new Error(`DELETE /api/runs/${run.runId} at ${client.where}: ${errorOf(answer.body, answer.status)}`);
      }
    }
    if (next === null || next === undefined) return deleted;
    before = next;
  }
}

/** Prunes the store's embedded index and files (no server runs); resolves to the runs deleted. */
export async function pruneIndex(dir: string, request: PruneRequest): Promise<number> {
  const handle = await openStoreIndex(dir);
  try {
    return await pruneRuns({ db: handle.db, deleteRunFile: runFileDeleter(handle.dir) }, request);
  } finally {
    await handle.close();
  }
}

/** `hamilton-ts-ui reindex`: the store's embedded index deleted and built again from its files. */
export async function reindexCommand(dir: string): Promise<string> {
  const made = await reindexStore(dir);
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  return `hamilton-ts-ui: rebuilt the index of ${resolve(dir)} from its files: ${n(made.runs, "run")}, ${n(made.templates, "template")}, ${n(made.spans, "span")}.\n`;
}

function errorOf(body: unknown, status: number): string {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === "string" ? `${status} ${error}` : `status ${status}`;
}
