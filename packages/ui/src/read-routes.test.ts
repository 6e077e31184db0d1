import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import type { NodeRunRecord, RunRecord } from "@hamilton-ts/store";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import pg from "pg";
import { backends, emptyIndex, testPostgres } from "../test/sql-backends.js";
import { type ReadAnswer, type ReadSource, pruneRuns, readRoute } from "./read-routes.js";
import type { Database } from "./sql/database.js";
import { DAY_MS, ingestRecords, ingestSpans, ingestTemplates } from "./sql/ingest.js";
import { migrate } from "./sql/migrations.js";
import { CHANGES_CHANNEL } from "./sql/team-notify.js";
import type { SpanView } from "./traces.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";

function span(traceId: string, spanId: string, startTime: number): SpanView {
  return {
    traceId,
    spanId,
    parentSpanId: undefined,
    name: `span ${spanId}`,
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

/** Listens on the replicas' change channel; `next` resolves with the next notification's payload. */
async function listen(): Promise<{ next: Promise<string | undefined> }> {
  const client = new pg.Client({ connectionString: (await testPostgres()).url });
  await client.connect();
  await client.query(`LISTEN ${CHANGES_CHANNEL}`);
  const next = new Promise<string | undefined>((resolve) => {
    client.once("notification", (n) => {
      resolve(n.payload);
      void client.end();
    });
  });
  return { next };
}

/** The answer's body: the JSON text the database built, parsed, or the body itself. */
function bodyOf(answer: ReadAnswer | undefined): any {
  if (answer === undefined) throw new Error("not a read route");
  return answer.json === undefined ? answer.body : JSON.parse(answer.json);
}

describe.each(backends)("the read routes on $name", (backend) => {
  let db: Database;
  let source: ReadSource & { deletedFiles: string[]; pending: (() => Promise<void>)[] };

  beforeAll(async () => {
    db = await backend.open();
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await emptyIndex(db);
    const deletedFiles: string[] = [];
    const pending: (() => Promise<void>)[] = [];
    source = {
      db,
      backend: backend.name === "PGlite" ? "embedded" : "postgres",
      deletedFiles,
      pending,
      // What the server wrote but has not indexed yet: indexed before any answer.
      async settled() {
        for (const write of pending.splice(0)) await write();
      },
      ...(backend.name === "PGlite"
        ? {
            async deleteRunFile(projectId: string, runId: string) {
              deletedFiles.push(`${projectId}/${runId}`);
            },
          }
        : {}),
      status: async () => ({ dir: "/store", skippedLines: 3, catchingUp: false, runs: -1 }),
    };
  });

  const get = (path: string, query = "") => readRoute("GET", path, new URLSearchParams(query), source);
  /** The run ids `GET /api/runs?<query>` lists, in its order. */
  const ids = async (query: string) =>
    bodyOf(await get("/api/runs", query)).runs.map((r: { runId: string }) => r.runId);

  it("pages through 250 runs newest first while new runs arrive, no run twice and none of the old ones missed", async () => {
    const base = 1_700_000_000_000;
    const old: RunRecord[] = [];
    for (let i = 0; i < 250; i++) {
      // Several runs share a start time: the run id orders them.
      old.push(runRecord(`old-${String(i).padStart(3, "0")}`, "SUCCESS", { startTime: base + Math.floor(i / 4) }));
    }
    await ingestRecords(db, "p", old);
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = bodyOf(
        await get("/api/runs", `project=p&limit=60${before === undefined ? "" : `&before=${before}`}`),
      );
      seen.push(...page.runs.map((r: { runId: string }) => r.runId));
      pages++;
      if (page.next === null) break;
      expect(typeof page.next).toBe("string");
      before = page.next;
      // Between pages: a newer run, a run as old as the page's last, and one from another project.
      source.pending.push(() =>
        ingestRecords(db, "p", [
          runRecord(`new-${pages}`, "RUNNING", { startTime: base + 1_000_000 + pages }),
          runRecord(`tie-${pages}`, "SUCCESS", { startTime: page.runs.at(-1).startTime }),
        ]),
      );
    }
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(seen.length);
    const oldSeen = seen.filter((id) => id.startsWith("old-"));
    expect(oldSeen).toEqual(
      [...old].sort((a, b) => b.startTime - a.startTime || (b.runId < a.runId ? -1 : 1)).map((r) => r.runId),
    );
    expect(seen.some((id) => id.startsWith("new-"))).toBe(false);
    // The first page of the list now starts with the newest of them.
    expect(bodyOf(await get("/api/runs", "project=p&limit=1")).runs[0].runId).toBe("new-4");
  });

  it("answers q=, tag= (split at the first colon), from= and to= as documented, every filter holding", async () => {
    await ingestRecords(db, "p", [
      runRecord("a", "SUCCESS", {
        startTime: 1000,
        dagName: "Embed_Docs",
        tags: { url: "http://x:8080/a", team: "search" },
      }),
      runRecord("b", "FAILURE", {
        startTime: 2000,
        tags: { team: "ads" },
        error: { type: "E", message: "Quota EXCEEDED", stack: undefined, cause: undefined },
      }),
      runRecord("c", "SUCCESS", { startTime: 3000, tags: { team: "search", env: "prod" } }),
      nodeRecord("c", "Summarise_Text", "FAILURE", {
        error: { type: "E", message: "timeout after 30 s", stack: undefined, cause: undefined },
      }),
    ]);
    expect(await ids("q=embed_d")).toEqual(["a"]);
    expect(await ids("q=exceeded")).toEqual(["b"]);
    expect(await ids("q=summarise")).toEqual(["c"]);
    expect(await ids("q=TIMEOUT")).toEqual(["c"]);
    expect(await ids("q=SEARCH")).toEqual(["c", "a"]);
    expect(await ids("q=%25")).toEqual([]);
    expect(await ids(`tag=${encodeURIComponent("url:http://x:8080/a")}`)).toEqual(["a"]);
    expect(await ids("tag=url:http")).toEqual([]);
    expect(await ids("tag=team:search")).toEqual(["c", "a"]);
    expect(await ids("tag=team:search&tag=env:prod")).toEqual(["c"]);
    expect(await ids("tag=team:search&tag=env:dev")).toEqual([]);
    expect(await ids("from=2000")).toEqual(["c", "b"]);
    expect(await ids("to=2000")).toEqual(["a"]);
    expect(await ids("from=1000&to=3000&status=SUCCESS")).toEqual(["a"]);
    expect(await ids("project=other")).toEqual([]);
    expect(await ids("project=&dag=&status=")).toEqual(["c", "b", "a"]);
    const [c] = bodyOf(await get("/api/runs", "q=summarise")).runs;
    expect(c).toMatchObject({ runId: "c", projectId: "p", dagName: "dag", dagVersion: "v1", status: "SUCCESS" });
    expect(c).toMatchObject({ startTime: 3000, nodeCount: 1, failedCount: 1 });
  });

  it("reads a NUL character in q=, tag=, dag= and node= as ␀, as the index stores it (found, never a 500)", async () => {
    await ingestRecords(db, "p", [
      runRecord("nul", "SUCCESS", { startTime: 1000, dagName: "d\u0000x", tags: { k: "v\u0000w" } }),
      nodeRecord("nul", "n\u0000m", "SUCCESS", { startTime: 1001 }),
      runRecord("other", "SUCCESS", { startTime: 2000 }),
    ]);
    expect(await ids("q=d%00x")).toEqual(["nul"]);
    expect(await ids("q=n%00M")).toEqual(["nul"]);
    expect(await ids("tag=k:v%00w")).toEqual(["nul"]);
    expect(await ids("project=p&dag=d%00x")).toEqual(["nul"]);
    expect(await ids("q=%00%00")).toEqual([]);
    const history = bodyOf(await get("/api/nodes/history", "project=p&dag=d%00x&node=n%00m"));
    expect(history.runs.map((r: { runId: string }) => r.runId)).toEqual(["nul"]);
  });

  it("refuses each bad parameter with a 400 naming it and what it expects", async () => {
    const cases: [string, string, RegExp][] = [
      ["/api/runs", "limit=0", /^limit="0": expected a whole number from 1 to 10,000\.$/],
      ["/api/runs", "limit=10001", /^limit="10001"/],
      ["/api/runs", "limit=2.5", /^limit="2.5"/],
      ["/api/runs", "tag=team", /^tag="team": expected key:value/],
      ["/api/runs", "tag=:x", /^tag=":x": expected key:value/],
      ["/api/runs", "from=yesterday", /^from="yesterday": expected a start time in milliseconds/],
      ["/api/runs", "to=-1", /^to="-1"/],
      ["/api/runs", "from=5&to=4", /^from=5 is after to=4/],
      ["/api/runs", "status=DONE", /^status="DONE": expected one of RUNNING, SUCCESS, FAILURE\.$/],
      ["/api/runs", "before=garbage", /^before="garbage" is not a cursor of this list/],
      ["/api/runs", "project=../x", /^project "..\/x" is not allowed/],
      ["/api/runs", "dag=a&dag=b", /^dag is given 2 times; give it once\.$/],
      ["/api/runs", `q=${"x".repeat(1001)}`, /^q is 1001 characters long; expected at most 1000\.$/],
      ["/api/activity", "days=0", /^days="0": expected a whole number from 1 to 3,660\.$/],
      ["/api/nodes/history", "", /^node is missing/],
      ["/api/nodes/history", "node=a&limit=x", /^limit="x"/],
      ["/api/traces/xyz", "", /^Trace id "xyz" is not 32 hex digits\.$/],
      ["/api/runs/.hidden", "", /^run id ".hidden" is not allowed/],
      ["/api/runs/%E0%A4%A", "", /not valid percent-encoding/],
    ];
    for (const [path, query, message] of cases) {
      const answer = await get(path, query);
      expect([path, query, answer?.status]).toEqual([path, query, 400]);
      expect((answer!.body as { error: string }).error).toMatch(message);
    }
  });

  it("serves a run whole as JSON the database built, a trace, and 404 for an unknown run", async () => {
    await ingestTemplates(db, "p", [templateRecord()]);
    source.pending.push(() =>
      ingestRecords(db, "p", [
        runRecord("r", "SUCCESS"),
        nodeRecord("r", "a", "SUCCESS", { traceId: TRACE, cache: "hit", cacheFromRun: "r0" }),
      ]),
    );
    const answer = await get("/api/runs/r");
    expect(answer?.status).toBe(200);
    expect(typeof answer?.json).toBe("string");
    const detail = bodyOf(answer);
    expect(detail.run).toMatchObject({ runId: "r", projectId: "p", finished: true });
    expect(detail.template.graphVersion).toBe("v1");
    expect(detail.nodeRuns).toMatchObject([{ node: "a", cache: "hit", cacheFromRun: "r0" }]);
    expect(await get("/api/runs/none")).toMatchObject({
      status: 404,
      body: { error: 'No run with id "none" in the store.' },
    });

    await ingestSpans(db, [span(TRACE, "b", 20), span(TRACE, "a", 10)]);
    const trace = bodyOf(await get(`/api/traces/${TRACE.toUpperCase()}`));
    expect(trace.traceId).toBe(TRACE);
    expect(trace.spans.map((s: SpanView) => s.spanId)).toEqual(["a", "b"]);
    expect(bodyOf(await get(`/api/traces/${"0".repeat(32)}`))).toEqual({ traceId: "0".repeat(32), spans: [] });
  });

  it("counts and prices a run's LLM calls with the server's price table, per node run and for the run", async () => {
    const llmSpan = (spanId: string, parent: string, attributes: Record<string, unknown>): SpanView => ({
      ...span(TRACE, spanId, 5),
      parentSpanId: parent,
      attributes,
    });
    await ingestRecords(db, "p", [
      runRecord("r", "SUCCESS"),
      nodeRecord("r", "ask", "SUCCESS", { traceId: TRACE, spanId: "n1" }),
      nodeRecord("r", "plain", "SUCCESS", { traceId: TRACE, spanId: "n2" }),
      nodeRecord("r", "nospan", "SUCCESS"),
      runRecord("quiet", "SUCCESS"),
      nodeRecord("quiet", "a", "SUCCESS"),
    ]);
    await ingestSpans(db, [
      span(TRACE, "n1", 1),
      span(TRACE, "n2", 2),
      // A framework's LLM span around the client's: one call, the inner one.
      llmSpan("wrap", "n1", { "gen_ai.request.model": "my-model" }),
      llmSpan("call1", "wrap", {
        "gen_ai.response.model": "my-model",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 500,
      }),
      llmSpan("call2", "n1", { "llm.request.model": "my-model", "llm.usage.prompt_tokens": "3000" }),
    ]);
    source = { ...source, prices: { "my-model": { input: 1, output: 2 } } };
    const detail = bodyOf(await get("/api/runs/r"));
    expect(detail.run.llm).toEqual({ calls: 2, inputTokens: 4000, outputTokens: 500, costUsd: 0.005 });
    // Node runs without calls carry none (the page reads a missing figure as no calls).
    expect(detail.nodeRuns.map((n: { node: string; llm: unknown }) => [n.node, n.llm])).toEqual([
      ["ask", { calls: 2, inputTokens: 4000, outputTokens: 500, costUsd: 0.005 }],
      ["plain", undefined],
      ["nospan", undefined],
    ]);
    // Without the model in the table: the cost is unknown, and says which model has no price.
    source = { ...source, prices: {} };
    expect(bodyOf(await get("/api/runs/r")).run.llm).toEqual({
      calls: 2,
      inputTokens: 4000,
      outputTokens: 500,
      costUsd: null,
      unpricedModels: ["my-model"],
    });
    // The runs list carries a run's figures when it made calls (the page's LLM column), none otherwise.
    const list = bodyOf(await get("/api/runs"));
    expect(list.runs.map((r: { runId: string; llm?: unknown }) => [r.runId, r.llm])).toEqual([
      ["r", { calls: 2, inputTokens: 4000, outputTokens: 500, costUsd: null, unpricedModels: ["my-model"] }],
      ["quiet", undefined],
    ]);
    const quiet = bodyOf(await get("/api/runs/quiet"));
    expect([quiet.run.llm, quiet.nodeRuns[0].llm]).toEqual([
      { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      undefined,
    ]);
  });

  it("deletes a finished run (204) with its node runs and spans, refuses a running one (409), 404 for unknown", async () => {
    await ingestRecords(db, "p", [
      runRecord("done", "SUCCESS"),
      nodeRecord("done", "a", "SUCCESS", { traceId: TRACE }),
      runRecord("live", "RUNNING"),
    ]);
    await ingestSpans(db, [span(TRACE, "1", 1)]);
    const del = (runId: string) => readRoute("DELETE", `/api/runs/${runId}`, new URLSearchParams(), source);
    expect(await del("live")).toMatchObject({
      status: 409,
      body: { error: expect.stringMatching(/"live" is still running/) },
    });
    // On a team database every replica is told (its pages refresh); embedded, the indexer sees the file go.
    const told = backend.name === "PostgreSQL" ? await listen() : undefined;
    expect(await del("done")).toEqual({ status: 204, body: undefined });
    if (told !== undefined) expect(await told.next).toBe("write");
    expect(await del("done")).toMatchObject({ status: 404 });
    expect(await del("never")).toMatchObject({ status: 404 });
    expect((await get("/api/runs/done"))?.status).toBe(404);
    expect(bodyOf(await get(`/api/traces/${TRACE}`)).spans).toEqual([]);
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM node_runs")).rows).toEqual([{ n: 0 }]);
    expect(bodyOf(await get("/api/runs")).runs.map((r: { runId: string }) => r.runId)).toEqual(["live"]);
    // Embedded, the run's file goes too; a team database has no files.
    expect(source.deletedFiles).toEqual(backend.name === "PGlite" ? ["p/done"] : []);
    expect(await readRoute("PUT", "/api/runs/done", new URLSearchParams(), source)).toBeUndefined();
  });

  it("answers activity per day and a node's history with figures from known data", async () => {
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const records: (RunRecord | NodeRunRecord)[] = [];
    for (let i = 1; i <= 20; i++) {
      const startTime = today - DAY_MS + i * 1000; // yesterday
      records.push(
        runRecord(`y${i}`, i <= 5 ? "FAILURE" : "SUCCESS", { startTime, durationMs: i * 100, dagName: "d" }),
        nodeRecord(`y${i}`, "embed", i % 4 === 0 ? "FAILURE" : "SUCCESS", {
          startTime: startTime + 1,
          durationMs: i * 10,
          cache: i % 2 === 0 ? "hit" : "miss",
          ...(i % 2 === 0 ? { cacheFromRun: "y1" } : { cacheMissReason: { kind: "code", from: "v1", to: "v2" } }),
        }),
      );
    }
    records.push(runRecord("other", "SUCCESS", { startTime: today - DAY_MS, dagName: "e" }));
    await ingestRecords(db, "p", records);

    const { days } = bodyOf(await get("/api/activity", "project=p&dag=d&days=3"));
    expect(days.map((d: { day: string }) => d.day)).toEqual(
      [2, 1, 0].map((n) => new Date(today - n * DAY_MS).toISOString().slice(0, 10)),
    );
    expect(days[1]).toMatchObject({ runs: 20, failures: 5 });
    // The nearest-rank p50 of 100, 200, … 2000 ms is 1000 and p95 1900; the rollup's buckets are within 5%.
    expect(Math.abs(days[1].p50Ms - 1000) / 1000).toBeLessThan(0.05);
    expect(Math.abs(days[1].p95Ms - 1900) / 1900).toBeLessThan(0.05);
    expect(days[0]).toEqual({
      day: days[0].day,
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
    expect(bodyOf(await get("/api/activity", "project=p&days=3")).days[1].runs).toBe(21);
    expect(bodyOf(await get("/api/activity")).days).toHaveLength(30);

    const history = bodyOf(await get("/api/nodes/history", "project=p&dag=d&node=embed&limit=10"));
    expect(history.runs.map((r: { runId: string }) => r.runId)).toEqual(
      [20, 19, 18, 17, 16, 15, 14, 13, 12, 11].map((i) => `y${i}`),
    );
    expect(history.runs[0]).toEqual({
      runId: "y20",
      taskId: null,
      attempt: 1,
      startTime: today - DAY_MS + 20_001,
      durationMs: 200,
      status: "FAILURE",
      cache: "hit",
      cacheFromRun: "y1",
      cacheMissReason: null,
      error: null,
      llm: null,
    });
    expect(history.runs[1]).toMatchObject({ cache: "miss", cacheMissReason: { kind: "code", from: "v1", to: "v2" } });
    expect(history.count).toBe(10);
    expect(history.failureRate).toBeCloseTo(0.3); // 12, 16 and 20
    expect(history.p50Ms).toBeCloseTo(155);
    expect(history.p95Ms).toBeCloseTo(195.5);
    expect(bodyOf(await get("/api/nodes/history", "node=embed&dag=e")).count).toBe(0);
  });

  it("answers the store's status with the backend and the index's counts", async () => {
    await ingestTemplates(db, "p", [templateRecord()]);
    source.pending.push(() => ingestRecords(db, "p", [runRecord("r1"), runRecord("r2")]));
    expect(bodyOf(await get("/api/store"))).toEqual({
      dir: "/store",
      skippedLines: 3,
      catchingUp: false,
      backend: backend.name === "PGlite" ? "embedded" : "postgres",
      runs: 2,
      templates: 1,
    });
    expect(await get("/api/nope")).toBeUndefined();
    expect(await readRoute("POST", "/api/runs", new URLSearchParams(), source)).toBeUndefined();
  });

  it("prunes finished runs older than an age, in one project or all, with their files, keeping running ones", async () => {
    const now = 1_800_000_000_000;
    await ingestRecords(db, "p", [
      runRecord("p-old", "SUCCESS", { startTime: now - 40 * DAY_MS }),
      runRecord("p-old-fail", "FAILURE", { startTime: now - 31 * DAY_MS }),
      nodeRecord("p-old", "a", "SUCCESS", { traceId: TRACE }),
      runRecord("p-old-running", "RUNNING", { startTime: now - 50 * DAY_MS }),
      runRecord("p-new", "SUCCESS", { startTime: now - 29 * DAY_MS }),
    ]);
    await ingestRecords(db, "q", [runRecord("q-old", "SUCCESS", { startTime: now - 40 * DAY_MS })]);
    await ingestSpans(db, [span(TRACE, "1", 1)]);
    expect(await pruneRuns(source, { olderThanMs: 30 * DAY_MS, project: "p", now })).toBe(2);
    const left = async () =>
      bodyOf(await get("/api/runs"))
        .runs.map((r: { runId: string }) => r.runId)
        .sort();
    expect(await left()).toEqual(["p-new", "p-old-running", "q-old"]);
    expect(bodyOf(await get(`/api/traces/${TRACE}`)).spans).toEqual([]);
    if (backend.name === "PGlite") expect(source.deletedFiles.sort()).toEqual(["p/p-old", "p/p-old-fail"]);
    expect(await pruneRuns(source, { olderThanMs: 30 * DAY_MS, now })).toBe(1);
    expect(await left()).toEqual(["p-new", "p-old-running"]);
    expect(await pruneRuns(source, { olderThanMs: 0, now })).toBe(1);
    expect(await left()).toEqual(["p-old-running"]);
  });
});
