import { describe, expect, it } from "vitest";
import { nodeRun, span } from "../test/records.js";
import { attributeText, isLlmSpan, llmFacts, llmMessages, nodeRunsBySpan, spanTree, traceOrigin } from "./span-tree.js";
import type { Span } from "./types.js";

/** `id@depth` for each span in tree order. */
function shape(spans: readonly Span[]): string[] {
  return spanTree(spans).map(({ span, depth }) => `${span.spanId}@${depth}`);
}

describe("spanTree", () => {
  it("puts the OpenAI span under the node span that made it, under the run span", () => {
    // As a run with the tracer and OpenAI instrumentation reports them: children end (and are
    // exported) before their parents, so the list comes leaf first.
    const spans = [
      span("openai", "node-b", 12, { attributes: { "gen_ai.system": "openai" } }),
      span("node-b", "run", 11),
      span("node-a", "run", 10),
      span("run", undefined, 0),
    ];
    expect(shape(spans)).toEqual(["run@0", "node-a@1", "node-b@1", "openai@2"]);
  });

  it("orders siblings by start time, each parent before its whole subtree", () => {
    const spans = [
      span("b", "root", 20),
      span("a", "root", 10),
      span("a2", "a", 15),
      span("a1", "a", 11),
      span("root", undefined, 0),
      span("b1", "b", 21),
    ];
    expect(shape(spans)).toEqual(["root@0", "a@1", "a1@2", "a2@2", "b@1", "b1@2"]);
  });

  it("shows an orphan span (its parent not in the trace) as a root, in start order among the roots", () => {
    const spans = [span("run", undefined, 5), span("orphan", "gone", 1), span("child", "orphan", 2)];
    expect(shape(spans)).toEqual(["orphan@0", "child@1", "run@0"]);
  });

  it("lists every span once when parents form a cycle (a span its own parent), after the tree", () => {
    const spans = [
      span("run", undefined, 0),
      span("self", "self", 3),
      span("b", "a", 2),
      span("a", "b", 1),
      span("under-a", "a", 4),
    ];
    expect(shape(spans)).toEqual(["run@0", "a@0", "b@1", "under-a@1", "self@0"]);
  });

  it("keeps depth right for a deep trace without recursion", () => {
    const spans = Array.from({ length: 20_000 }, (_, i) => span(`s${i}`, i === 0 ? undefined : `s${i - 1}`, i));
    const tree = spanTree(spans.reverse());
    expect(tree).toHaveLength(20_000);
    expect(tree[19_999]).toMatchObject({ depth: 19_999, span: { spanId: "s19999" } });
  });

  it("is empty for no spans", () => {
    expect(spanTree([])).toEqual([]);
    expect(traceOrigin([])).toBe(0);
  });
});

describe("traceOrigin and nodeRunsBySpan", () => {
  it("takes the earliest start as time zero", () => {
    expect(traceOrigin([span("a", undefined, 30), span("b", "a", 7), span("c", "a", 12)])).toBe(7);
  });

  it("links a span to the node run that names it, and ignores node runs without a span", () => {
    const a = nodeRun("a", { spanId: "s-a" });
    const item = nodeRun("b", { spanId: "s-b1", taskId: "xs[1]" });
    const links = nodeRunsBySpan([a, nodeRun("c"), item]);
    expect(links.get("s-a")).toBe(a);
    expect(links.get("s-b1")).toBe(item);
    expect(links.size).toBe(2);
  });
});

describe("LLM spans", () => {
  it("are spans with gen_ai.* or llm.* attributes", () => {
    expect(isLlmSpan(span("x", undefined, 0, { attributes: { "gen_ai.request.model": "gpt" } }))).toBe(true);
    expect(isLlmSpan(span("x", undefined, 0, { attributes: { "llm.request.type": "chat" } }))).toBe(true);
    expect(isLlmSpan(span("x", undefined, 0, { attributes: { "hamilton.node": "a", llmish: 1 } }))).toBe(false);
  });

  it("show the recorded facts, each from the first attribute that has it", () => {
    const s = span("x", undefined, 0, {
      attributes: {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.prompt_tokens": 12,
        "llm.usage.completion_tokens": 5,
      },
    });
    expect(llmFacts(s)).toEqual([
      ["model", "gpt-4o-2024-08-06"],
      ["input tokens", "12"],
      ["output tokens", "5"],
    ]);
    const openLlmetry = span("y", undefined, 0, {
      attributes: { "llm.request.model": "m", "llm.usage.total_tokens": 9 },
    });
    expect(llmFacts(openLlmetry)).toEqual([
      ["model", "m"],
      ["total tokens", "9"],
    ]);
  });

  it("read messages from gen_ai.input/output.messages (JSON with parts or content)", () => {
    const s = span("x", undefined, 0, {
      attributes: {
        "gen_ai.input.messages": JSON.stringify([
          { role: "system", parts: [{ type: "text", content: "Be brief." }] },
          {
            role: "user",
            parts: [
              { type: "text", content: "Hi" },
              { type: "text", text: "there" },
            ],
          },
        ]),
        "gen_ai.output.messages": JSON.stringify([{ role: "assistant", content: "Hello" }]),
      },
    });
    expect(llmMessages(s, "prompt")).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi\nthere" },
    ]);
    expect(llmMessages(s, "completion")).toEqual([{ role: "assistant", content: "Hello" }]);
  });

  it("read messages from gen_ai.prompt.N / gen_ai.completion.N, up to the first gap", () => {
    const s = span("x", undefined, 0, {
      attributes: {
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "What is 6 × 7?",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Answer briefly.",
        "gen_ai.prompt.3.content": "after a gap: not read",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "42",
      },
    });
    expect(llmMessages(s, "prompt")).toEqual([
      { role: "user", content: "What is 6 × 7?" },
      { role: "user", content: "Answer briefly." },
    ]);
    expect(llmMessages(s, "completion")).toEqual([{ role: "assistant", content: "42" }]);
  });

  it("show a messages attribute that is not JSON as one message, as it is", () => {
    const s = span("x", undefined, 0, { attributes: { "gen_ai.input.messages": "{not json" } });
    expect(llmMessages(s, "prompt")).toEqual([{ role: "", content: "{not json" }]);
    expect(llmMessages(span("y", undefined, 0), "prompt")).toEqual([]);
  });
});

describe("attributeText", () => {
  it("shows strings as they are and anything else as JSON", () => {
    expect(attributeText('a "quoted" text')).toBe('a "quoted" text');
    expect(attributeText(42)).toBe("42");
    expect(attributeText(["a", 1])).toBe('["a",1]');
    expect(attributeText(undefined)).toBe("");
  });
});
