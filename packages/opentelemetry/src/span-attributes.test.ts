import type { GraphInfo, NodeInfo } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import {
  NodeSpanAttributesCache,
  nodeSpanAttributes,
  runSpanAttributes,
  workflowSpanAttributes,
} from "./span-attributes.js";

function nodeInfo(overrides: Partial<NodeInfo> = {}): NodeInfo & { versionReads: number } {
  let versionReads = 0;
  return {
    name: "summary",
    dependencies: ["text", "model"],
    optionalDependencies: ["model"],
    tags: { owner: "growth", pii: ["email"] },
    isExternalInput: false,
    kind: "transform",
    documentation: "",
    source: "({ text, model }) => ...",
    functionName: "summary__short",
    get version() {
      versionReads++;
      return "v1";
    },
    get versionReads() {
      return versionReads;
    },
    ...overrides,
  };
}

describe("node span attributes", () => {
  it("describe the node for Hamilton and Traceloop", () => {
    expect(nodeSpanAttributes(nodeInfo(), "wf")).toEqual({
      "hamilton.node.name": "summary",
      "hamilton.node.version": "v1",
      "hamilton.node.dependencies": ["text", "model"],
      "hamilton.node.tags.owner": "growth",
      "hamilton.node.tags.pii": ["email"],
      "code.function.name": "summary__short",
      "traceloop.span.kind": "task",
      "traceloop.entity.name": "summary",
      "traceloop.workflow.name": "wf",
    });
  });

  it("are computed once per node and reused", () => {
    const cache = new NodeSpanAttributesCache("wf");
    const node = nodeInfo();
    const first = cache.get(node);
    expect(cache.get(node)).toBe(first);
    expect(node.versionReads).toBe(1);
    expect(cache.get(nodeInfo())).not.toBe(first);
  });
});

describe("run span attributes", () => {
  it("name inputs and overrides, never their values; the workflow is Traceloop's", () => {
    const graph = { version: "g1" } as GraphInfo;
    const attributes = runSpanAttributes({
      runId: "r-1",
      graph,
      finalVars: ["summary"],
      inputs: { text: "secret text" },
      overrides: { model: "gpt-4o" },
      executionPath: ["summary"],
      attributes: {},
    });
    expect({ ...attributes, ...workflowSpanAttributes("wf") }).toEqual({
      "hamilton.run_id": "r-1",
      "hamilton.graph.version": "g1",
      "hamilton.final_vars": ["summary"],
      "hamilton.inputs": ["text"],
      "hamilton.overrides": ["model"],
      "hamilton.execution_path": ["summary"],
      "traceloop.span.kind": "workflow",
      "traceloop.entity.name": "wf",
      "traceloop.workflow.name": "wf",
    });
    expect(JSON.stringify(attributes)).not.toContain("secret text");
  });
});
