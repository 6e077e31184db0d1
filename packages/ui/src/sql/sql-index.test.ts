import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { type NodeRunRecord, type RunRecord, type RunStatus, supersedes } from "@hamilton-ts/store";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SpanView } from "../traces.js";
import { backends, useIndex } from "../../test/sql-backends.js";
import type { Database } from "./database.js";
import {
  bucketMs,
  DAY_MS,
  durationBucket,
  ingestRecords,
  ingestSpans,
  ingestTemplates,
  markLostNodeRuns,
} from "./ingest.js";
import { HISTORY_ERROR_CHARS } from "./history-entry.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION, SchemaTooNewError, schemaVersion } from "./migrations.js";
import { deleteRun } from "./delete.js";
import { activity, BadCursorError, getRunJson, getTraceJson, listRuns, nodeHistory } from "./queries.js";

const DAY0 = 20_000 * DAY_MS; // a UTC midnight

function span(traceId: string, spanId: string, startTime: number, name = "s"): SpanView {
  return {
    traceId,
    spanId,
    parentSpanId: undefined,
    name,
    kind: 1,
    startTime,
    endTime: startTime + 1,
    durationMs: 1,
    status: { code: 0, message: undefined },
    attributes: {},
    events: [],
    resource: {},
  };
}

describe.each(backends)("the SQL index on $name", (backend) => {
  let db: Database;
  useIndex(backend, (opened) => {
    db = opened;
  });

  it("migrates once: a second run applies nothing, and a database from a newer version is refused untouched", async () => {
    expect(await schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(await migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    await db.query("UPDATE hts_schema SET value = $1 WHERE key = 'version'", [String(SCHEMA_VERSION + 1)]);
    try {
      await expect(migrate(db)).rejects.toBeInstanceOf(SchemaTooNewError);
      await expect(migrate(db)).rejects.toThrow(/newer than this hamilton-ts-ui/);
      expect(await schemaVersion(db)).toBe(SCHEMA_VERSION + 1);
    } finally {
      await db.query("UPDATE hts_schema SET value = $1 WHERE key = 'version'", [String(SCHEMA_VERSION)]);
    }
  });

  it("folds node runs exactly as the store's rule does, across batches and within one", async () => {
    const statuses: RunStatus[] = ["RUNNING", "SUCCESS", "FAILURE"];
    const cases: [NodeRunRecord, NodeRunRecord][] = [];
    for (const a of statuses) {
      for (const b of statuses) {
        for (const [attemptA, attemptB] of [
          [1, 1],
          [1, 2],
          [2, 1],
        ] as const) {
          const node = `n-${a}-${b}-${attemptA}${attemptB}`;
          cases.push([
            nodeRecord("r", node, a, { attempt: attemptA, durationMs: 1 }),
            nodeRecord("r", node, b, { attempt: attemptB, durationMs: 2 }),
          ]);
        }
      }
    }
    await ingestRecords(db, "p", [runRecord("r", "SUCCESS")]);
    // Across batches: the first record, then the second.
    await ingestRecords(
      db,
      "p",
      cases.map(([first]) => first),
    );
    await ingestRecords(
      db,
      "p",
      cases.map(([, second]) => second),
    );
    // Within one batch: both records of each case under a second run.
    await ingestRecords(db, "p", [runRecord("r2", "SUCCESS")]);
    await ingestRecords(
      db,
      "p",
      cases.flatMap(([first, second]) => [
        { ...first, runId: "r2" },
        { ...second, runId: "r2" },
      ]),
    );
    for (const runId of ["r", "r2"]) {
      const detail = JSON.parse((await getRunJson(db, runId))!) as { nodeRuns: NodeRunRecord[] };
      const byNode = new Map(detail.nodeRuns.map((n) => [n.node, n]));
      for (const [first, second] of cases) {
        const expected = supersedes(first, second) ? second : first;
        const got = byNode.get(first.node)!;
        expect([got.node, got.status, got.attempt, got.durationMs]).toEqual([
          expected.node,
          expected.status,
          expected.attempt,
          expected.durationMs,
        ]);
      }
    }
  });

  it("keeps a run's final record when a late RUNNING record of it arrives, and counts its day's activity once", async () => {
    const start = DAY0 + 1_000;
    await ingestRecords(db, "p", [runRecord("r", "RUNNING", { startTime: start })]);
    await ingestRecords(db, "p", [
      runRecord("r", "FAILURE", {
        startTime: start,
        durationMs: 40,
        error: { type: "E", message: "x", stack: undefined, cause: undefined },
      }),
    ]);
    await ingestRecords(db, "p", [runRecord("r", "RUNNING", { startTime: start })]);
    const detail = JSON.parse((await getRunJson(db, "r"))!) as { run: RunRecord & { finished: boolean } };
    expect(detail.run.status).toBe("FAILURE");
    expect(detail.run.finished).toBe(true);
    const { days } = await activity(db, { project: "p", dag: "dag", days: 2, now: DAY0 + 5_000 });
    expect(days[0]).toEqual({
      day: new Date(DAY0 - DAY_MS).toISOString().slice(0, 10),
      runs: 0,
      failures: 0,
      p50Ms: null,
      p95Ms: null,
      llmCalls: 0,
      tokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    });
    expect(days[1]).toMatchObject({ day: new Date(DAY0).toISOString().slice(0, 10), runs: 1, failures: 1 });
    expect(days[1]!.p50Ms).toBe(days[1]!.p95Ms);
    expect(Math.abs(days[1]!.p50Ms! - 40) / 40).toBeLessThan(0.05);
  });

  it("serves a run whole: the run with its project and finished flag, its template, node runs in first-seen order", async () => {
    await ingestTemplates(db, "p", [templateRecord()]);
    await ingestRecords(db, "p", [
      runRecord("r"),
      nodeRecord("r", "b", "RUNNING"),
      nodeRecord("r", "a", "RUNNING"),
      nodeRecord("r", "t", "SUCCESS", { taskId: "1" }),
      nodeRecord("r", "t", "SUCCESS", { taskId: "0" }),
    ]);
    await ingestRecords(db, "p", [nodeRecord("r", "a"), nodeRecord("r", "b"), runRecord("r", "SUCCESS")]);
    const detail = JSON.parse((await getRunJson(db, "r"))!);
    expect(detail.run).toMatchObject({ runId: "r", projectId: "p", finished: true, status: "SUCCESS" });
    expect(detail.template.graphVersion).toBe("v1");
    expect(detail.nodeRuns.map((n: NodeRunRecord) => `${n.taskId ?? ""}${n.node}:${n.status}`)).toEqual([
      "b:SUCCESS",
      "a:SUCCESS",
      "1t:SUCCESS",
      "0t:SUCCESS",
    ]);
    expect(await getRunJson(db, "nope")).toBeUndefined();
  });

  it("lists runs newest first with every filter, and pages through all of them with no run twice", async () => {
    const records: RunRecord[] = [];
    for (let i = 0; i < 250; i++) {
      records.push(
        runRecord(`run-${String(i).padStart(3, "0")}`, i % 10 === 0 ? "FAILURE" : "SUCCESS", {
          // Several runs share a start time: the run id breaks the tie, so paging never repeats one.
          startTime: DAY0 + Math.floor(i / 3) * 1000,
          dagName: i % 2 === 0 ? "even" : "odd",
          tags: { team: i % 5 === 0 ? "search" : "ads", env: "prod" },
        }),
      );
    }
    await ingestRecords(db, "p", records);
    await ingestRecords(db, "q", [runRecord("other", "SUCCESS", { startTime: DAY0 + 10_000_000 })]);
    await ingestRecords(db, "p", [
      nodeRecord("run-007", "Embed_Chunks", "FAILURE", {
        error: { type: "E", message: "Rate limit 100% reached", stack: undefined, cause: undefined },
      }),
    ]);

    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await listRuns(db, { project: "p", limit: 100, before });
      seen.push(...page.runs.map((r) => r.runId));
      if (page.next === null) break;
      before = page.next;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    const sorted = [...records].sort((a, b) => b.startTime - a.startTime || (b.runId < a.runId ? -1 : 1));
    expect(seen).toEqual(sorted.map((r) => r.runId));

    const ids = async (query: Parameters<typeof listRuns>[1]) => (await listRuns(db, query)).runs.map((r) => r.runId);
    expect(await ids({ limit: 1 })).toEqual(["other"]);
    expect((await ids({ project: "p", dag: "even", status: "FAILURE", limit: 1000 })).length).toBe(25);
    expect((await ids({ project: "p", tags: [["team", "search"]], limit: 1000 })).length).toBe(50);
    expect(
      await ids({
        project: "p",
        tags: [
          ["team", "search"],
          ["env", "dev"],
        ],
        limit: 1000,
      }),
    ).toEqual([]);
    expect(await ids({ q: "embed_chunks", limit: 10 })).toEqual(["run-007"]);
    expect(await ids({ q: "100%", limit: 10 })).toEqual(["run-007"]);
    expect(await ids({ q: "1_0", limit: 10 })).toEqual([]);
    expect((await ids({ q: "SEARCH", project: "p", limit: 1000 })).length).toBe(50);
    expect((await ids({ q: "ODD", limit: 1000 })).length).toBe(125);
    expect(await ids({ project: "p", from: DAY0 + 83_000, limit: 1000 })).toEqual(["run-249"]);
    expect((await ids({ project: "p", to: DAY0 + 1000, limit: 1000 })).sort()).toEqual([
      "run-000",
      "run-001",
      "run-002",
    ]);
    await expect(listRuns(db, { limit: 1, before: "garbage" })).rejects.toBeInstanceOf(BadCursorError);

    const [run7] = (await listRuns(db, { q: "rate limit", limit: 1 })).runs;
    expect(run7).toMatchObject({ runId: "run-007", nodeCount: 1, failedCount: 1, dagName: "odd" });
  });

  it("counts each listed run's node runs, failures and cache hits", async () => {
    await ingestRecords(db, "p", [
      runRecord("cached", "SUCCESS"),
      nodeRecord("cached", "load", "SUCCESS", { cache: "hit" }),
      nodeRecord("cached", "embed", "SUCCESS", { cache: "hit" }),
      nodeRecord("cached", "answer", "FAILURE", { cache: "miss" }),
      nodeRecord("cached", "plain", "SUCCESS"),
    ]);
    const [run] = (await listRuns(db, { limit: 1 })).runs;
    expect(run).toMatchObject({ runId: "cached", nodeCount: 4, failedCount: 1, cacheHits: 2 });
  });

  it("finds runs by a node's name or error message stored before or after the run, kept on the run once", async () => {
    // Node runs before their run's record (a fan-out worker's writes can arrive first).
    await ingestRecords(db, "p", [nodeRecord("early", "Load_Rows", "RUNNING"), nodeRecord("early", "fit", "RUNNING")]);
    await ingestRecords(db, "p", [runRecord("early", "RUNNING")]);
    await ingestRecords(db, "p", [runRecord("late", "RUNNING"), nodeRecord("late", "fit", "SUCCESS")]);
    // A node run's final record brings its error message; a record of it again adds nothing twice.
    const failed = nodeRecord("early", "fit", "FAILURE", {
      error: { type: "E", message: "Quota exceeded\nfor key", stack: undefined, cause: undefined },
    });
    await ingestRecords(db, "p", [failed]);
    await ingestRecords(db, "p", [{ ...failed, attempt: 2 }]);
    const ids = async (q: string) => (await listRuns(db, { q, limit: 10 })).runs.map((r) => r.runId).sort();
    expect(await ids("load_rows")).toEqual(["early"]);
    expect(await ids("FIT")).toEqual(["early", "late"]);
    expect(await ids("quota exceeded for")).toEqual(["early"]);
    expect(await ids("nothing like it")).toEqual([]);
    const { rows } = await db.query<{ node_search: string }>("SELECT node_search FROM runs WHERE run_id = 'early'");
    expect(
      rows[0]!.node_search
        .split("\n")
        .filter((p) => p !== "")
        .sort(),
    ).toEqual(["fit", "load_rows", "quota exceeded for key"]);
  });

  it("stores values holding NUL characters (as ␀) and lone surrogates (as �), which PostgreSQL cannot hold, and the rest of the batch with them", async () => {
    const nul = "bin\u0000ary";
    await ingestTemplates(db, "p", [templateRecord({ graphVersion: "nul", dagName: `dag${nul}` })]);
    await ingestRecords(db, "p", [
      runRecord("with-nul", "FAILURE", { graphVersion: "nul", dagName: `dag${nul}`, tags: { t: nul } }),
      nodeRecord("with-nul", `node${nul}`, "FAILURE", {
        error: { type: "E", message: `failed ${nul}`, stack: undefined, cause: undefined },
      }),
      nodeRecord("with-nul", "read", "SUCCESS", {
        result: { kind: "string", length: 7, preview: nul, truncated: false },
      }),
      // A string cut inside an emoji's UTF-16 pair: a lone surrogate, which jsonb refuses too.
      nodeRecord("with-nul", "cut", "SUCCESS", {
        result: { kind: "string", length: 9, preview: "a😀b".slice(0, 2), truncated: true },
      }),
      runRecord("plain", "SUCCESS"),
      nodeRecord("plain", "a"),
    ]);
    await ingestSpans(db, [{ ...span("t-nul", "s", 1, `span${nul}`), attributes: { key: nul } }]);
    const stored = "bin␀ary";
    const run = JSON.parse((await getRunJson(db, "with-nul"))!) as {
      run: RunRecord;
      template: { dagName: string };
      nodeRuns: NodeRunRecord[];
    };
    expect(run.run.dagName).toBe(`dag${stored}`);
    expect(run.run.tags).toEqual({ t: stored });
    expect(run.template.dagName).toBe(`dag${stored}`);
    expect(run.nodeRuns.map((n) => [n.node, n.error?.message ?? (n.result as { preview: string }).preview])).toEqual([
      [`node${stored}`, `failed ${stored}`],
      ["read", stored],
      ["cut", "a\ufffd"],
    ]);
    expect(JSON.parse((await getRunJson(db, "plain"))!).nodeRuns).toHaveLength(1);
    const [s] = JSON.parse(await getTraceJson(db, "t-nul")) as SpanView[];
    expect([s!.name, s!.attributes]).toEqual([`span${stored}`, { key: stored }]);
    expect((await listRuns(db, { q: `failed ${stored}`, limit: 10 })).runs.map((r) => r.runId)).toEqual(["with-nul"]);
  });

  it("serves a trace's spans by start time, a repeated export stored once", async () => {
    await ingestSpans(db, [span("t1", "b", 20), span("t1", "a", 10), span("t2", "c", 5)]);
    await ingestSpans(db, [span("t1", "a", 10, "again"), span("t1", "a", 10, "again")]);
    const spans = JSON.parse(await getTraceJson(db, "t1")) as SpanView[];
    expect(spans.map((s) => [s.spanId, s.name])).toEqual([
      ["a", "s"],
      ["b", "s"],
    ]);
    expect(await getTraceJson(db, "none")).toBe("[]");
  });

  it("rolls activity up per day with p50/p95 from duration buckets, and a deleted run leaves it", async () => {
    const records: RunRecord[] = [];
    for (let i = 1; i <= 100; i++) {
      records.push(runRecord(`d0-${i}`, i <= 10 ? "FAILURE" : "SUCCESS", { startTime: DAY0 + i, durationMs: i * 10 }));
    }
    records.push(runRecord("d1-running", "RUNNING", { startTime: DAY0 + DAY_MS + 5 }));
    await ingestRecords(db, "p", records);
    const { days } = await activity(db, { project: "p", days: 2, now: DAY0 + DAY_MS + 10 });
    expect(days[0]).toMatchObject({ runs: 100, failures: 10 });
    // Within the buckets' precision of the exact quantiles (500 and 950 ms).
    expect(Math.abs(days[0]!.p50Ms! - 500) / 500).toBeLessThan(0.06);
    expect(Math.abs(days[0]!.p95Ms! - 950) / 950).toBeLessThan(0.06);
    expect(days[1]).toMatchObject({ runs: 1, failures: 0, p50Ms: null, p95Ms: null });

    expect(await deleteRun(db, "d1-running")).toBe("running");
    expect(await deleteRun(db, "missing")).toBe("not_found");
    expect(await deleteRun(db, "d0-5")).toBe("deleted");
    expect(await deleteRun(db, "d0-5")).toBe("not_found");
    const after = await activity(db, { project: "p", days: 2, now: DAY0 + DAY_MS + 10 });
    expect(after.days[0]).toMatchObject({ runs: 99, failures: 9 });
  });

  it("deletes a run with its node runs and the spans of its traces, nothing of another run", async () => {
    await ingestRecords(db, "p", [
      runRecord("gone", "SUCCESS"),
      nodeRecord("gone", "a", "SUCCESS", { traceId: "tg" }),
      runRecord("kept", "SUCCESS"),
      nodeRecord("kept", "a", "SUCCESS", { traceId: "tk" }),
    ]);
    await ingestSpans(db, [span("tg", "1", 1), span("tk", "2", 1)]);
    expect(await deleteRun(db, "gone")).toBe("deleted");
    expect(await getRunJson(db, "gone")).toBeUndefined();
    expect(await getTraceJson(db, "tg")).toBe("[]");
    expect(JSON.parse(await getTraceJson(db, "tk"))).toHaveLength(1);
    const { rows } = await db.query<{ n: number }>("SELECT count(*) AS n FROM node_runs WHERE run_id = 'gone'");
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("answers a node's history newest first with its failure rate and percentiles, per DAG", async () => {
    const records: (RunRecord | NodeRunRecord)[] = [];
    for (let i = 0; i < 30; i++) {
      records.push(runRecord(`h${i}`, "SUCCESS", { startTime: DAY0 + i * 1000, dagName: i < 20 ? "mine" : "theirs" }));
      records.push(
        nodeRecord(`h${i}`, "embed", i % 4 === 0 ? "FAILURE" : "SUCCESS", {
          startTime: DAY0 + i * 1000 + 1,
          durationMs: (i + 1) * 10,
          cache: i % 2 === 0 ? "hit" : "miss",
        }),
      );
    }
    await ingestRecords(db, "p", records);
    const history = await nodeHistory(db, { project: "p", dag: "mine", node: "embed", limit: 10 });
    expect(history.runs.map((n) => n.runId)).toEqual([
      "h19",
      "h18",
      "h17",
      "h16",
      "h15",
      "h14",
      "h13",
      "h12",
      "h11",
      "h10",
    ]);
    expect(history.runs[0]).toEqual({
      runId: "h19",
      taskId: null,
      attempt: 1,
      startTime: DAY0 + 19_001,
      durationMs: 200,
      status: "SUCCESS",
      cache: "miss",
      cacheFromRun: null,
      cacheMissReason: null,
      error: null,
      llm: null,
    });
    expect(history.count).toBe(10);
    expect(history.failureRate).toBeCloseTo(0.2); // h12 and h16 failed

    expect(history.p50Ms).toBeCloseTo(155);
    const all = await nodeHistory(db, { node: "embed", limit: 1000 });
    expect(all.count).toBe(30);
    const none = await nodeHistory(db, { node: "nothing", limit: 5 });
    expect(none).toEqual({ runs: [], count: 0, failureRate: 0, p50Ms: null, p95Ms: null, tokens: 0, costUsd: 0 });
  });

  it("puts node runs stored before their run into its DAG's history once the run arrives; a lost one reads UNKNOWN", async () => {
    const mine = { project: "p", dag: "mine", node: "embed", limit: 10 };
    // Another process's file was read first: the node run has no run yet, so no DAG.
    await ingestRecords(db, "p", [nodeRecord("early", "embed", "RUNNING", { startTime: DAY0 + 5 })]);
    expect((await nodeHistory(db, mine)).count).toBe(0);
    expect((await nodeHistory(db, { node: "embed", limit: 10 })).count).toBe(1);
    await ingestRecords(db, "p", [runRecord("early", "FAILURE", { startTime: DAY0, dagName: "mine" })]);
    expect((await nodeHistory(db, mine)).runs).toMatchObject([{ runId: "early", status: "RUNNING" }]);
    expect((await nodeHistory(db, { ...mine, dag: "theirs" })).count).toBe(0);
    expect((await nodeHistory(db, { ...mine, project: "q" })).count).toBe(0);
    // The run ended without the node run's end: it is lost, and its entry says so.
    expect(await markLostNodeRuns(db, ["early"])).toBe(1);
    const [lost] = (await nodeHistory(db, mine)).runs;
    expect(lost).toMatchObject({ runId: "early", status: "UNKNOWN" });
    expect(lost!.error).toMatch(/.+/);
  });

  it("stores a node run with a huge error, miss reason and LLM figures; its history entry keeps them cut", async () => {
    // Incompressible, so that it could not fit an index row even compressed.
    const huge = `é${randomBytes(7500).toString("base64")}`;
    await ingestRecords(db, "p", [
      runRecord("big", "FAILURE", { startTime: DAY0, dagName: "mine" }),
      nodeRecord("big", "embed", "FAILURE", {
        startTime: DAY0 + 1,
        error: { type: "Error", message: huge, stack: huge, cause: undefined },
        cache: "miss",
        cacheMissReason: { kind: "unkeyed", detail: huge },
      }),
      nodeRecord("big", "other", "SUCCESS", {
        startTime: DAY0 + 2,
        ...({ llm: { calls: 1, note: huge } } as object),
      }),
    ]);
    const [entry] = (await nodeHistory(db, { project: "p", dag: "mine", node: "embed", limit: 5 })).runs;
    expect(entry!.error).toBe(`${huge.slice(0, HISTORY_ERROR_CHARS)}…`);
    expect(entry!.cacheMissReason).toEqual({ kind: "unkeyed" });
    const [other] = (await nodeHistory(db, { project: "p", dag: "mine", node: "other", limit: 5 })).runs;
    expect(other).toMatchObject({ runId: "big", status: "SUCCESS", llm: null });
    // The node run itself keeps everything.
    const run = JSON.parse((await getRunJson(db, "big"))!) as { nodeRuns: NodeRunRecord[] };
    expect(run.nodeRuns.find((n) => n.node === "embed")!.error!.message).toBe(huge);
  });

  it("answers the same history from rows stored before schema 7, once migration 7 ran", async () => {
    await ingestRecords(db, "p", [
      runRecord("m1", "FAILURE", { startTime: DAY0, dagName: "mine" }),
      nodeRecord("m1", "embed", "FAILURE", {
        taskId: "3",
        startTime: DAY0 + 1,
        durationMs: 5,
        error: { type: "Error", message: 'quota "exceeded"\nretry', stack: undefined, cause: undefined },
        cache: "miss",
        cacheMissReason: { kind: "code", from: "aa", to: "bb" },
      }),
      nodeRecord("m1", "embed", "SUCCESS", { taskId: "4", startTime: DAY0 + 2, cache: "hit", cacheFromRun: "m0" }),
      nodeRecord("m1", "embed", "RUNNING", { taskId: "5", startTime: DAY0 + 3 }),
      runRecord("m2", "SUCCESS", { startTime: DAY0 + 10, dagName: "theirs" }),
      nodeRecord("m2", "embed", "SUCCESS", { startTime: DAY0 + 11, durationMs: 7.25 }),
      nodeRecord("m2", "embed", "FAILURE", {
        taskId: "9",
        startTime: DAY0 + 12,
        error: { type: "Error", message: "ü".repeat(5000), stack: undefined, cause: undefined },
      }),
    ]);
    const mine = { project: "p", dag: "mine", node: "embed", limit: 10 };
    const all = { node: "embed", limit: 10 };
    const before = [await nodeHistory(db, mine), await nodeHistory(db, all)];
    expect(before[0]!.runs.map((r) => r.taskId)).toEqual(["5", "4", "3"]);
    expect(before[0]!.runs[2]).toMatchObject({ cacheMissReason: { kind: "code" }, error: 'quota "exceeded"\nretry' });
    // An index of schema 6: none of the columns migration 7 adds.
    await db.query(
      "DROP INDEX node_run_llm_by_node; ALTER TABLE node_runs DROP COLUMN project_id, DROP COLUMN dag_name, DROP COLUMN entry",
    );
    await db.query(MIGRATIONS.find((m) => m.id === 7)!.sql);
    expect([await nodeHistory(db, mine), await nodeHistory(db, all)]).toEqual(before);
  });
});

describe("duration buckets", () => {
  it("put a duration in a bucket whose middle is within 5% of it (above a few ms)", () => {
    for (const ms of [5, 17, 100, 999, 12_345, 3_600_000]) {
      expect(Math.abs(bucketMs(durationBucket(ms)) - ms) / ms).toBeLessThan(0.05);
    }
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(-5)).toBe(0);
  });
});
