/**
 * The two backends of the SQL index behind one small interface, {@link SqlClient}, so every
 * statement is written once: a PostgreSQL server for a team (node-postgres's `Pool`), or PGlite —
 * PostgreSQL in WASM — embedded, in a worker thread of its own (`openEmbedded`) or in this thread
 * (`openPglite`, for tools and tests). Integers come back the same from both: `int8` and `numeric`
 * are parsed to numbers (times are milliseconds, far below 2^53), never strings.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzip } from "node:zlib";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { safeValues } from "./text-params.js";

/** One statement and its parameters. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[] | undefined;
}

/**
 * What the index's code needs of a database. Writes are single statements through `query`, or go
 * through `transaction` (its statements on one connection, nothing else in between); never a
 * `BEGIN` through `query`, which on a pool lands on any connection.
 */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<{ rows: R[] }>;
  transaction(statements: readonly Statement[]): Promise<void>;
  /**
   * Runs `fn` holding the index's migration lock: a session advisory lock on a server (replicas
   * starting together take turns); embedded, the store's own lock already makes this process the
   * only writer.
   */
  exclusive<T>(key: bigint, fn: (sql: SqlClient) => Promise<T>): Promise<T>;
}

/** A database the index runs on, and how to close it. */
export interface Database extends SqlClient {
  /** `postgres` for a server, `pglite` for the embedded one. */
  readonly backend: "postgres" | "pglite";
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;

/** node-postgres type parsers with `int8` and `numeric` as numbers, as the embedded side parses them. */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8 || oid === NUMERIC) return (text: string) => (text === null ? null : Number(text));
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

function onClient(client: pg.PoolClient | pg.Pool): Pick<SqlClient, "query"> {
  return {
    async query<R>(text: string, values?: readonly unknown[]) {
      const result = await client.query(text, safeValues(values));
      return { rows: result.rows as R[] };
    },
  };
}

async function inTransaction(client: pg.PoolClient, statements: readonly Statement[]): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const s of statements) await client.query(s.text, safeValues(s.values));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Opens a pool on a PostgreSQL server (`postgres://user:password@host:port/database`). */
export function openPostgres(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: typeParsers });
  // An idle client's error (the server restarted) must not crash the process; the next query fails instead.
  pool.on("error", () => undefined);
  const db: Database = {
    backend: "postgres",
    ...onClient(pool),
    async transaction(statements) {
      const client = await pool.connect();
      try {
        await inTransaction(client, statements);
      } finally {
        client.release();
      }
    },
    async exclusive(key, fn) {
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock($1)", [key.toString()]);
        try {
          return await fn({
            ...onClient(client),
            transaction: (statements) => inTransaction(client, statements),
            exclusive: (_key, inner) => inner(db),
          });
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [key.toString()]);
        }
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  return db;
}

/** The worker's answer to one message. */
interface Reply {
  readonly id: number;
  readonly rows?: Record<string, unknown>[];
  readonly error?: { readonly message: string; readonly code?: string };
}

/** An error the database reported, with its SQLSTATE `code` when there is one. */
export class SqlError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = "SqlError";
    this.code = code;
  }
}

/** Options of {@link openEmbedded}. */
export interface EmbeddedOptions {
  /**
   * A gzipped PGlite data directory (`dumpDataDir`) to start an empty `dataDir` from, instead of
   * PGlite's initdb (seconds of WASM work). Default: the seed `pnpm build` makes and the package
   * ships (`dist-seed/pglite.tar.gz`), when it is there.
   */
  readonly seed?: string | undefined;
}

/** The seed the package ships (see `scripts/pglite-seed.mjs`), when it is there. */
export function shippedSeed(): string | undefined {
  const path = fileURLToPath(new URL("../../dist-seed/pglite.tar.gz", import.meta.url));
  return existsSync(path) ? path : undefined;
}

/**
 * Writes the files of a gzipped tar (PGlite's `dumpDataDir`: directories and regular files, names
 * of up to 100 bytes, here absolute) under `dataDir`. Natively this takes a fraction of what
 * PGlite's own `loadDataDir` does through its WASM file system.
 */
