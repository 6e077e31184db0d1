import { describe, expect, it } from "vitest";
import { nodeRun, span } from "../test/records.js";
import { costText, formatUsd, isLlmUsage, pageLlmUsage, usageTag, usageText } from "./llm-text.js";
import type { RunDetail } from "./types.js";

function detail(over: Partial<RunDetail["run"]> = {}, nodeRuns = [nodeRun("answer", { spanId: "n1" })]): RunDetail {
  return {
    run: {
      type: "run",
      runId: "r",
      projectId: "p",
      finished: true,
      dagName: "d",
      graphVersion: "v",
      dagHash: "",
      codeHash: "",
      username: "u",
      status: "SUCCESS",
      startTime: 0,
      endTime: 1,
      durationMs: 1,
      finalVars: [],
      inputs: {},
      overrides: [],
      config: {},
      tags: {},
      error: undefined,
      ...over,
    },
    template: undefined,
    nodeRuns,
  };
}

describe("pageLlmUsage", () => {
  it("counts and prices the trace's calls with the shipped table when the answer has no llm", () => {
    const d = detail();
    const spans = [
      span("n1", undefined, 0),
      span("c1", "n1", 1, {
        attributes: {
          "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
          "gen_ai.usage.input_tokens": 1000,
          "gen_ai.usage.output_tokens": 2000,
        },
      }),
    ];
    const usage = pageLlmUsage(d, spans)!;
    expect(usage.run).toEqual({
      calls: 1,
      inputTokens: 1000,
      outputTokens: 2000,
      costUsd: (1000 * 0.15 + 2000 * 0.6) / 1e6,
    });
    expect(usage.byNodeRun.get(d.nodeRuns[0]!)).toEqual(usage.run);
    expect(pageLlmUsage(d, undefined)).toBeUndefined();
  });

  it("takes the answer's own figures when it has them", () => {
    const server = { calls: 3, inputTokens: 1, outputTokens: 2, costUsd: 0.5 };
    const nodeRuns = [{ ...nodeRun("a"), llm: server }];
    const usage = pageLlmUsage(detail({ llm: server } as never, nodeRuns), undefined)!;
    expect(usage.run).toBe(server);
    expect(usage.byNodeRun.get(nodeRuns[0]!)).toBe(server);
  });
});

describe("isLlmUsage", () => {
  it("accepts the read API's llm figures, priced or not, and nothing else", () => {
    expect(isLlmUsage({ calls: 1, inputTokens: 2, outputTokens: 3, costUsd: 0.1 })).toBe(true);
    expect(isLlmUsage({ calls: 1, inputTokens: 2, outputTokens: 3, costUsd: null, unpricedModels: ["m"] })).toBe(true);
    expect(isLlmUsage({ calls: 1, inputTokens: 2, outputTokens: 3 })).toBe(false);
    expect(isLlmUsage({ calls: "1", inputTokens: 2, outputTokens: 3, costUsd: 0 })).toBe(false);
    expect(isLlmUsage(null)).toBe(false);
  });
});

describe("LLM text", () => {
  it("formats dollars and usage", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(0.0015)).toBe("$0.0015");
    expect(formatUsd(0.000084)).toBe("$0.000084");
    const u = { calls: 2, inputTokens: 1200, outputTokens: 300, costUsd: 0.00036 };
    expect(usageText(u)).toBe("2 LLM calls · 1,200 input + 300 output tokens · $0.00036");
    expect(usageTag(u)).toBe("LLM ×2 · $0.00036");
    expect(costText({ ...u, costUsd: null, unpricedModels: ["m1", "m2"] })).toBe("cost unknown: no price for m1, m2");
    expect(usageText({ ...u, calls: 1 })).toMatch(/^1 LLM call ·/);
  });
});
