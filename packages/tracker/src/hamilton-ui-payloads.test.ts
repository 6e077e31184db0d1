import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import {
  displayValue,
  nodeAttributes,
  nodeTime,
  resultSummaryBody,
  runCreateBody,
  runEndBody,
  runTime,
  taskUpdate,
  templateBody,
} from "./hamilton-ui-payloads.js";
import type { NodeRunRecord } from "./records.js";
import { DEFAULT_SUMMARY_LIMITS, summarize as summarizeWithin, type SummaryLimits } from "./summarize.js";

// A time budget a loaded machine cannot exhaust: these tests check content, not timing.
const L: SummaryLimits = { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: 60_000 };
const summarize = (value: unknown, within: SummaryLimits = L) => summarizeWithin(value, within);

describe("times", () => {
  it("formats run times as naive UTC and node times with +00:00, as the Python SDK does", () => {
    const ms = Date.UTC(2026, 10, 23, 22, 47, 39, 41);
    expect(runTime(ms)).toBe("2026-11-23T22:47:39.041");
    expect(nodeTime(ms)).toBe("2026-11-23T22:47:39.041+00:00");
  });

  it("gives exactly what Date's toISOString gives, across days, years, the edges of its range and odd values", () => {
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, -1);
    const edges = [0, 1, -1, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), 951_782_400_000];
    edges.push(-62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15);
    edges.push(1.5, -1.5, 1_796_044_825_394.7);
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) edges.push(Math.floor((next() * 2 - 1) * 2.6e14));
    for (const ms of edges) {
      expect(runTime(ms)).toBe(iso(ms));
      expect(nodeTime(ms)).toBe(`${iso(ms)}+00:00`);
    }
    expect(() => nodeTime(Number.NaN)).toThrow(RangeError);
  });
});

