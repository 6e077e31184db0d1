import type { DagTemplateRecord, NodeRunRecord, RunRecord } from "@hamilton-ts/store";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { describe, expect, it } from "vitest";
import {
  cellMarks,
  compareIdsOf,
  compareIdsProblem,
  compareRuns,
  naturalCompare,
  paramMarked,
  summaryLines,
  valueText,
} from "./compare-runs.js";
import type { RunDetail } from "./read-api.js";

function detail(
  run: RunRecord,
  nodeRuns: (NodeRunRecord & { llm?: unknown })[],
  template?: DagTemplateRecord,
): RunDetail {
  return { run: { ...run, projectId: "p", finished: true }, template, nodeRuns };
}

const num = (value: number) => ({ kind: "primitive", type: "number", value }) as const;
const str = (s: string) => ({ kind: "string", length: s.length, preview: s, truncated: false }) as const;

function template(graphVersion: string, cVersion: string, cSource: string): DagTemplateRecord {
  const t = templateRecord({ graphVersion });
  return { ...t, nodes: [t.nodes[0]!, { ...t.nodes[1]!, version: cVersion, source: cSource }] };
}

describe("compareIdsProblem", () => {
  it("takes 2 to 10 distinct ids and says what is wrong otherwise", () => {
    expect(compareIdsProblem(["a", "b"])).toBeUndefined();
    expect(compareIdsProblem(Array.from({ length: 10 }, (_, i) => `r${i}`))).toBeUndefined();
    expect(compareIdsProblem(["a"])).toBe('only one run id ("a") is given; compare takes 2 to 10 runs.');
    expect(compareIdsProblem([])).toMatch(/^no run ids are given/);
    expect(compareIdsProblem(Array.from({ length: 11 }, (_, i) => `r${i}`))).toBe(
      "11 run ids are given; compare takes at most 10 runs: leave 1 out.",
    );
    expect(compareIdsProblem(["a", "b", "a"])).toBe('run "a" is given twice; give each run once.');
    expect(compareIdsProblem(["a", ""])).toMatch(/a run id is empty/);
  });

  it("reads runs=a,b,c and the older a=&b= address", () => {
    expect(compareIdsOf(new URLSearchParams("runs=x,y,z"))).toEqual(["x", "y", "z"]);
    expect(compareIdsOf(new URLSearchParams("a=x&b=y"))).toEqual(["x", "y"]);
    expect(compareIdsOf(new URLSearchParams(""))).toEqual([]);
  });
});

describe("naturalCompare", () => {
  it("orders digit runs as numbers", () => {
    expect(["10", "2", "1", "item10", "item2"].sort(naturalCompare)).toEqual(["1", "2", "10", "item2", "item10"]);
  });
});

describe("valueText", () => {
  it("gives values, statistics of numbers and columns of tables", () => {
    expect(valueText(num(3))).toBe("3");
    expect(valueText(str("hi"))).toBe('"hi"');
    expect(valueText({ kind: "string", length: 5000, preview: "abc", truncated: true })).toBe('"abc"… (5,000 chars)');
    expect(
      valueText({
        kind: "numeric_array",
        type: "Array",
        length: 3,
        head: [1, 2, 3],
        sampled: false,
        count: 3,
        missing: 0,
        zeros: 0,
        min: 1,
        max: 3,
        mean: 2,
        std: 1,
        quantiles: null,
        histogram: [],
      }),
    ).toBe("3 numbers: min 1, max 3, mean 2, std 1");
    expect(
      valueText({
        kind: "table",
        rows: 4,
        columns: [
          { name: "x", type: "number", missing: 0 },
          { name: "y", type: "string", missing: 1 },
        ],
        head: [],
        sampled: false,
      }),
    ).toBe("4 rows: x (number), y (string)");
    expect(valueText({ kind: "object", type: "Object", size: 1, entries: { k: num(1) }, truncated: false })).toBe(
      "{k: 1}",
    );
  });
});

