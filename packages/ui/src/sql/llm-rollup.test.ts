import { nodeRecord, runRecord } from "@hamilton-ts/testing/records";
import { describe, expect, it } from "vitest";
import { backends, useIndex } from "../../test/sql-backends.js";
import type { PriceTable } from "../price-table.js";
import type { SpanView } from "../traces.js";
import type { Database } from "./database.js";
import { deleteRun } from "./delete.js";
import { DAY_MS, dropRuns, ingestRecords, ingestSpans } from "./ingest.js";
import { dropAllSpans } from "./log-files.js";
import { MIGRATIONS } from "./migrations.js";
import { activity, nodeHistory } from "./queries.js";

const DAY0 = 20_000 * DAY_MS; // a UTC midnight
const PRICES: PriceTable = { m1: { input: 1, output: 2 } }; // USD per 1M tokens
const T1 = "a".repeat(32);
const T2 = "b".repeat(32);

function span(
  traceId: string,
  spanId: string,
  parent: string | undefined,
  attributes: Record<string, unknown> = {},
): SpanView {
  return {
    traceId,
    spanId,
    parentSpanId: parent,
    name: spanId,
    kind: 1,
    startTime: DAY0,
    endTime: DAY0 + 1,
    durationMs: 1,
    status: { code: 0, message: undefined },
    attributes,
    events: [],
    resource: {},
  };
}

const call = (model: string, input: number, output: number) => ({
  "gen_ai.response.model": model,
  "gen_ai.usage.input_tokens": input,
  "gen_ai.usage.output_tokens": output,
});

/** Run a: day 0, node `ask` (span a1) whose call used 100 + 50 tokens of m1. */
async function runA(db: Database, order: "records first" | "spans first"): Promise<void> {
  const records = () =>
    ingestRecords(db, "p", [
      runRecord("a", "SUCCESS", { startTime: DAY0 + 1_000 }),
      nodeRecord("a", "ask", "SUCCESS", { startTime: DAY0 + 1_000, traceId: T1, spanId: "a1" }),
    ]);
  const spans = () => ingestSpans(db, [span(T1, "a1", undefined), span(T1, "c1", "a1", call("m1", 100, 50))]);
  if (order === "records first") {
    await records();
    await spans();
  } else {
    await spans();
    await records();
  }
}

/** Run b: day 1, node `ask` (span b1); a framework's LLM span `w` wraps the client's `c2` (10 + 5). */
async function runB(db: Database): Promise<void> {
  await ingestSpans(db, [span(T2, "c2", "w", call("m1", 10, 5))]);
  await ingestRecords(db, "p", [
    runRecord("b", "SUCCESS", { startTime: DAY0 + DAY_MS + 5 }),
    nodeRecord("b", "ask", "SUCCESS", { startTime: DAY0 + DAY_MS + 5, traceId: T2, spanId: "b1" }),
  ]);
  // The wrapper arrives last, from another export: only the leaf counts.
  await ingestSpans(db, [span(T2, "w", "b1", call("m1", 999, 999)), span(T2, "b1", undefined)]);
}

async function days(db: Database) {
  return (await activity(db, { project: "p", dag: "dag", days: 2, now: DAY0 + DAY_MS + 10, prices: PRICES })).days;
}

