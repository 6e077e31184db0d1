import { appendFile, mkdir, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type PostgresServer, runProcess, startPostgres } from "@hamilton-ts/testing";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { runFile, type NodeRunRecord } from "@hamilton-ts/store";
import { FileSink } from "@hamilton-ts/tracker";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/temp.js";
import { TRACES_FILE } from "../traces.js";
import { type Database, openEmbedded, openPostgres } from "./database.js";
import { LogIndexer } from "./log-indexer.js";
import { migrate } from "./migrations.js";
import { getRunJson, getTraceJson } from "./queries.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Backend {
  readonly name: string;
  open(): Promise<Database>;
}

let postgres: PostgresServer | undefined;
const backends: Backend[] = [
  { name: "PGlite", open: () => openEmbedded(undefined) },
  {
    name: "PostgreSQL",
    async open() {
      postgres ??= await startPostgres();
      const db = openPostgres(postgres.url);
      await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      return db;
    },
  },
];

afterAll(async () => {
  await postgres?.stop();
}, 60_000);

/** Waits, on the indexer's change events (never on time), until `check` holds. */
async function until(indexer: LogIndexer, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    const changed = new Promise<void>((resolve) => {
      const off = indexer.onChange(() => {
        off();
        resolve();
      });
    });
    if (await check()) return;
    await changed;
  }
}

const OTLP_LINE = (traceId: string, spanId: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            spans: [
              { traceId, spanId, name: "s", kind: 1, startTimeUnixNano: "1000000", endTimeUnixNano: "2000000" },
              { name: "no ids" },
            ],
          },
        ],
      },
    ],
  });