async function extractSeed(seed: string, dataDir: string): Promise<void> {
  const tar = await new Promise<Buffer>((done, fail) =>
    readFile(seed).then((gz) => gunzip(gz, (error, out) => (error ? fail(error) : done(out))), fail),
  );
  const root = resolve(dataDir);
  await mkdir(root, { recursive: true });
  const writes: Promise<void>[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    const name = header.toString("latin1", 0, 100).replace(/\0.*$/s, "");
    if (name === "") break; // the two zero blocks that end the archive
    const size = Number.parseInt(header.toString("latin1", 124, 136).replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const target = resolve(root, `.${sep}${name.replace(/^\/+/, "")}`);
    if (target !== root && !target.startsWith(root + sep))
      throw new Error(`The seed ${seed} names a path outside the index: ${name}.`);
    if (type === "5") await mkdir(target, { recursive: true });
    else if (type === "0" || type === "\0") {
      const body = tar.subarray(at + 512, at + 512 + size);
      writes.push(mkdir(dirname(target), { recursive: true }).then(() => writeFile(target, body)));
    } else
      throw new Error(`The seed ${seed} holds an entry of tar type ${JSON.stringify(type)} (${name}); make it again.`);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  await Promise.all(writes);
}

/** A compiled `WebAssembly.Module` (the project's TypeScript libs leave out the WebAssembly types). */
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } })
  .WebAssembly;

/** PGlite's WebAssembly, compiled once per process and handed to each database's thread. */
let wasmModule: Promise<WasmModule | undefined> | undefined;

function pgliteWasm(): Promise<WasmModule | undefined> {
  wasmModule ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const path = join(dirname(require.resolve("@electric-sql/pglite")), "pglite.wasm");
      return await wasm.compile(await readFile(path));
    } catch {
      return undefined; // PGlite finds and compiles it itself
    }
  })();
  return wasmModule;
}

/**
 * Opens PGlite on `dataDir` (a folder, created when missing; `undefined` for memory) in a worker
 * thread: statements go to it as messages, one at a time, so the main thread never runs the
 * database's work.
 */
export async function openEmbedded(dataDir: string | undefined, options: EmbeddedOptions = {}): Promise<Database> {
  const fresh = dataDir === undefined || !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const seed = fresh ? (options.seed ?? shippedSeed()) : undefined;
  // A new folder starts as a copy of the seed, written here; PGlite then opens it as its own.
  if (seed !== undefined && dataDir !== undefined) await extractSeed(seed, dataDir);
  const worker = new Worker(new URL("../../src/sql/pglite-worker.mjs", import.meta.url), {
    workerData: {
      dataDir,
      seed: dataDir === undefined ? seed : undefined,
      wasmModule: await pgliteWasm(),
    },
  });
  const waiting = new Map<number, { resolve: (rows: Record<string, unknown>[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
  worker.on("message", (reply: Reply) => {
    const entry = waiting.get(reply.id);
    if (entry === undefined) return;
    waiting.delete(reply.id);
    if (reply.error !== undefined) entry.reject(new SqlError(reply.error.message, reply.error.code));
    else entry.resolve(reply.rows ?? []);
  });
  const failAll = (error: Error) => {
    failure ??= error;
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
  };
  worker.on("error", (error) => failAll(new SqlError(`The embedded database stopped: ${error.message}`, undefined)));
  worker.on("exit", (code) =>
    failAll(new SqlError(`The embedded database's thread exited (code ${code}).`, undefined)),
  );
  const send = (message: Record<string, unknown>) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  await ready;
  const db: Database = {
    backend: "pglite",
    async query<R>(text: string, values?: readonly unknown[]) {
      return { rows: (await send({ op: "query", text, values: safeValues(values) })) as R[] };
    },
    async transaction(statements) {
      await send({
        op: "transaction",
        statements: statements.map((s) => ({ text: s.text, values: safeValues(s.values) })),
      });
    },
    exclusive: (_key, fn) => fn(db),
    async close() {
      if (failure !== undefined) return;
      await send({ op: "close" });
      await worker.terminate();
    },
  };
  return db;
}
