import { describe, expect, it } from "vitest";
import { anyKnown, compareHref, DEFAULT_SORT, figure, type ListedRun, nextSort, sortRuns } from "./runs-table.js";

function run(id: string, startTime: number, more: Partial<ListedRun> = {}): ListedRun {
  return {
    runId: id,
    projectId: "p",
    dagName: "d",
    dagVersion: "v",
    status: "SUCCESS",
    startTime,
    endTime: startTime + 10,
    nodeCount: 1,
    failedCount: 0,
    traceId: undefined,
    ...more,
  };
}

const usage = (inputTokens: number, costUsd: number | null) => ({ calls: 1, inputTokens, outputTokens: 1, costUsd });

describe("the runs table's figures and sort", () => {
  it("sorts numbers as numbers (10 after 9), both ways", () => {
    const runs = [run("a", 1, { nodeCount: 10 }), run("b", 2, { nodeCount: 9 }), run("c", 3, { nodeCount: 100 })];
    expect(sortRuns(runs, { key: "nodes", descending: true }, 0).map((r) => r.runId)).toEqual(["c", "a", "b"]);
    expect(sortRuns(runs, { key: "nodes", descending: false }, 0).map((r) => r.runId)).toEqual(["b", "a", "c"]);
    expect(sortRuns(runs, DEFAULT_SORT, 0).map((r) => r.runId)).toEqual(["c", "b", "a"]);
  });

  it("measures a running run's duration up to now, and puts unknown figures last either way", () => {
    const runs = [
      run("done", 0, { endTime: 500 }),
      run("running", 0, { endTime: undefined, status: "RUNNING" }),
      run("fast", 0, { endTime: 5 }),
    ];
    expect(figure(runs[1]!, "duration", 1000)).toBe(1000);
    expect(sortRuns(runs, { key: "duration", descending: true }, 1000).map((r) => r.runId)).toEqual([
      "running",
      "done",
      "fast",
    ]);
    const llm = [run("none", 3), run("cheap", 2, { llm: usage(10, 0.001) }), run("dear", 1, { llm: usage(5, 0.5) })];
    expect(sortRuns(llm, { key: "cost", descending: true }, 0).map((r) => r.runId)).toEqual(["dear", "cheap", "none"]);
    expect(sortRuns(llm, { key: "cost", descending: false }, 0).map((r) => r.runId)).toEqual(["cheap", "dear", "none"]);
    expect(figure(llm[1]!, "tokens", 0)).toBe(11);
    expect(figure(run("x", 0, { cacheHits: 4 }), "cacheHits", 0)).toBe(4);
    expect(anyKnown(llm, "tokens", 0)).toBe(true);
    expect(anyKnown([run("x", 0)], "cacheHits", 0)).toBe(false);
  });

  it("flips the direction on the same column, starts descending on another", () => {
    expect(nextSort(DEFAULT_SORT, "started")).toEqual({ key: "started", descending: false });
    expect(nextSort({ key: "started", descending: false }, "cost")).toEqual({ key: "cost", descending: true });
  });

  it("opens the compare page for 2 to 10 ticked runs only", () => {
    expect(compareHref(["a"])).toBeUndefined();
    expect(compareHref(["a", "b", "c"])).toBe("/compare?runs=a%2Cb%2Cc");
    expect(compareHref(Array.from({ length: 10 }, (_, i) => `r${i}`))).toBeDefined();
    expect(compareHref(Array.from({ length: 11 }, (_, i) => `r${i}`))).toBeUndefined();
  });
});