describe("compareRuns", () => {
  const runs = () => [
    detail(
      runRecord("A", "SUCCESS", { inputs: { x: num(1) }, tags: { team: "t" }, graphVersion: "g1" }),
      [
        nodeRecord("A", "a", "SUCCESS", { durationMs: 100, cache: "miss", result: num(1) }),
        nodeRecord("A", "c", "SUCCESS", { durationMs: 10, result: num(5) }),
        nodeRecord("A", "m", "SUCCESS", { taskId: "10", result: num(10) }),
        nodeRecord("A", "m", "SUCCESS", { taskId: "2", result: num(2) }),
      ],
      template("g1", "c1", "({ a }) => a"),
    ),
    detail(
      runRecord("B", "SUCCESS", { inputs: { x: num(2) }, tags: { team: "t" }, graphVersion: "g2" }),
      [
        nodeRecord("B", "a", "SUCCESS", { durationMs: 300, cache: "hit", result: num(1) }),
        {
          ...nodeRecord("B", "c", "SUCCESS", { durationMs: 11, result: num(6) }),
          llm: { calls: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.001 },
        },
        nodeRecord("B", "m", "SUCCESS", { taskId: "2", result: num(2) }),
        nodeRecord("B", "m", "FAILURE", {
          taskId: "10",
          result: undefined,
          error: { type: "Error", message: "boom", stack: undefined, cause: undefined },
        }),
      ],
      template("g2", "c2", "({ a }) => a + 1"),
    ),
    detail(
      runRecord("C", "SUCCESS", { inputs: { x: num(1) }, tags: { team: "t" }, graphVersion: "g1" }),
      [nodeRecord("C", "a", "SUCCESS", { durationMs: 100, cache: "miss", result: num(1) })],
      template("g1", "c1", "({ a }) => a"),
    ),
  ];

  it("lines up node runs by node and task id, items in numeric order, and marks what differs", () => {
    const c = compareRuns(runs());
    expect(c.nodes.map((r) => r.key)).toEqual(["a", "c", "m [2]", "m [10]"]);
    const [a, cRow, m2, m10] = c.nodes;
    expect(a!.differs).toEqual({ status: false, duration: true, cache: true, llm: false, result: false, code: false });
    expect(a!.cells.map((x) => x?.cache)).toEqual(["miss", "hit", "miss"]);
    // c: ran in A and B only, its result and code changed, B made an LLM call.
    expect(cRow!.differs).toEqual({ status: true, duration: false, cache: false, llm: true, result: true, code: true });
    expect(cRow!.cells[2]).toBeUndefined();
    expect(cRow!.cells.map((x) => x?.codeVersion)).toEqual(["c1", "c2", undefined]);
    expect(m2!.differs.result).toBe(false);
    expect(m10!.differs.status).toBe(true);
    expect(m10!.cells[1]!.result).toBe("Error: boom");
    // Each cell marks the fields where it differs from the first run that has the node.
    expect(a!.cells.map((_, i) => cellMarks(a!, i))).toEqual([[], ["duration", "cache"], []]);
    expect(cRow!.cells.map((_, i) => cellMarks(cRow!, i))).toEqual([[], ["llm", "result"], []]);
    expect(m10!.cells.map((_, i) => cellMarks(m10!, i))).toEqual([[], ["status"], []]);
    expect(c.codeChanges).toEqual([
      { node: "c", versions: ["c1", "c2", "c1"], sources: ["({ a }) => a", "({ a }) => a + 1", "({ a }) => a"] },
    ]);
  });

  it("marks differing parameters and sums up what changed", () => {
    const c = compareRuns(runs());
    const x = c.params.find((p) => p.group === "input" && p.name === "x")!;
    expect(x).toEqual({ group: "input", name: "x", values: ["1", "2", "1"], differs: true });
    expect(c.params.find((p) => p.group === "tag")!.differs).toBe(false);
    expect([0, 1, 2].map((i) => paramMarked(x, i))).toEqual([false, true, false]);
    expect(c.summary.params).toEqual(["graph version", "input x"]);
    expect(c.summary.codeChanged).toEqual(["c"]);
    expect(c.summary.resultChanged).toEqual(["c"]);
    expect(c.summary.statusChanged).toEqual(["c", "m [2]", "m [10]"]);
    expect(c.summary.slowest).toEqual({ key: "a", durationsMs: [100, 300, 100] });
    expect(summaryLines(c)).toEqual([
      "parameters: graph version (g1 → g2 → g1), input x (1 → 2 → 1)",
      "code changed: c",
      "results changed: c (1)",
      "status changed: c, m [2], m [10] (3)",
      "slowest node: a: A 100 ms, B 300 ms (+200%), C 100 ms (±0%)",
    ]);
  });

  it("says when nothing changed and when the runs are of different DAGs", () => {
    const one = runs()[0]!;
    const same = compareRuns([one, { ...one, run: { ...one.run, runId: "A2" } }]);
    expect(same.summary.params).toEqual([]);
    expect(same.nodes.every((r) => Object.values(r.differs).every((d) => !d))).toBe(true);
    expect(summaryLines(same).slice(0, 4)).toEqual([
      "parameters: the same",
      "code changed: no node",
      "results changed: none",
      "status changed: none",
    ]);
    const other = { ...one, run: { ...one.run, runId: "Z", dagName: "other" } };
    expect(summaryLines(compareRuns([one, other]))[0]).toMatch(/^DAGs: these runs are of different DAGs/);
  });
});