describe("resultSummaryBody", () => {
  it("maps primitives and strings to primitive/1", () => {
    expect(resultSummaryBody(summarize(6), "n")).toEqual({
      type: "primitive",
      schema_version: 1,
      value: { type: "number", value: 6 },
    });
    expect(resultSummaryBody(summarize("hi"), "n")).toEqual({
      type: "primitive",
      schema_version: 1,
      value: { type: "string", value: "hi" },
    });
    expect(resultSummaryBody({ kind: "disabled" }, "n")).toEqual({
      type: "primitive",
      schema_version: 1,
      value: { type: "string", value: "RESULT SUMMARY DISABLED" },
    });
  });

  it("maps numeric arrays to dagworks_describe/3 column statistics", () => {
    const body = resultSummaryBody(summarize([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, Number.NaN]), "scores");
    expect(body.type).toBe("dagworks_describe");
    expect(body.schema_version).toBe(3);
    const column = (body.value as Record<string, Record<string, unknown>>).scores!;
    expect(column).toMatchObject({
      name: "scores",
      pos: 0,
      data_type: "number[]",
      base_data_type: "numeric",
      // The Hamilton UI's count is the column's length (pandas_col_stats), the missing values included.
      count: 13,
      missing: 2,
      zeros: 1,
      min: 0,
      max: 10,
      mean: 5,
    });
    expect(Object.keys(column.quantiles as object)).toEqual(["0.1", "0.25", "0.5", "0.75", "0.9"]);
    const histogram = column.histogram as Record<string, number>;
    expect(Object.keys(histogram)).toHaveLength(10);
    expect(Object.keys(histogram)[0]).toBe("(0, 1]");
    expect(Object.values(histogram).reduce((a, b) => a + b, 0)).toBe(11);
  });

  it("maps objects and arrays to dict/2, instances to unsupported/1, failures to observability_failure/3", () => {
    expect(resultSummaryBody(summarize({ a: 1, apiKey: "x" }), "n")).toEqual({
      type: "dict",
      schema_version: 2,
      value: { type: "Object", value: { a: 1, apiKey: "[REDACTED]" } },
    });
    expect(resultSummaryBody(summarize(["a", "b"]), "n")).toEqual({
      type: "dict",
      schema_version: 2,
      value: { type: "Array", value: ["a", "b"] },
    });
    class Client {}
    expect(resultSummaryBody(summarize(new Client()), "n")).toMatchObject({
      type: "unsupported",
      schema_version: 1,
      value: { unsupported_type: "Client" },
    });
    expect(resultSummaryBody({ kind: "observability_failure", message: "Error: x" }, "n")).toEqual({
      type: "primitive",
      schema_version: 1,
      value: { type: "string", value: "Failed to process result: Error: x" },
    });
  });

  it("sends null and undefined as unsupported with the type name, as the Python SDK sends None", () => {
    for (const value of [null, undefined]) {
      const type = value === null ? "null" : "undefined";
      expect(resultSummaryBody(summarize(value), "n")).toEqual({
        type: "unsupported",
        schema_version: 1,
        value: { unsupported_type: type, action: expect.stringContaining("no data summary") },
      });
    }
  });

  it("sends only (type, schema_version) pairs the UI's result-summary views render, in the shapes they read", () => {
    // The views of ui/frontend/src/components/dashboard/Runs/Task/result-summaries (apache/hamilton):
    // Primitive1View calls value.toString(); Dict2View gives value.value to a JSON viewer (an object);
    // Unsupported1View shows unsupported_type and action; DAGWorksDescribe3View reads columns by base_data_type.
    const renderable = (body: { type: string; schema_version: number; value: unknown }): string | undefined => {
      const value = body.value as Record<string, unknown>;
      switch (`${body.type}/${body.schema_version}`) {
        case "primitive/1":
          return value.value === null || value.value === undefined
            ? "primitive with no value"
            : typeof value.type === "string"
              ? undefined
              : "primitive without type";
        case "dict/2":
          return typeof value.value === "object" && value.value !== null
            ? undefined
            : `dict/2 with ${typeof value.value} value`;
        case "unsupported/1":
          return typeof value.unsupported_type === "string" && typeof value.action === "string"
            ? undefined
            : "unsupported without type/action";
        case "dagworks_describe/3":
          return Object.values(value).every((c) =>
            ["numeric", "category", "boolean", "datetime", "str", "unhandled"].includes(
              (c as { base_data_type: string }).base_data_type,
            ),
          )
            ? undefined
            : "unknown base_data_type";
        default:
          return `no view for ${body.type}/${body.schema_version}`;
      }
    };
    class Client {}
    const values: unknown[] = [
      null,
      undefined,
      1,
      NaN,
      "s",
      true,
      10n,
      Symbol("s"),
      new Date(0),
      new Date(Number.NaN),
      [1, 2],
      [1, "a"],
      { a: 1 },
      new Map([["k", 1]]),
      new Set([1]),
      new Error("e"),
      Buffer.from("ab"),
      new Uint8Array(2),
      Math.max,
      new Client(),
      [],
      {},
    ];
    const summaries = [
      ...values.map((v) => summarize(v)),
      { kind: "redacted" } as const,
      { kind: "truncated", reason: "time" } as const,
      { kind: "disabled" } as const,
      { kind: "observability_failure", message: "x" } as const,
    ];
    const problems = summaries.flatMap((summary) => {
      const problem = renderable(resultSummaryBody(summary, "n"));
      return problem === undefined ? [] : [`${summary.kind}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });
});

describe("displayValue", () => {
  it("turns summaries back into plain JSON, marking what was cut", () => {
    expect(
      displayValue(
        summarize(
          { s: "x".repeat(300), d: new Date(0), e: new Error("m"), f: Math.max },
          { ...L, maxStringPreview: 3 },
        ),
      ),
    ).toEqual({
      s: "xxx…",
      d: "1970-01-01T00:00:00.000Z",
      e: "Error: m",
      f: "<function max>",
    });
    expect(displayValue(summarize([1, "a", { b: 2 }, 4], { ...L, maxItems: 2 }))).toEqual([
      1,
      "a",
      "... truncated ...",
    ]);
  });
});

describe("node updates", () => {
  it("a task update per node: taskId-node name, template name, dependencies, times", () => {
    const record = nodeRecord("r", "c", "SUCCESS", { taskId: "t1" });
    expect(taskUpdate(record, ["a"])).toEqual({
      node_template_name: "c",
      node_name: "t1-c",
      realized_dependencies: ["a"],
      status: "SUCCESS",
      start_time: nodeTime(record.startTime),
      end_time: nodeTime(record.endTime!),
    });
    expect(taskUpdate(nodeRecord("r", "c", "RUNNING"), []).end_time).toBeNull();
  });

  it("a failure becomes an error attribute with the stack as lines, cause included", () => {
    const record = nodeRecord("r", "b", "FAILURE", {
      error: {
        type: "Error",
        message: "outer",
        stack: "Error: outer\n    at b (x.ts:1:1)",
        cause: { type: "RangeError", message: "inner", stack: undefined, cause: undefined },
      },
    });
    expect(nodeAttributes(record)).toEqual([
      {
        node_name: "b",
        name: "stack_trace",
        type: "error",
        schema_version: 1,
        value: { stack_trace: ["Error: outer\n", "    at b (x.ts:1:1)\n", "\nCaused by:\n", "RangeError: inner\n"] },
        attribute_role: "error",
      },
    ]);
    expect(nodeAttributes(nodeRecord("r", "b", "RUNNING"))).toEqual([]);
  });

  it("a RUNNING record has no attributes, even with trace ids; the final record has the trace once", () => {
    const ids = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
    expect(nodeAttributes(nodeRecord("r", "b", "RUNNING", ids))).toEqual([]);
    expect(nodeAttributes(nodeRecord("r", "b", "SUCCESS", ids)).map((a) => a.name)).toEqual([
      "result_summary",
      "trace",
    ]);
  });

  it("a cache outcome becomes a cache attribute on the final record only, with the key, the hit's run and the miss's reason", () => {
    const hit = nodeRecord("r", "b", "SUCCESS", { cache: "hit", cacheKey: "k1", cacheFromRun: "r0" });
    expect(nodeAttributes(hit).find((a) => a.name === "cache")).toEqual({
      node_name: "b",
      name: "cache",
      type: "dict",
      schema_version: 2,
      value: {
        type: "dict",
        value: { outcome: "hit", key: "k1", from_run: "r0", miss_reason: null, miss_detail: null },
      },
      attribute_role: "result_summary",
    });
    const why = (cacheMissReason: NonNullable<NodeRunRecord["cacheMissReason"]>) =>
      nodeAttributes(nodeRecord("r", "b", "SUCCESS", { cache: "miss", cacheKey: "k2", cacheMissReason })).find(
        (a) => a.name === "cache",
      )!.value;
    expect(why({ kind: "dependency", name: "prompt" })).toEqual({
      type: "dict",
      value: { outcome: "miss", key: "k2", from_run: null, miss_reason: "dependency", miss_detail: "prompt" },
    });
    expect(why({ kind: "code", from: "aa", to: "bb" })).toMatchObject({
      value: { miss_reason: "code", miss_detail: "aa -> bb" },
    });
    expect(why({ kind: "unkeyed", detail: "the cache store cannot be written" })).toMatchObject({
      value: { miss_reason: "unkeyed", miss_detail: "the cache store cannot be written" },
    });
    expect(why({ kind: "new" })).toMatchObject({ value: { miss_reason: "new", miss_detail: null } });
    expect(nodeAttributes(nodeRecord("r", "b", "RUNNING", { cache: "hit" }))).toEqual([]);
    expect(nodeAttributes(nodeRecord("r", "b", "SUCCESS")).map((a) => a.name)).not.toContain("cache");
  });
});

describe("run and template bodies", () => {
  it("run bodies carry start time, tags, displayable inputs, outputs and status", () => {
    const run = runRecord("r", "RUNNING", { tags: { t: "1" }, inputs: { q: summarize("why") } });
    expect(runCreateBody(run)).toEqual({
      run_start_time: runTime(run.startTime),
      tags: { t: "1", hamilton_ts_run_id: run.runId },
      inputs: { q: "why" },
      outputs: ["c"],
      run_status: "RUNNING",
    });
    expect(runEndBody(runRecord("r", "FAILURE"))).toEqual({
      run_status: "FAILURE",
      run_end_time: runTime(1_700_000_001_000),
    });
  });

  it("the template's code artifacts point at the right lines of one virtual file", () => {
    const base = templateRecord();
    const template = {
      ...base,
      nodes: [base.nodes[0]!, { ...base.nodes[1]!, source: "({ a }) => {\n  return a;\n}" }],
    };
    const body = templateBody(template) as {
      code_artifacts: { name: string; start: number; end: number; path: string }[];
      code_log: { files: { path: string; contents: string }[] };
    };
    const lines = body.code_log.files[0]!.contents.split("\n");
    for (const artifact of body.code_artifacts) {
      const node = template.nodes.find((n) => n.functionName === artifact.name)!;
      expect(lines.slice(artifact.start, artifact.end).join("\n")).toBe(node.source);
      expect(artifact.path).toBe(body.code_log.files[0]!.path);
    }
    expect(body.code_artifacts.map((a) => a.name)).toEqual(["a", "c"]);
  });

  it("a node tagged with its module gets a module-qualified code artifact in its module's virtual file", () => {
    const base = templateRecord();
    const template = {
      ...base,
      nodes: [
        { ...base.nodes[0]!, tags: { module: "loaders" } },
        { ...base.nodes[1]!, tags: { module: "features" } },
        { ...base.nodes[1]!, name: "d", functionName: "d", dependencies: ["c"] },
      ],
    };
    const body = templateBody(template) as {
      nodes: { name: string; tags: Record<string, string>; code_artifact_pointers: string[] }[];
      code_artifacts: { name: string; start: number; end: number; path: string }[];
      code_log: { files: { path: string; contents: string }[] };
    };
    expect(body.code_artifacts.map((a) => [a.name, a.path])).toEqual([
      ["loaders.a", "hamilton-ts/loaders.ts"],
      ["features.c", "hamilton-ts/features.ts"],
      ["d", "hamilton-ts/dag.ts"],
    ]);
    expect(body.nodes.map((n) => [n.name, n.code_artifact_pointers, n.tags.module])).toEqual([
      ["a", ["loaders.a"], "loaders"],
      ["c", ["features.c"], "features"],
      ["d", ["d"], undefined],
    ]);
    for (const artifact of body.code_artifacts) {
      const contents = body.code_log.files.find((f) => f.path === artifact.path)!.contents.split("\n");
      expect(contents.slice(artifact.start, artifact.end).join("\n")).toBe(
        template.nodes.find((n) => artifact.name.endsWith(n.functionName))!.source,
      );
    }
  });
});
