/**
 * What `startUi` serves from, behind one shape: where the tracking protocol's ids and runs go,
 * where spans go, what the read API reads, the change feed of `/api/events` and the session
 * secret. Two of them:
 * - **embedded** (the default): the store's files are the durable log — runs, templates and spans
 *   are appended there before they are answered — and an embedded PGlite index, kept up to date by
 *   the log indexer, answers the reads. The store's lock keeps a second server off the directory.
 * - **team** (`databaseUrl`): everything in one PostgreSQL database shared by every replica; no
 *   files, no lock, no indexer.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { runFile, templateFile } from "@hamilton-ts/store";
import { IdRegistry, type ProtocolIds } from "./ids.js";
import type { DecodedTraces } from "./otlp.js";
import type { ReadSource } from "./read-routes.js";
import { type ProtocolRuns, RunStore } from "./run-store.js";
import { LogIndexer } from "./sql/log-indexer.js";
import { openTeamStore } from "./sql/team.js";
import type { ChangeFeed } from "./store-events.js";
import { openIndexDatabase } from "./store-index-db.js";
import { acquireStoreLock } from "./store-lock.js";
import { TraceFileWriter, tracesFile } from "./traces.js";

/** What a server serves from; see the module's description. */
export interface ServerBackend {
  readonly ids: ProtocolIds;
  readonly runs: ProtocolRuns;
  /** Stores an OTLP export's spans; resolves once they are durable. */
  writeTraces(decoded: DecodedTraces): Promise<void>;
  /** The page's session secret (read per request: team mode may rotate it). */
  sessionSecret(): Buffer;
  readonly source: ReadSource;
  /** Tells of every change to what the read API serves. */
  readonly onChange: ChangeFeed;
  /** True when the store has a run with this id (after what this server wrote is indexed). */
  hasRun(runId: string): Promise<boolean>;
  /** Resolves once what the store held at start is indexed (at once in team mode). */
  caughtUp(): Promise<void>;
  /** Called once the server listens (the embedded store's lock then names its URL). */
  listening(url: string): Promise<void>;
  /** Waits for what was received to be written, then releases everything. */
  close(): Promise<void>;
}

async function runExists(source: ReadSource, runId: string): Promise<boolean> {
  await source.settled();
  const { rows } = await source.db.query("SELECT 1 FROM runs WHERE run_id = $1", [runId]);
  return rows.length > 0;
}

/** Runs that tell the indexer which file each write appended to (see {@link LogIndexer.touch}). */
function touching(runs: RunStore, dir: string, indexer: LogIndexer): ProtocolRuns {
  return {
    ensureProject: (projectId) => runs.ensureProject(projectId),
    async writeTemplate(projectId, template) {
      try {
        await runs.writeTemplate(projectId, template);
      } finally {
        indexer.touch(templateFile(dir, projectId, template.graphVersion));
      }
    },
    read: (projectId, runId, nodes) => runs.read(projectId, runId, nodes),
    async update(projectId, runId, change, nodes) {
      try {
        return await runs.update(projectId, runId, change, nodes);
      } finally {
        indexer.touch(runFile(dir, projectId, runId));
      }
    },
  };
}

/**
 * How long after start a read waits for the catch-up, at most: a small store is answered whole
 * from the first request; a large one answers what is indexed so far (`catchingUp: true`) after it.
 */
export const START_GRACE_MS = 5_000;

/** Resolves when `indexer` caught up or {@link START_GRACE_MS} after the call, whichever is first. */
function startGrace(indexer: LogIndexer): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = Promise.race([
    indexer.caughtUp(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, START_GRACE_MS);
      timer.unref();
    }),
  ]);
  let over = false;
  void grace.then(() => {
    over = true;
    clearTimeout(timer);
  });
  return () => (over ? Promise.resolve() : grace);
}

/**
 * The embedded backend of the store at `dir` (absolute): takes the store's lock first (rejects
 * with `STORE_LOCKED` naming its holder), opens the index (rebuilding one that cannot be used) and
 * starts the log indexer, which catches up in the background.
 */
export async function openEmbeddedBackend(dir: string): Promise<ServerBackend & { readonly indexer: LogIndexer }> {
  const lock = await acquireStoreLock(dir);
  let db: Awaited<ReturnType<typeof openIndexDatabase>>["db"] | undefined;
  let indexer: LogIndexer | undefined;
  try {
    const ids = await IdRegistry.open(dir);
    db = (await openIndexDatabase(dir)).db;
    const started = new LogIndexer(dir, db);
    indexer = started;
    await started.start();
    // A write that finds the store deleted writes the id registry again too (clients cache the ids).
    const store = new RunStore(dir, () => ids.ensureOnDisk());
    const traces = new TraceFileWriter(tracesFile(dir));
    // Drawn anew at each start: the page's session cookies end with the server (see sessionToken).
    const secret = randomBytes(32);
    const opened = db;
    const grace = startGrace(started);
    let closing: Promise<void> | undefined;
    const source: ReadSource = {
      db: opened,
      backend: "embedded",
      settled: async () => {
        await grace();
        await started.settled();
      },
      async deleteRunFile(projectId, runId) {
        const path = runFile(dir, projectId, runId);
        await rm(path, { force: true });
        started.touch(path);
      },
      status: async () => ({ dir, ...started.status() }),
    };
    return {
      indexer: started,
      ids,
      runs: touching(store, dir, started),
      async writeTraces(decoded) {
        await traces.appendLines(decoded.lines);
        started.touch(traces.path);
      },
      sessionSecret: () => secret,
      source,
      onChange: (listener) => started.onChange(listener),
      hasRun: (runId) => runExists(source, runId),
      caughtUp: () => started.caughtUp(),
      listening: (url) => lock.setUrl(url),
      close: () =>
        (closing ??= (async () => {
          await Promise.all([store.idle(), traces.idle(), ids.idle()]);
          await started.close();
          await opened.close();
          await lock.release();
        })()),
    };
  } catch (error) {
    await indexer?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

/**
 * The team backend on the PostgreSQL database at `databaseUrl`: rejects with `UiError`
 * `DATABASE_UNAVAILABLE` (host and port, never the password) when it cannot be reached.
 */
export async function openTeamBackend(databaseUrl: string): Promise<ServerBackend> {
  const team = await openTeamStore(databaseUrl);
  const source: ReadSource = {
    db: team.db,
    backend: "postgres",
    // Every write is in the database before it is answered: nothing to wait for.
    settled: () => Promise.resolve(),
    // The file log's skipped counts: there are no files in team mode.
    status: async () => ({
      database: team.address,
      skippedLines: 0,
      skippedFiles: [],
      skippedTraceLines: 0,
      skippedTraceSpans: 0,
      catchingUp: false,
    }),
  };
  return {
    ids: team.ids,
    runs: team.runs,
    writeTraces: (decoded) => team.writeSpans(decoded),
    sessionSecret: () => team.sessionSecret,
    source,
    onChange: (listener) => team.onChange(listener),
    hasRun: (runId) => runExists(source, runId),
    caughtUp: () => Promise.resolve(),
    listening: async () => undefined,
    close: () => team.close(),
  };
}
