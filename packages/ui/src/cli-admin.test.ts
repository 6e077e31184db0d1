import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { runFile } from "@hamilton-ts/store";
import { runProcess } from "@hamilton-ts/testing";
import { FileSink } from "@hamilton-ts/tracker";
import { afterEach, describe, expect, it } from "vitest";
import { testPostgres } from "../test/sql-backends.js";
import { nodeRecord, runRecord } from "../test/records.js";
import { tempDir } from "../test/temp.js";
import { parseDuration } from "./cli-admin.js";
import { main } from "./cli.js";
import { readRoute } from "./read-routes.js";
import { openPostgres } from "./sql/database.js";
import { ingestRecords } from "./sql/ingest.js";
import { migrate, SCHEMA_VERSION } from "./sql/migrations.js";
import { acquireStoreLock } from "./store-lock.js";

const DAY = 86_400_000;

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(""),
    err: () => err.join(""),
    io: {
      stdout: (text: string) => void out.push(text),
      stderr: (text: string) => void err.push(text),
      env,
      signal: new AbortController().signal,
    },
  };
}

/** A fresh, empty database on this file's PostgreSQL cluster. */
async function freshDatabase(): Promise<string> {
  const { url } = await testPostgres();
  const db = openPostgres(url);
  await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  await db.close();
  return url;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("hamilton-ts-ui migrate", () => {
  it("migrates a database (exit 0), twice harmlessly, refuses a newer schema with exit 2, names an unreachable one without its password", async () => {
    const url = await freshDatabase();
    const first = io();
    expect(await main(["migrate", "--database-url", url], first.io)).toBe(0);
    expect(first.out()).toMatch(new RegExp(`from schema version 0 to ${SCHEMA_VERSION}`));
    const again = io({ HAMILTON_TS_UI_DATABASE_URL: url });
    expect(await main(["migrate"], again.io)).toBe(0);
    expect(again.out()).toMatch(new RegExp(`at schema version ${SCHEMA_VERSION}; nothing to do`));

    const db = openPostgres(url);
    closers.push(() => db.close());
    await db.query("UPDATE hts_schema SET value = $1 WHERE key = 'version'", [String(SCHEMA_VERSION + 1)]);
    const newer = io();
    expect(await main(["migrate", "--database-url", url], newer.io)).toBe(2);
    expect(newer.err()).toMatch(/schema is at version \d+, newer than this hamilton-ts-ui's/);
    expect((await db.query("SELECT value FROM hts_schema WHERE key = 'version'")).rows).toEqual([
      { value: String(SCHEMA_VERSION + 1) },
    ]);

    const down = io();
    const closed = "postgres://me:hunter2@127.0.0.1:1/db";
    expect(await main(["migrate", "--database-url", closed], down.io)).toBe(2);
    expect(down.err()).toMatch(/\[DATABASE_UNAVAILABLE\].*127\.0\.0\.1:1\/db/);
    expect(down.err()).not.toContain("hunter2");

    const none = io();
    expect(await main(["migrate"], none.io)).toBe(1);
    expect(none.err()).toMatch(/migrate: which database\? Give --database-url/);
  }, 120_000);

  it("exits as the built command does: 2 for a newer schema, through src/bin.ts", async () => {
    const url = await freshDatabase();
    const db = openPostgres(url);
    closers.push(() => db.close());
    await migrate(db);
    await db.query("UPDATE hts_schema SET value = '999' WHERE key = 'version'");
    const packageDir = join(import.meta.dirname, "..");
    const child = await runProcess({
      command: join(packageDir, "node_modules", ".bin", "tsx"),
      args: ["--conditions", "@hamilton-ts/source", join("src", "bin.ts"), "migrate", "--database-url", url],
      cwd: packageDir,
    });
    expect([child.code, child.stderr]).toEqual([
      2,
      expect.stringMatching(/version 999, newer than this hamilton-ts-ui/),
    ]);
  }, 120_000);
});

describe("hamilton-ts-ui prune", () => {
  it("reads durations as s, m, h, d and w, and refuses anything else", () => {
    expect(parseDuration("30d", "--older-than")).toBe(30 * DAY);
    expect(parseDuration("12h", "--older-than")).toBe(12 * 3_600_000);
    expect(parseDuration("2w", "--older-than")).toBe(14 * DAY);
    expect(parseDuration("45s", "--older-than")).toBe(45_000);
    for (const bad of ["30", "d", "0d", "1.5d", "-3d", "3 days"]) {
      expect(() => parseDuration(bad, "--older-than")).toThrow(/--older-than ".*": expected a duration above zero/);
    }
  });

  it("prunes a team database by age and project, printing how many", async () => {
    const url = await freshDatabase();
    const db = openPostgres(url);
    closers.push(() => db.close());
    await migrate(db);
    const now = Date.now();
    await ingestRecords(db, "p", [
      runRecord("p-old", "SUCCESS", { startTime: now - 40 * DAY }),
      nodeRecord("p-old", "a", "SUCCESS"),
      runRecord("p-running", "RUNNING", { startTime: now - 40 * DAY }),
      runRecord("p-new", "SUCCESS", { startTime: now - DAY }),
    ]);
    await ingestRecords(db, "q", [runRecord("q-old", "FAILURE", { startTime: now - 40 * DAY })]);
    const ids = async () =>
      (await db.query<{ run_id: string }>("SELECT run_id FROM runs ORDER BY run_id")).rows.map((r) => r.run_id);

    const p = io();
    expect(await main(["prune", "--older-than", "30d", "--project", "p", "--database-url", url], p.io)).toBe(0);
    expect(p.out()).toMatch(/pruned 1 finished run of project "p" that started before \d{4}-/);
    expect(await ids()).toEqual(["p-new", "p-running", "q-old"]);
    const all = io({ HAMILTON_TS_UI_DATABASE_URL: url });
    expect(await main(["prune", "--older-than", "12h"], all.io)).toBe(0);
    expect(all.out()).toMatch(/pruned 2 finished runs that started before/);
    expect(await ids()).toEqual(["p-running"]);
    expect((await db.query("SELECT count(*)::int AS n FROM node_runs")).rows).toEqual([{ n: 0 }]);
  }, 120_000);

  it("prunes a store's index and files when no server runs, and through the server holding the store's lock when one does", async () => {
    const dir = await tempDir();
    const now = Date.now();
    await new FileSink({ dir, fsync: false }).write("p", [
      runRecord("old", "SUCCESS", { startTime: now - 10 * DAY }),
      runRecord("old-running", "RUNNING", { startTime: now - 10 * DAY }),
      runRecord("new", "SUCCESS", { startTime: now - 1000 }),
    ]);
    const noServer = io();
    expect(await main(["prune", "--older-than", "7d", "--dir", dir], noServer.io)).toBe(0);
    expect(noServer.out()).toMatch(/pruned 1 finished run that started before/);
    expect(["old", "old-running", "new"].map((id) => existsSync(runFile(dir, "p", id)))).toEqual([false, true, true]);

    // A server holding the store's lock, answering the read routes over its index (here on PostgreSQL).
    const db = openPostgres(await freshDatabase());
    closers.push(() => db.close());
    await migrate(db);
    await ingestRecords(db, "p", [
      runRecord("idx-old", "FAILURE", { startTime: now - 3 * DAY }),
      runRecord("idx-new", "SUCCESS", { startTime: now - 1000 }),
    ]);
    const deletedFiles: string[] = [];
    const source = {
      db,
      backend: "embedded" as const,
      settled: async () => undefined,
      deleteRunFile: async (project: string, run: string) => void deletedFiles.push(`${project}/${run}`),
      status: async () => ({}),
    };
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (req.headers["x-api-key"] !== "k") {
        res.writeHead(401).end();
        return;
      }
      void readRoute(req.method ?? "GET", url.pathname, url.searchParams, source).then((answer) => {
        res.writeHead(answer?.status ?? 404, { "content-type": "application/json" });
        res.end(answer?.json ?? (answer?.body === undefined ? "" : JSON.stringify(answer.body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const lock = await acquireStoreLock(dir);
    closers.push(() => lock.release());
    await lock.setUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);

    const noKey = io();
    expect(await main(["prune", "--older-than", "1d", "--dir", dir], noKey.io)).toBe(1);
    expect(noKey.err()).toMatch(/wants its API key: give --api-key or HAMILTON_TS_UI_API_KEY/);
    const through = io({ HAMILTON_TS_UI_API_KEY: "k" });
    expect(await main(["prune", "--older-than", "1d", "--dir", dir], through.io)).toBe(0);
    expect(through.out()).toMatch(/pruned 1 finished run that started before/);
    expect(deletedFiles).toEqual(["p/idx-old"]);
    const listed = io();
    expect(await main(["runs", "--dir", dir, "--api-key", "k"], listed.io)).toBe(0);
    expect(listed.out()).toMatch(/^RUN\s+PROJECT/);
    expect(listed.out()).toContain("idx-new");
    expect(listed.out()).not.toContain("idx-old");
  }, 120_000);

  it("explains a missing or bad --older-than, an option of another command, and --dir with --database-url", async () => {
    const cases: [string[], RegExp][] = [
      [["prune"], /prune: how old\? Give --older-than/],
      [["prune", "--older-than", "soon"], /--older-than "soon": expected a duration above zero/],
      [["runs", "--older-than", "3d"], /--older-than is not an option of runs; it takes --dir, --database-url/],
      [["--limit", "3"], /--limit is not an option of the server/],
      [["migrate", "--dir", "x"], /--dir is not an option of migrate; it takes --database-url/],
      [["--retain-days", "0"], /--retain-days "0": expected a whole number of days from 1/],
      [["runs", "--dir", "a", "--database-url", "postgres://h/db"], /give --dir .* or --database-url .*, not both/],
      [["runs", "--database-url", "mysql://h/db"], /--database-url "h:5432\/db": expected postgres:\/\//],
      [["show", "a", "b"], /show: unexpected argument "b"/],
    ];
    for (const [args, message] of cases) {
      const t = io();
      expect([args, await main(args, t.io)]).toEqual([args, 1]);
      expect(t.err()).toMatch(message);
    }
  });
});

describe("hamilton-ts-ui reindex", () => {
  it("rebuilds the store's index from its files and says what it holds; refused while a server holds the store", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [
      runRecord("r1", "SUCCESS"),
      nodeRecord("r1", "a", "SUCCESS"),
      runRecord("r2", "RUNNING"),
    ]);
    const first = io();
    expect(await main(["reindex", "--dir", dir], first.io)).toBe(0);
    expect(first.out()).toMatch(/rebuilt the index of .* from its files: 2 runs, 0 templates, 0 spans\./);
    const listed = io();
    expect(await main(["runs", "--dir", dir], listed.io)).toBe(0);
    expect(listed.out()).toMatch(/r1\s+p\s+dag\s+SUCCESS/);

    const lock = await acquireStoreLock(dir);
    closers.push(() => lock.release());
    const refused = io();
    expect(await main(["reindex", "--dir", dir], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/\[STORE_LOCKED\].*Reindexing the store/);
  }, 120_000);
});

describe("hamilton-ts-ui runs and show on a team database", () => {
  it("lists and shows runs read through the read routes", async () => {
    const url = await freshDatabase();
    const db = openPostgres(url);
    closers.push(() => db.close());
    await migrate(db);
    await ingestRecords(db, "p", [runRecord("r1", "SUCCESS"), nodeRecord("r1", "embed", "SUCCESS")]);
    const list = io();
    expect(await main(["runs", "--database-url", url, "--limit", "5"], list.io)).toBe(0);
    expect(list.out()).toMatch(/r1\s+p\s+dag\s+SUCCESS/);
    const shown = io({ HAMILTON_TS_UI_DATABASE_URL: url });
    expect(await main(["show", "r1"], shown.io)).toBe(0);
    expect(shown.out()).toContain("Run r1 · project p · dag · SUCCESS");
    expect(shown.out()).toMatch(/embed\s+-\s+SUCCESS/);
    const missing = io();
    expect(await main(["show", "nope", "--database-url", url], missing.io)).toBe(1);
    expect(missing.err()).toMatch(/\[RUN_NOT_FOUND\]: show: no run "nope" in the database/);
    const bad = io();
    expect(await main(["runs", "--database-url", url, "--limit", "0"], bad.io)).toBe(1);
    expect(bad.err()).toMatch(/limit="0": expected a whole number from 1 to 10,000/);
  }, 120_000);
});
