import { describe, expect, it } from "vitest";
import { activityChartData, activitySpan, dayAt } from "./activity-data.js";

describe("the activity chart's data", () => {
  it("puts days in order with one column each, and sums runs and failures", () => {
    const data = activityChartData([
      { day: "2026-12-02", runs: 3, failures: 1, p50Ms: 20, p95Ms: 40 },
      { day: "2026-12-01", runs: 2, failures: 0, p50Ms: null, p95Ms: null },
      { day: "2026-12-03", runs: 0, failures: 0, p50Ms: null, p95Ms: null },
    ]);
    expect(data.days).toEqual(["2026-12-01", "2026-12-02", "2026-12-03"]);
    expect(data.x).toEqual([0, 1, 2]);
    expect(data.runs).toEqual([2, 3, 0]);
    expect(data.failures).toEqual([0, 1, 0]);
    expect(data.p50Ms).toEqual([null, 20, null]);
    expect(data.p95Ms).toEqual([null, 40, null]);
    expect(data.totalRuns).toBe(5);
    expect(data.totalFailures).toBe(1);
    expect(data.tokens).toBeUndefined();
    expect(data.costUsd).toBeUndefined();
    expect(dayAt(data, 1)).toBe("2026-12-02");
    expect(dayAt(data, 3)).toBeUndefined();
    expect(dayAt(data, null)).toBeUndefined();
  });

  it("carries tokens and cost when the server gives them", () => {
    const data = activityChartData([
      { day: "2026-12-01", runs: 1, failures: 0, p50Ms: 1, p95Ms: 1, tokens: 100, costUsd: 0.5 },
      { day: "2026-12-02", runs: 1, failures: 0, p50Ms: 1, p95Ms: 1 },
    ]);
    expect(data.tokens).toEqual([100, null]);
    expect(data.costUsd).toEqual([0.5, null]);
  });

  it("draws no LLM chart when every day's count is 0, and sums tokens and cost (unknown when a price is missing)", () => {
    const zero = { runs: 1, failures: 0, p50Ms: 1, p95Ms: 1, llmCalls: 0, tokens: 0, costUsd: 0 };
    const none = activityChartData([
      { day: "2026-12-01", ...zero },
      { day: "2026-12-02", ...zero },
    ]);
    expect(none.tokens).toBeUndefined();
    expect(none.costUsd).toBeUndefined();
    const some = activityChartData([
      { day: "2026-12-01", ...zero },
      { day: "2026-12-02", ...zero, llmCalls: 2, tokens: 150, costUsd: 0.25 },
      { day: "2026-12-03", ...zero, llmCalls: 1, tokens: 10, costUsd: 0.5 },
    ]);
    expect(some.tokens).toEqual([0, 150, 10]);
    expect(some.totalTokens).toBe(160);
    expect(some.totalCostUsd).toBe(0.75);
    const unknown = activityChartData([{ day: "2026-12-02", ...zero, llmCalls: 1, tokens: 7, costUsd: null }]);
    expect(unknown.totalCostUsd).toBeNull();
  });

  it("asks enough days to show the filter's first day, 30 to 3,660", () => {
    const today = Date.UTC(2026, 11, 7, 15);
    expect(activitySpan("", today)).toBe(30);
    expect(activitySpan("2026-12-01", today)).toBe(30);
    expect(activitySpan("2026-09-08", today)).toBe(91);
    expect(activitySpan("1990-01-01", today)).toBe(3660);
  });
});