describe.each(backends)("LLM calls rolled up at write time on $name", (backend) => {
  let db: Database;
  useIndex(backend, (opened) => {
    db = opened;
  });

  it("counts each call once, in its run's day, whether its spans come before or after the records or twice", async () => {
    await runA(db, "records first");
    // The same export delivered again, and the records read again.
    await ingestSpans(db, [span(T1, "c1", "a1", call("m1", 100, 50))]);
    await ingestRecords(db, "p", [runRecord("a", "SUCCESS", { startTime: DAY0 + 1_000 })]);
    await runB(db);
    const [day0, day1] = await days(db);
    expect(day0).toMatchObject({ runs: 1, llmCalls: 1, tokens: 150, inputTokens: 100, outputTokens: 50 });
    expect(day0!.costUsd).toBeCloseTo(0.0002, 12);
    expect(day1).toMatchObject({ runs: 1, llmCalls: 1, tokens: 15, inputTokens: 10, outputTokens: 5 });
    expect(day1!.costUsd).toBeCloseTo(0.00002, 12);
  });

  it("gives each point of a node's history its node run's tokens and cost, and totals them", async () => {
    await runA(db, "spans first");
    await runB(db);
    await ingestRecords(db, "p", [
      runRecord("c", "SUCCESS", { startTime: DAY0 + DAY_MS + 9 }),
      nodeRecord("c", "ask", "SUCCESS", { startTime: DAY0 + DAY_MS + 9 }),
    ]);
    const history = await nodeHistory(db, { project: "p", dag: "dag", node: "ask", limit: 10, prices: PRICES });
    expect(history.runs.map((r) => [r.runId, r.tokens, r.inputTokens, r.outputTokens])).toEqual([
      ["c", undefined, undefined, undefined],
      ["b", 15, 10, 5],
      ["a", 150, 100, 50],
    ]);
    expect(history.runs[1]!.costUsd).toBeCloseTo(0.00002, 12);
    expect(history.runs[0]).not.toHaveProperty("costUsd");
    expect(history.tokens).toBe(165);
    expect(history.costUsd).toBeCloseTo(0.00022, 12);
    // Without a DAG, the same figures.
    const all = await nodeHistory(db, { node: "ask", limit: 10, prices: PRICES });
    expect(all.tokens).toBe(165);
  });

  it("subtracts a deleted run, and a dropped run until it is indexed again (once)", async () => {
    await runA(db, "records first");
    await runB(db);
    expect(await deleteRun(db, "a")).toBe("deleted");
    let [day0, day1] = await days(db);
    expect(day0).toMatchObject({ runs: 0, llmCalls: 0, tokens: 0, costUsd: 0 });
    expect(day1).toMatchObject({ tokens: 15 });
    await dropRuns(db, ["b"]);
    [, day1] = await days(db);
    expect(day1).toMatchObject({ runs: 0, llmCalls: 0, tokens: 0 });
    const again = [
      runRecord("b", "SUCCESS", { startTime: DAY0 + DAY_MS + 5 }),
      nodeRecord("b", "ask", "SUCCESS", { startTime: DAY0 + DAY_MS + 5, traceId: T2, spanId: "b1" }),
    ];
    await ingestRecords(db, "p", again);
    await ingestRecords(db, "p", again);
    [, day1] = await days(db);
    expect(day1).toMatchObject({ runs: 1, llmCalls: 1, tokens: 15 });
    // The trace file replaced: every figure goes until its spans are read again.
    await dropAllSpans(db);
    [, day1] = await days(db);
    expect(day1).toMatchObject({ runs: 1, tokens: 0 });
    await ingestSpans(db, [span(T2, "c2", "w", call("m1", 10, 5)), span(T2, "w", "b1", call("m1", 9, 9))]);
    [, day1] = await days(db);
    expect(day1).toMatchObject({ tokens: 15 });
  });

  it("makes the day's cost null, naming the model, when a model that used tokens has no price", async () => {
    await ingestRecords(db, "p", [
      runRecord("u", "SUCCESS", { startTime: DAY0 + 7 }),
      nodeRecord("u", "ask", "SUCCESS", { startTime: DAY0 + 7, traceId: T1, spanId: "u1" }),
    ]);
    await ingestSpans(db, [span(T1, "x", "u1", call("mystery", 3, 4)), span(T1, "y", "u1", call("m1", 1, 1))]);
    const [day0] = await days(db);
    expect(day0).toMatchObject({ llmCalls: 2, tokens: 9, costUsd: null, unpricedModels: ["mystery"] });
  });

  it("counts the runs of an index made before the rollup once, when the migration runs", async () => {
    await runA(db, "records first");
    await runB(db);
    // An index from before: spans and runs, no LLM rollups.
    await db.query("TRUNCATE llm_traces, run_llm, node_run_llm, activity_llm");
    expect((await days(db)).map((d) => d.tokens)).toEqual([0, 0]);
    const step = MIGRATIONS.find((m) => m.id === 6)!;
    await db.query(step.sql.slice(step.sql.indexOf("INSERT INTO llm_traces")));
    await step.after!(db);
    await step.after!(db);
    expect((await days(db)).map((d) => d.tokens)).toEqual([150, 15]);
  });

  it("counts every call once when exports of one run's spans arrive at once, some twice", async () => {
    await ingestRecords(db, "p", [
      runRecord("m", "SUCCESS", { startTime: DAY0 + 3 }),
      nodeRecord("m", "ask", "SUCCESS", { startTime: DAY0 + 3, traceId: T1, spanId: "m1" }),
    ]);
    const exports = Array.from({ length: 20 }, (_, i) => [span(T1, `k${i}`, "m1", call("m1", 1, 2))]);
    // Every export at once, some twice (an exporter's retry).
    await Promise.all([...exports, ...exports.slice(0, 5)].map((spans) => ingestSpans(db, spans)));
    const [day0] = await days(db);
    expect(day0).toMatchObject({ runs: 1, llmCalls: 20, inputTokens: 20, outputTokens: 40, tokens: 60 });
  });
});
