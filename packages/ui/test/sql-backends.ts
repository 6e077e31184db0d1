/**
 * The SQL index's two backends for tests that run on both: PGlite (embedded, in memory) and a real
 * PostgreSQL cluster this test file starts on a free port (once, on first use) and stops after
 * its tests. Each `open()` gives an empty schema.
 */
import { type PostgresServer, startPostgres } from "@hamilton-ts/testing";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type Database, openEmbedded, openPostgres } from "../src/sql/database.js";
import { migrate } from "../src/sql/migrations.js";

/** One backend: its name (for `describe.each`) and how to open a fresh database on it. */
export interface Backend {
  readonly name: "PGlite" | "PostgreSQL";
  open(): Promise<Database>;
}

let postgres: PostgresServer | undefined;

afterAll(async () => {
  await postgres?.stop();
  postgres = undefined;
}, 60_000);

/** The cluster of this test file (started on first use). */
export async function testPostgres(): Promise<PostgresServer> {
  postgres ??= await startPostgres();
  return postgres;
}

export const backends: readonly Backend[] = [
  { name: "PGlite", open: () => openEmbedded(undefined) },
  {
    name: "PostgreSQL",
    async open() {
      const db = openPostgres((await testPostgres()).url);
      // A fresh schema: drop what an earlier describe block of the file made.
      await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      return db;
    },
  },
];

/** Empties the index's tables (between tests on one database). */
export async function emptyIndex(db: Database): Promise<void> {
  await db.query(
    "TRUNCATE runs, node_runs, templates, spans, activity_days, activity_durations, llm_traces, run_llm, node_run_llm, activity_llm",
  );
}

/**
 * One database of `backend` for the tests of the describe block that calls this: opened once (and
 * handed to `opened`), closed after, migrated and emptied before each test.
 */
export function useIndex(backend: Backend, opened: (db: Database) => void): void {
  let db: Database | undefined;
  beforeAll(async () => {
    db = await backend.open();
    opened(db);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await migrate(db!);
    await emptyIndex(db!);
  });
}
