/**
 * Where the CLI's `runs`, `show` and `prune` read from: the server that holds the store's lock
 * (its URL is in the lock file), asked over HTTP; a team database (`--database-url`), asked
 * through the same read routes the server answers with; or, with no server running, the store's
 * embedded index, opened (and caught up) by the command itself. Each is a {@link ReadClient}, so the commands are written once against the read API's
 * shapes.
 */
import { rm } from "node:fs/promises";
import { hostname } from "node:os";
import { runFile } from "@hamilton-ts/store";
import { UiError } from "./errors.js";
import { type ReadSource, readRoute } from "./read-routes.js";
import { type Database, openPostgres } from "./sql/database.js";
import { SCHEMA_VERSION, SchemaTooNewError, schemaVersion } from "./sql/migrations.js";
import { openStoreIndex } from "./store-index-db.js";
import { readLock } from "./store-lock.js";

/** An answer of the read API: its status and parsed body. */
export interface ReadReply {
  readonly status: number;
  readonly body: unknown;
}

/** The read API, wherever it is answered. */
export interface ReadClient {
  /** Where the answers come from, for messages (`http://127.0.0.1:8241`, `postgres 127.0.0.1:5432`). */
  readonly where: string;
  request(method: "GET" | "DELETE", path: string, query?: URLSearchParams): Promise<ReadReply>;
  close(): Promise<void>;
}

/** The read API of a running server, with the API key when one is given. */
export function httpClient(url: string, apiKey: string | undefined): ReadClient {
  return {
    where: url,
    async request(method, path, query) {
      const search = query === undefined || [...query].length === 0 ? "" : `?${query}`;
      const res = await fetch(`${url}${path}${search}`, {
        method,
        headers: { accept: "application/json", ...(apiKey === undefined ? {} : { "x-api-key": apiKey }) },
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = { error: text.slice(0, 500) };
      }
      if (res.status === 401) {
        throw new UiError(
          "INVALID_OPTION",
          `the server at ${url} wants its API key: give --api-key or HAMILTON_TS_UI_API_KEY.`,
        );
      }
      return { status: res.status, body };
    },
    close: async () => undefined,
  };
}

/** The read routes over a {@link ReadSource} (a database this process opened). */
export function sourceClient(where: string, source: ReadSource, close: () => Promise<void>): ReadClient {
  return {
    where,
    async request(method, path, query) {
      const answer = await readRoute(method, path, query ?? new URLSearchParams(), source);
      if (answer === undefined) return { status: 404, body: { error: `No route for ${method} ${path}.` } };
      return { status: answer.status, body: answer.json === undefined ? answer.body : JSON.parse(answer.json) };
    },
    close,
  };
}

/** `host:port/database` of a PostgreSQL URL: what messages name (never the user's password). */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "(a URL that cannot be read)";
  }
}

/**
 * Opens a team database for the CLI: reachable, and migrated by this version (not newer, not
 * older: `hamilton-ts-ui migrate` brings it up to date). Rejects with `UiError`
 * `DATABASE_UNAVAILABLE` or {@link SchemaTooNewError}.
 */
export async function openTeamDatabase(url: string): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UiError(
      "INVALID_OPTION",
      `--database-url ${JSON.stringify(describeDatabaseUrl(url))}: expected postgres://user:password@host:port/database.`,
    );
  }
  const db = openPostgres(url, { max: 2 });
  try {
    const version = await schemaVersion(db).catch((error: Error) => {
      throw new UiError(
        "DATABASE_UNAVAILABLE",
        `cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (${error.message.replaceAll(url, "<url>")}). Is it running, and is the URL right?`,
        { cause: error },
      );
    });
    if (version > SCHEMA_VERSION) throw new SchemaTooNewError(version);
    if (version < SCHEMA_VERSION) {
      throw new UiError(
        "INVALID_OPTION",
        `the database at ${describeDatabaseUrl(url)} is at schema version ${version}, this hamilton-ts-ui needs ${SCHEMA_VERSION}: run hamilton-ts-ui migrate --database-url <url> first.`,
      );
    }
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** The read routes over a team database. */
export async function teamClient(url: string): Promise<ReadClient> {
  const db = await openTeamDatabase(url);
  const where = `postgres ${describeDatabaseUrl(url)}`;
  const source: ReadSource = {
    db,
    backend: "postgres",
    settled: async () => undefined,
    status: async () => ({
      dir: undefined,
      skippedLines: 0,
      skippedFiles: [],
      skippedTraceLines: 0,
      skippedTraceSpans: 0,
    }),
  };
  return sourceClient(where, source, () => db.close());
}

/**
 * The server serving `dir`, when its lock names a URL and its process is alive on this host (or
 * it is on another host: it cannot be checked from here, so it is asked).
 */
export async function runningServer(dir: string): Promise<string | undefined> {
  const holder = await readLock(dir);
  if (holder?.url === undefined) return undefined;
  if (holder.host === hostname()) {
    try {
      process.kill(holder.pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
    }
  }
  return holder.url;
}

/** Deletes a run's file in a store directory (a file already gone is fine). */
export function runFileDeleter(dir: string): (projectId: string, runId: string) => Promise<void> {
  return (projectId, runId) => rm(runFile(dir, projectId, runId), { force: true });
}

/**
 * The store's embedded index opened by this process (no server runs): caught up with the store's
 * files first, the store's lock held until {@link ReadClient.close}.
 */
export async function indexClient(dir: string): Promise<ReadClient> {
  const handle = await openStoreIndex(dir);
  const source: ReadSource = {
    db: handle.db,
    backend: "embedded",
    settled: async () => undefined,
    deleteRunFile: runFileDeleter(handle.dir),
    status: async () => ({ dir: handle.dir, ...handle.status() }),
  };
  return sourceClient(handle.dir, source, () => handle.close());
}