describe.each(backends)("the log indexer on $name", (backend) => {
  let db: Database;
  const indexers: LogIndexer[] = [];
  beforeAll(async () => {
    db = await backend.open();
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });
  afterEach(async () => {
    await Promise.all(indexers.splice(0).map((i) => i.close()));
    for (const table of ["runs", "node_runs", "templates", "spans", "activity_days", "activity_durations", "log_files"])
      await db.query(`DELETE FROM ${table}`);
    await db.query("DELETE FROM hts_meta");
  });

  async function startIndexer(dir: string): Promise<LogIndexer> {
    const indexer = new LogIndexer(dir, db);
    indexers.push(indexer);
    await indexer.start();
    await indexer.caughtUp();
    return indexer;
  }
  const run = async (runId: string) => {
    const json = await getRunJson(db, runId);
    return json === undefined
      ? undefined
      : (JSON.parse(json) as { run: any; template: any; nodeRuns: NodeRunRecord[] });
  };
  const offsets = async () =>
    Object.fromEntries(
      (await db.query<{ path: string; read_offset: number }>("SELECT path, read_offset FROM log_files")).rows.map(
        (r) => [r.path, r.read_offset],
      ),
    );

  it("catches up a store at start, then after a restart reads only what was appended meanwhile", async () => {
    const dir = await tempDir();
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [templateRecord(), runRecord("r1", "RUNNING"), nodeRecord("r1", "a", "RUNNING")]);
    await sink.write("p", [runRecord("r2", "SUCCESS"), nodeRecord("r2", "a", "SUCCESS")]);
    await writeFile(join(dir, TRACES_FILE), `${OTLP_LINE("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")}\n`);
    const first = await startIndexer(dir);
    expect(first.status()).toMatchObject({ catchingUp: false, skippedLines: 0, skippedTraceSpans: 1 });
    expect((await run("r1"))?.run.status).toBe("RUNNING");
    expect((await run("r1"))?.template.dagName).toBe("dag");
    expect(JSON.parse(await getTraceJson(db, "0af7651916cd43dd8448eb211c80319c"))).toHaveLength(1);
    const r1Path = "p/runs/r1.jsonl";
    const r2Path = "p/runs/r2.jsonl";
    const before = await offsets();
    expect(before[r1Path]).toBe((await stat(runFile(dir, "p", "r1"))).size);
    await first.close();
    indexers.splice(0);

    // Down: a FileSink ends r1 (its node still RUNNING: read as UNKNOWN).
    await sink.write("p", [runRecord("r1", "FAILURE")]);
    const second = await startIndexer(dir);
    // The template, r2 and the trace file are unchanged since they were read: only r1 is read.
    expect(first.filesRead()).toBe(4);
    expect(second.filesRead()).toBe(1);
    expect(second.offsets().get(r1Path)).toBe((await stat(runFile(dir, "p", "r1"))).size);
    expect(second.status()).toMatchObject({ skippedLines: 0, skippedTraceLines: 0, skippedTraceSpans: 1 });
    const after = await offsets();
    expect(after[r2Path]).toBe(before[r2Path]);
    expect(after[r1Path]).toBe((await stat(runFile(dir, "p", "r1"))).size);
    expect(after[r1Path]).toBeGreaterThan(before[r1Path]!);
    const r1 = await run("r1");
    expect(r1?.run.status).toBe("FAILURE");
    expect(r1?.nodeRuns.map((n) => [n.node, n.status, n.error?.type])).toEqual([["a", "UNKNOWN", "NodeRunLost"]]);
    // The rollups count each run once, however often it was read.
    const { rows } = await db.query<{ runs: number; failures: number; finished: number }>(
      "SELECT sum(runs)::bigint AS runs, sum(failures)::bigint AS failures, sum(finished)::bigint AS finished FROM activity_days",
    );
    expect(rows[0]).toEqual({ runs: 2, failures: 1, finished: 2 });
    expect(second.status().catchingUp).toBe(false);
  });

  it("sees what another process appends while it runs, by watching the folders", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [runRecord("r1", "RUNNING")]);
    const indexer = await startIndexer(dir);
    const child = await runProcess({
      command: process.execPath,
      args: [
        join("test", "file-sink-child.mjs"),
        dir,
        "p",
        JSON.stringify([nodeRecord("r1", "a", "SUCCESS"), runRecord("r1", "SUCCESS"), runRecord("r9", "RUNNING")]),
      ],
      cwd: packageDir,
    });
    expect(child.stdout, child.stderr).toContain("done");
    await until(indexer, async () => (await run("r1"))?.run.status === "SUCCESS" && (await run("r9")) !== undefined);
    expect((await run("r1"))?.nodeRuns.map((n) => n.status)).toEqual(["SUCCESS"]);
    // A new project's folder, made after the indexer started, is watched too.
    await new FileSink({ dir, fsync: false }).write("q", [runRecord("q1", "RUNNING")]);
    await until(indexer, async () => (await run("q1"))?.run.status === "RUNNING");
  }, 120_000);

  it("leaves a torn last line for its newline, then reads it whole once completed", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [runRecord("r1", "RUNNING")]);
    const path = runFile(dir, "p", "r1");
    const line = JSON.stringify(runRecord("r1", "SUCCESS"));
    await appendFile(path, line.slice(0, 20));
    const indexer = await startIndexer(dir);
    expect(indexer.status().skippedLines).toBe(1);
    expect((await run("r1"))?.run.status).toBe("RUNNING");
    await appendFile(path, `${line.slice(20)}\n`);
    indexer.touch(path);
    await indexer.settled();
    expect((await run("r1"))?.run.status).toBe("SUCCESS");
    expect(indexer.status().skippedLines).toBe(0);
    expect((await offsets())["p/runs/r1.jsonl"]).toBe((await stat(path)).size);
  });

  it("reads a replaced or shrunk file again from its start, and drops the run of a deleted file", async () => {
    const dir = await tempDir();
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [
      runRecord("r1", "RUNNING"),
      nodeRecord("r1", "a", "SUCCESS"),
      nodeRecord("r1", "c", "SUCCESS"),
    ]);
    await sink.write("p", [runRecord("r2", "SUCCESS")]);
    const indexer = await startIndexer(dir);
    const path = runFile(dir, "p", "r1");
    // Replaced (a new inode) by a file that holds less: only what it holds now is served.
    const tmp = `${path}.new`;
    await writeFile(tmp, `${JSON.stringify(runRecord("r1", "RUNNING"))}\n`);
    await rename(tmp, path);
    indexer.touch(path);
    await indexer.settled();
    expect((await run("r1"))?.nodeRuns.map((n) => n.node)).toEqual([]);
    // Shrunk in place, then written anew.
    await sink.write("p", [nodeRecord("r1", "a", "FAILURE")]);
    indexer.touch(path);
    await indexer.settled();
    expect((await run("r1"))?.nodeRuns.map((n) => n.status)).toEqual(["FAILURE"]);
    await truncate(path, 0);
    await writeFile(path, `${JSON.stringify(runRecord("r1", "SUCCESS", { dagName: "renamed" }))}\n`);
    indexer.touch(path);
    await indexer.settled();
    expect((await run("r1"))?.run).toMatchObject({ status: "SUCCESS", dagName: "renamed" });
    expect((await run("r1"))?.nodeRuns).toEqual([]);
    // Deleted: its run goes, and with it its part of the activity.
    await rm(runFile(dir, "p", "r2"));
    indexer.touch(runFile(dir, "p", "r2"));
    await indexer.settled();
    expect(await run("r2")).toBeUndefined();
    expect(Object.keys(await offsets())).toEqual(["p/runs/r1.jsonl"]);
    const { rows } = await db.query<{ runs: number }>("SELECT sum(runs)::bigint AS runs FROM activity_days");
    expect(rows[0]!.runs).toBe(1);
  });

  it("indexes the trace file as it grows, counts what it skipped, and reads it again when replaced", async () => {
    const dir = await tempDir();
    const traces = join(dir, TRACES_FILE);
    await writeFile(traces, `${OTLP_LINE("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")}\nnot json\n`);
    const indexer = await startIndexer(dir);
    expect(indexer.status()).toMatchObject({ skippedTraceLines: 1, skippedTraceSpans: 1 });
    await appendFile(traces, `${OTLP_LINE("0af7651916cd43dd8448eb211c80319c", "00f067aa0ba902b7")}\n`);
    await until(
      indexer,
      async () => JSON.parse(await getTraceJson(db, "0af7651916cd43dd8448eb211c80319c")).length === 2,
    );
    await writeFile(`${traces}.new`, `${OTLP_LINE("11111111111111111111111111111111", "b7ad6b7169203331")}\n`);
    await rename(`${traces}.new`, traces);
    indexer.touch(traces);
    await indexer.settled();
    expect(JSON.parse(await getTraceJson(db, "0af7651916cd43dd8448eb211c80319c"))).toEqual([]);
    expect(JSON.parse(await getTraceJson(db, "11111111111111111111111111111111"))).toHaveLength(1);
    expect(indexer.status()).toMatchObject({ skippedTraceLines: 0, skippedTraceSpans: 1 });
  });

  it("lists what is not a store file, and reads a template's new version", async () => {
    const dir = await tempDir();
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [templateRecord(), runRecord("r1", "RUNNING")]);
    await mkdir(join(dir, "p", "runs", "x.jsonl"));
    await writeFile(join(dir, "p", "runs", "100%.jsonl"), "");
    const indexer = await startIndexer(dir);
    expect(indexer.status().skippedFiles.map((f) => [f.path.slice(dir.length), f.reason])).toEqual([
      ["/p/runs/100%.jsonl", "not a store file name (<runId>.jsonl)"],
      ["/p/runs/x.jsonl", "a folder, not a file"],
    ]);
    const path = join(dir, "p", "templates", "v1.json");
    const template = JSON.parse(await readFile(path, "utf8"));
    await writeFile(`${path}.x.tmp`, JSON.stringify({ ...template, dagName: "second name" }));
    await rename(`${path}.x.tmp`, path);
    indexer.touch(path);
    await indexer.settled();
    expect((await run("r1"))?.template.dagName).toBe("second name");
  });
});

