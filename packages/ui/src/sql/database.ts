/**
 * The two backends of the SQL index behind one node-postgres `Pool`, so every statement is written
 * once: a PostgreSQL server for a team (`postgres://…`), or PGlite — PostgreSQL in WASM — embedded
 * in the process, stored in a folder (or in memory). Integers come back the same from both: `int8`
 * is parsed to a `number` (times are milliseconds, far below 2^53), never a string.
 */
import pg from "pg";

/** A pool on one of the two backends, and how to close it. */
export interface Database {
  readonly pool: pg.Pool;
  /** `postgres` for a server, `pglite` for the embedded one. */
  readonly backend: "postgres" | "pglite";
  /** Ends the pool (and closes PGlite). */
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;

/** node-postgres type parsers with `int8` and `numeric` as numbers, for both backends alike. */
export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8 || oid === NUMERIC) return (text: string) => (text === null ? null : Number(text));
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** Opens a pool on a PostgreSQL server (`postgres://user:password@host:port/database`). */
export function openPostgres(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: typeParsers });
  // An idle client's error (the server restarted) must not crash the process; the next query fails instead.
  pool.on("error", () => undefined);
  return { pool, backend: "postgres", close: () => pool.end() };
}

/**
 * Opens PGlite in this process, on `dataDir` (a folder, created when missing) or in memory when
 * `dataDir` is undefined, behind a pool of one connection (PGlite is one backend).
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { createPgConfig } = await import("@electric-sql/pglite/node-postgres");
  const pglite = await PGlite.create(dataDir === undefined ? undefined : dataDir);
  const pool = new pg.Pool({
    ...createPgConfig(pglite),
    types: typeParsers,
    max: 1,
    idleTimeoutMillis: 0,
  } as pg.PoolConfig);
  pool.on("error", () => undefined);
  return {
    pool,
    backend: "pglite",
    async close() {
      await pool.end();
      await pglite.close();
    },
  };
}
