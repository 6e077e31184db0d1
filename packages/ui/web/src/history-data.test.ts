import { describe, expect, it } from "vitest";
import {
  entryHref,
  type HistoryEntry,
  historyChartData,
  historyHref,
  historyLimit,
  historyRequest,
  historyStats,
} from "./history-data.js";
import { readSelection } from "./selection.js";

function entry(runId: string, startTime: number, more: Partial<HistoryEntry> = {}): HistoryEntry {
  return { runId, taskId: null, attempt: 1, startTime, durationMs: 10, status: "SUCCESS", cache: null, ...more };
}

describe("a node's history as chart data", () => {
  it("orders node runs oldest first and marks failures and cache hits at their durations", () => {
    const data = historyChartData([
      entry("r3", 3000, { durationMs: 30, status: "FAILURE" }),
      entry("r1", 1000, { durationMs: 5, cache: "hit" }),
      entry("r2", 2000, { durationMs: null, status: "FAILURE", cache: "miss" }),
    ]);
    expect(data.entries.map((e) => e.runId)).toEqual(["r1", "r2", "r3"]);
    expect(data.x).toEqual([0, 1, 2]);
    expect(data.durationMs).toEqual([5, null, 30]);
    expect(data.failures).toEqual([null, 0, 30]);
    expect(data.cacheHits).toEqual([5, null, null]);
    expect(data.failureCount).toBe(2);
    expect(data.cacheHitCount).toBe(1);
    expect(data.tokens).toBeUndefined();
  });

  it("adds tokens and cost when a node run carries LLM figures", () => {
    const data = historyChartData([
      entry("a", 1, { llm: { calls: 2, inputTokens: 100, outputTokens: 20, costUsd: 0.01 } }),
      entry("b", 2),
    ]);
    expect(data.tokens).toEqual([120, null]);
    expect(data.costUsd).toEqual([0.01, null]);
    const stats = historyStats(
      { runs: [], count: 2, failureRate: 0.5, p50Ms: 10, p95Ms: null },
      data,
      (ms) => `${ms}ms`,
    );
    expect(stats).toBe("2 node runs · p50 10ms · p95 – · failure rate 50.0% · 0 cache hits · 120 tokens · $0.0100");
  });

  it("takes each point's tokens and cost from the server's count (from spans) before the record's, and says when a cost is unknown", () => {
    const data = historyChartData([
      entry("a", 1, { tokens: 150, costUsd: 0.002, llm: { calls: 1, inputTokens: 1, outputTokens: 1, costUsd: 9 } }),
      entry("b", 2, { tokens: null, costUsd: null }),
      entry("c", 3, { tokens: 15, costUsd: null }),
    ]);
    expect(data.tokens).toEqual([150, null, 15]);
    expect(data.costUsd).toEqual([0.002, null, null]);
    const stats = historyStats(
      { runs: [], count: 3, failureRate: 0, p50Ms: 10, p95Ms: 10, tokens: 165, costUsd: null },
      data,
      (ms) => `${ms}ms`,
    );
    expect(stats).toContain("165 tokens · cost unknown (a model has no price)");
  });

  it("links each point to its node run on the run page (fan-out task and attempt selected)", () => {
    const href = entryHref(entry("run/1", 0, { taskId: "t 7", attempt: 2 }), "n&x");
    expect(href.startsWith("/runs/run%2F1#")).toBe(true);
    expect(readSelection(href.slice(href.indexOf("#")))).toEqual({
      kind: "node",
      node: "n&x",
      task: "t 7",
      attempt: 2,
    });
    expect(entryHref(entry("r", 0), "n")).toBe("/runs/r#node=n");
  });

  it("asks for the project, DAG, node and a limit of 100, 1,000 or 10,000", () => {
    expect(historyLimit(null)).toBe(100);
    expect(historyLimit("10000")).toBe(10_000);
    expect(historyLimit("5000")).toBe(100);
    expect(historyRequest("", "d", "n", 1000)).toBe("/api/nodes/history?dag=d&node=n&limit=1000");
    expect(historyHref("p", "d", "n x")).toBe("/history?project=p&dag=d&node=n+x");
  });
});
