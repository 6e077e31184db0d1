/**
 * The embedded SQL index of a store directory: PGlite in `<store>/.hamilton-ts-ui/index` (a name
 * no project folder can take), started from the shipped seed, migrated, and kept up to date from
 * the store's files by a {@link LogIndexer}. The index is disposable: one that cannot be opened
 * (corrupt, another PGlite's format) or that a newer version of the package migrated is deleted
 * and rebuilt from the files.
 *
 * Also what the command line needs without a server: {@link openStoreIndex} (a caught-up index to
 * read when no server holds the store), {@link reindexStore} and {@link migrateDatabase}.
 */
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { UiError } from "./errors.js";
import { type Database, openEmbedded, openPostgres } from "./sql/database.js";
import { type LogIndexStatus, LogIndexer } from "./sql/log-indexer.js";
import { type MigrateResult, migrate, SchemaTooNewError } from "./sql/migrations.js";
import { databaseTarget, isDatabaseUnavailable, unavailableError } from "./sql/team-unavailable.js";
import { acquireStoreLock, readLock, SERVER_FOLDER, type StoreLock } from "./store-lock.js";

/** The embedded index's folder in a store directory. */
export function indexFolder(dir: string): string {
  return join(dir, SERVER_FOLDER, "index");
}

async function openMigrated(path: string): Promise<Database> {
  const db = await openEmbedded(path);
  try {
    await migrate(db);
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Opens (or makes) the embedded index of a store directory, migrated. An index that cannot be
 * opened or migrated, or one from a newer version, is deleted and made again (the log indexer then
 * reads every file). The caller holds the store's lock.
 */
export async function openIndexDatabase(dir: string): Promise<{ db: Database; rebuilt: boolean }> {
  const path = indexFolder(dir);
  await mkdir(join(dir, SERVER_FOLDER), { recursive: true });
  try {
    return { db: await openMigrated(path), rebuilt: false };
  } catch (error) {
    const why = error instanceof SchemaTooNewError ? "it is from a newer version" : (error as Error)?.message;
    process.emitWarning(`hamilton-ts-ui: the index ${path} is rebuilt from the store's files (${why}).`);
    await rm(path, { recursive: true, force: true });
    return { db: await openMigrated(path), rebuilt: true };
  }
}

/** A store's embedded index opened without a server (see {@link openStoreIndex}). */
export interface StoreIndexHandle {
  /** The index's database, caught up with the store's files when opened. */
  readonly db: Database;
  /** The store's absolute directory. */
  readonly dir: string;
  /** What the indexer skipped (as `GET /api/store` says it). */
  status(): LogIndexStatus;
  /** Closes the database and releases the store's lock. */
  close(): Promise<void>;
}

async function lockOrExplain(dir: string, what: string): Promise<StoreLock> {
  try {
    return await acquireStoreLock(dir);
  } catch (error) {
    if (UiError.isInstance(error) && error.code === "STORE_LOCKED") {
      const holder = await readLock(dir);
      const ask = holder?.url === undefined ? "" : ` Ask the server instead (${holder.url}).`;
      throw new UiError("STORE_LOCKED", `${what}: ${error.message}${ask}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Opens the embedded index of the store at `dir` for reading when no server holds the store (the
 * `runs` and `show` commands): takes the store's lock (a server started meanwhile is refused until
 * {@link StoreIndexHandle.close}), indexes what was appended since the index was last updated, and
 * resolves once it is caught up.
 *
 * @throws UiError `STORE_LOCKED` while a server holds the store (its URL, when known, is in the
 * message: ask it instead).
 */
export async function openStoreIndex(dir: string): Promise<StoreIndexHandle> {
  const root = resolve(dir);
  const lock = await lockOrExplain(root, "Opening the store's index");
  let db: Database | undefined;
  try {
    db = (await openIndexDatabase(root)).db;
    const indexer = new LogIndexer(root, db, { watch: false });
    await indexer.start();
    await indexer.caughtUp();
    await indexer.close();
    const opened = db;
    return {
      db: opened,
      dir: root,
      status: () => indexer.status(),
      async close() {
        await opened.close();
        await lock.release();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

/** What {@link reindexStore} made. */
export interface ReindexResult {
  readonly runs: number;
  readonly templates: number;
  readonly spans: number;
}

/**
 * Deletes the embedded index of the store at `dir` and builds it again from the store's files
 * (`hamilton-ts-ui reindex`).
 *
 * @throws UiError `STORE_LOCKED` while a server holds the store (stop it first: a server rebuilds
 * its index by itself when it is missing, corrupt or from another version).
 */
export async function reindexStore(dir: string): Promise<ReindexResult> {
  const root = resolve(dir);
  const lock = await lockOrExplain(root, "Reindexing the store");
  try {
    await rm(indexFolder(root), { recursive: true, force: true });
    const { db } = await openIndexDatabase(root);
    try {
      const indexer = new LogIndexer(root, db, { watch: false });
      await indexer.start();
      await indexer.caughtUp();
      await indexer.close();
      const { rows } = await db.query<ReindexResult>(
        `SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM templates) AS templates,
           (SELECT count(*) FROM spans) AS spans`,
      );
      return rows[0]!;
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}

/**
 * Brings a team database (`postgres://…`) to this version's schema (`hamilton-ts-ui migrate
 * --database-url`); running it twice is harmless.
 *
 * @throws UiError `DATABASE_UNAVAILABLE` when the database cannot be reached (host and port in the
 * message, never the password); `SchemaTooNewError` for a database a newer version migrated.
 */
export async function migrateDatabase(databaseUrl: string): Promise<MigrateResult> {
  const target = databaseTarget(databaseUrl);
  const db = openPostgres(databaseUrl, { max: 1 });
  try {
    return await migrate(db);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (isDatabaseUnavailable(error) || (typeof code === "string" && (code.startsWith("28") || code === "3D000")))
      throw unavailableError(target, error, "at start");
    throw error;
  } finally {
    await db.close().catch(() => undefined);
  }
}