describe("the log indexer's statistics (PGlite, which has no autovacuum)", () => {
  let db: Database;
  const indexers: LogIndexer[] = [];
  beforeAll(async () => {
    db = await openEmbedded(undefined);
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(indexers.splice(0).map((i) => i.close()));
    await db?.close();
  });
  const vacuums = async () =>
    (
      await db.query<{ n: number }>(
        "SELECT vacuum_count + autovacuum_count AS n FROM pg_stat_user_tables WHERE relname = 'node_runs'",
      )
    ).rows[0]!.n;
  const writeRun = async (dir: string, runId: string, nodes: number) => {
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [
      templateRecord(),
      runRecord(runId, "SUCCESS"),
      ...Array.from({ length: nodes }, (_, i) => nodeRecord(runId, `n${i}`)),
    ]);
    return runFile(dir, "p", runId);
  };
  /** An indexer on a new store that never runs a due VACUUM by itself for being quiet. */
  const started = async (analyzeAfterRows: number) => {
    const dir = await tempDir();
    const indexer = new LogIndexer(dir, db, { watch: false, analyzeAfterRows, analyzeQuietMs: 600_000 });
    indexers.push(indexer);
    await indexer.start();
    await indexer.caughtUp();
    return { dir, indexer };
  };

  it("are brought up to date when writes pause, not between the batches of a burst; idle() runs a due one now", async () => {
    const { dir, indexer } = await started(20);
    const before = await vacuums();
    // Due (30 rows ≥ 20), but the quiet time has not passed: nothing ran yet.
    indexer.touch(await writeRun(dir, "burst", 30));
    await indexer.settled();
    expect(await vacuums()).toBe(before);
    await indexer.idle();
    expect(await vacuums()).toBe(before + 1);
    // Not due again (10 rows < 20): idle() has nothing to run.
    indexer.touch(await writeRun(dir, "small", 10));
    await indexer.idle();
    expect(await vacuums()).toBe(before + 1);
  });

  it("run between batches when writes never pause (ten times the rows that make them due)", async () => {
    const { dir, indexer } = await started(2);
    const before = await vacuums();
    indexer.touch(await writeRun(dir, "stream", 25));
    await indexer.settled();
    expect(await vacuums()).toBe(before + 1);
  });
});
