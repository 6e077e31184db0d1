import { Builder, node, tag } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_SUMMARY_LIMITS } from "./summarize.js";
import { buildTemplate, codeHash, dagHash } from "./template.js";

// A value that must never reach a template: the template holds each function's own text, never
// the file around it.
const FILE_LEVEL_SECRET = "file-level-secret-value";
void FILE_LEVEL_SECRET;

const moduleA = {
  question: () => "why?",
  answer: tag(
    { team: "search" },
    ({ question, model }: { question: string; model: string }) => `${model}: ${question}`,
  ),
  summary: node(["answer"], ({ answer }: { answer: string }) => answer.length, { doc: "Length of the answer." }),
  client: () => ({ apiKey: "hard-coded-key-123" }),
};

function graphOf(modules: object, config: Record<string, unknown> = {}) {
  return new Builder().withModules(modules).withConfig(config).build().graph;
}

describe("buildTemplate", () => {
  const graph = graphOf(moduleA, { model: "gpt-4o-mini", openaiApiKey: "sk-should-not-appear-000000" });
  const template = buildTemplate(graph, "qa", { env: "test" }, DEFAULT_SUMMARY_LIMITS);

  it("records every node, sorted, with wiring, tags, documentation and classification", () => {
    expect(template).toMatchObject({
      type: "dag_template",
      graphVersion: graph.version,
      dagName: "qa",
      tags: { env: "test" },
    });
    expect(template.nodes.map((n) => n.name)).toEqual([...template.nodes.map((n) => n.name)].sort());
    const answer = template.nodes.find((n) => n.name === "answer")!;
    expect(answer).toMatchObject({
      dependencies: ["question", "model"],
      classification: "transform",
      kind: "transform",
    });
    expect(answer.tags).toMatchObject({ team: "search" });
    expect(template.nodes.find((n) => n.name === "summary")!.documentation).toBe("Length of the answer.");
    expect(template.nodes.find((n) => n.name === "model")).toMatchObject({ classification: "input", source: "" });
  });

  it("keeps each function's own source, never its file, with hard-coded secrets redacted", () => {
    const answer = template.nodes.find((n) => n.name === "answer")!;
    expect(answer.source).toContain("question");
    const all = JSON.stringify(template);
    expect(all).not.toContain(FILE_LEVEL_SECRET);
    expect(all).not.toContain("hard-coded-key-123");
    expect(template.nodes.find((n) => n.name === "client")!.source).toContain('apiKey: "[REDACTED]"');
  });

  it("summarises the config with secret-looking keys redacted", () => {
    expect(template.config).toEqual({
      model: { kind: "string", length: 11, preview: "gpt-4o-mini", truncated: false },
      openaiApiKey: { kind: "redacted" },
    });
  });
});

describe("dagHash and codeHash", () => {
  it("are stable for the same graph", () => {
    const a = graphOf(moduleA);
    const b = graphOf(moduleA);
    expect(dagHash(a.nodes)).toBe(dagHash(b.nodes));
    expect(codeHash(a.nodes)).toBe(codeHash(b.nodes));
    expect(dagHash(a.nodes)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a code change moves codeHash but not dagHash", () => {
    const a = graphOf({ x: () => 1, y: ({ x }: { x: number }) => x + 1 });
    const b = graphOf({ x: () => 2, y: ({ x }: { x: number }) => x + 1 });
    expect(dagHash(a.nodes)).toBe(dagHash(b.nodes));
    expect(codeHash(a.nodes)).not.toBe(codeHash(b.nodes));
  });

  it("a wiring change moves dagHash", () => {
    const a = graphOf({ x: () => 1, y: ({ x }: { x: number }) => x + 1 });
    const b = graphOf({ x: () => 1, y: ({ x, z }: { x: number; z: number }) => x + z });
    expect(dagHash(a.nodes)).not.toBe(dagHash(b.nodes));
  });
});
