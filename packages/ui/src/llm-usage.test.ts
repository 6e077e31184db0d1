import { describe, expect, it } from "vitest";
import { isLlmCallSpan, llmCall, NO_MODEL, runLlmUsage, type UsageSpan } from "./llm-usage.js";
import type { PriceTable } from "./price-table.js";

const PRICES: PriceTable = { "gpt-4o-mini*": { input: 0.15, output: 0.6 }, "claude-x": { input: 3, output: 15 } };

function span(spanId: string, parentSpanId: string | undefined, attributes: Record<string, unknown> = {}): UsageSpan {
  return { spanId, parentSpanId, attributes };
}

/** A chat span as Traceloop's OpenAI instrumentation 0.27 writes its usage. */
function chat(spanId: string, parent: string, input: number, output: number, model = "gpt-4o-mini-2024-07-18") {
  return span(spanId, parent, {
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": model,
    "gen_ai.usage.input_tokens": input,
    "gen_ai.usage.output_tokens": output,
    "llm.usage.total_tokens": input + output,
  });
}

describe("llmCall", () => {
  it("reads every spelling of the token counts and prices by response model, else request model", () => {
    expect(llmCall(chat("c", "n", 1000, 500), PRICES)).toEqual({
      spanId: "c",
      model: "gpt-4o-mini-2024-07-18",
      inputTokens: 1000,
      outputTokens: 500,
      costUsd: (1000 * 0.15 + 500 * 0.6) / 1e6,
    });
    const old = span("o", undefined, {
      "gen_ai.request.model": "claude-x",
      "gen_ai.usage.prompt_tokens": "200",
      "gen_ai.usage.completion_tokens": 100,
    });
    expect(llmCall(old, PRICES)).toMatchObject({ model: "claude-x", inputTokens: 200, outputTokens: 100 });
    expect(llmCall(old, PRICES).costUsd).toBeCloseTo((200 * 3 + 100 * 15) / 1e6, 12);
    const llm = span("l", undefined, {
      "llm.request.model": "claude-x",
      "llm.usage.prompt_tokens": 10,
      "llm.usage.completion_tokens": 20,
    });
    expect(llmCall(llm, PRICES)).toMatchObject({ inputTokens: 10, outputTokens: 20 });
    // The response model wins over the request model: here it has no price.
    expect(llmCall(chat("c", "n", 1, 1, "other-model"), PRICES).costUsd).toBeNull();
  });

  it("a call without tokens (a failed call) costs nothing, priced or not", () => {
    expect(llmCall(span("f", "n", { "gen_ai.request.model": "unknown" }), PRICES).costUsd).toBe(0);
  });
});

describe("isLlmCallSpan", () => {
  it("is a span with gen_ai/llm usage or a model, not one with other gen_ai attributes", () => {
    expect(isLlmCallSpan(chat("c", "n", 1, 1))).toBe(true);
    expect(isLlmCallSpan(span("x", undefined, { "gen_ai.system": "openai", "llm.request.type": "chat" }))).toBe(false);
    expect(isLlmCallSpan(span("x", undefined, { "hamilton.node.name": "a" }))).toBe(false);
  });
});

describe("runLlmUsage", () => {
  it("counts leaf LLM spans once, under the node run whose span is their ancestor", () => {
    const spans = [
      span("run", undefined),
      span("nodeA", "run"),
      span("nodeB", "run"),
      // A: two calls, one under a framework's LLM span (the outer one is no call of its own).
      span("wrap", "nodeA", { "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 999 }),
      span("http", "wrap"),
      chat("c1", "http", 100, 10),
      chat("c2", "nodeA", 200, 20),
      // B: a call on a model without a price.
      chat("c3", "nodeB", 5, 5, "mystery"),
      // A call under no node run counts for the run only.
      chat("c4", "run", 1, 1),
    ];
    const nodeRuns = [{ spanId: "nodeA" }, { spanId: "nodeB" }, { spanId: undefined }, { spanId: "nodeC" }];
    const usage = runLlmUsage(nodeRuns, spans, PRICES);
    expect(usage.nodeRuns[0]).toEqual({
      calls: 2,
      inputTokens: 300,
      outputTokens: 30,
      costUsd: (300 * 0.15 + 30 * 0.6) / 1e6,
    });
    expect(usage.nodeRuns[1]).toEqual({
      calls: 1,
      inputTokens: 5,
      outputTokens: 5,
      costUsd: null,
      unpricedModels: ["mystery"],
    });
    expect(usage.nodeRuns[2]).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(usage.nodeRuns[3]).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(usage.run).toEqual({
      calls: 4,
      inputTokens: 306,
      outputTokens: 36,
      costUsd: null,
      unpricedModels: ["mystery"],
    });
  });

  it("prices the run when every call is priced, names a call without a model, and survives a parent loop", () => {
    const priced = runLlmUsage([{ spanId: "n" }], [span("n", undefined), chat("c", "n", 1_000_000, 1_000_000)], PRICES);
    expect(priced.run.costUsd).toBeCloseTo(0.75, 12);
    expect(priced.nodeRuns[0]!.costUsd).toBeCloseTo(0.75, 12);
    const nameless = runLlmUsage([], [span("c", undefined, { "gen_ai.usage.input_tokens": 3 })], PRICES);
    expect(nameless.run).toMatchObject({ calls: 1, inputTokens: 3, costUsd: null, unpricedModels: [NO_MODEL] });
    const loop = runLlmUsage(
      [{ spanId: "a" }],
      [span("a", "b"), span("b", "a"), chat("c", "b", 1, 1), chat("c", "b", 1, 1)],
      PRICES,
    );
    // The duplicate span id is counted once; the loop ends the walk at the node run's span.
    expect(loop.run.calls).toBe(1);
    expect(loop.nodeRuns[0]!.calls).toBe(1);
  });
});
