import { describe, expect, it } from "vitest";
import { nodeRun } from "../test/records.js";
import { inputTruth, MAX_PARAMETER_ROWS, runParameters, workersOf } from "./run-facts.js";
import type { RunRecord } from "./types.js";

function run(over: Partial<RunRecord> = {}): RunRecord {
  return {
    type: "run",
    runId: "r1",
    projectId: "p",
    finished: true,
    dagName: "dag",
    graphVersion: "0123456789abcdef0123456789abcdef",
    dagHash: "dh",
    codeHash: "ch",
    username: "ada",
    status: "SUCCESS",
    startTime: 0,
    endTime: 1,
    durationMs: 1,
    finalVars: ["answer", "report"],
    inputs: { model: { kind: "string", length: 6, preview: "gpt-4o", truncated: false } },
    overrides: ["question"],
    config: { mode: { kind: "string", length: 4, preview: "fast", truncated: false } },
    tags: { team: "data" },
    error: undefined,
    ...over,
  };
}

describe("inputTruth", () => {
  it("says the value given, whether the node has a default or not", () => {
    expect(inputTruth("model", run(), true)).toBe('given: string (6 chars) "gpt-4o"');
    expect(inputTruth("model", run(), false)).toBe('given: string (6 chars) "gpt-4o"');
  });

  it("says the default was used only when nothing was given, overridden or configured", () => {
    expect(inputTruth("temperature", run(), true)).toBe("not given (the default was used)");
    expect(inputTruth("temperature", run(), false)).toBe("an input (its value is not recorded)");
    expect(inputTruth("question", run(), true)).toBe("overridden (its value is not recorded)");
    expect(inputTruth("mode", run(), true)).toBe('from config: string (4 chars) "fast"');
  });
});

describe("runParameters", () => {
  it("lists inputs, config, overrides, tags, requested outputs, who and where", () => {
    const groups = runParameters(run({ host: "box", pid: 4242 }), [
      nodeRun("a", { worker: "w2:2" }),
      nodeRun("b", { worker: "w1:1" }),
      nodeRun("c", { worker: "w1:1" }),
      nodeRun("d"),
    ]);
    expect(groups.map((g) => [g.title, g.rows])).toEqual([
      ["Inputs", [["model", 'string (6 chars) "gpt-4o"']]],
      ["Config", [["mode", 'string (4 chars) "fast"']]],
      ["Overrides", [["question", "overridden (its value is not recorded)"]]],
      ["Tags", [["team", "data"]]],
      [
        "Requested outputs",
        [
          ["answer", ""],
          ["report", ""],
        ],
      ],
      [
        "Who and where",
        [
          ["user", "ada"],
          ["host", "box"],
          ["pid", "4242"],
          ["workers (2)", "w1:1, w2:2"],
          ["graph version", "0123456789abcdef0123456789abcdef"],
        ],
      ],
    ]);
    expect(workersOf([nodeRun("a")])).toEqual([]);
  });

  it("says what is empty and bounds a long list", () => {
    const inputs = Object.fromEntries(
      Array.from({ length: 150 }, (_, i) => [`in${String(i).padStart(3, "0")}`, { kind: "disabled" } as const]),
    );
    const groups = runParameters(run({ inputs, overrides: [], config: {}, tags: {} }), []);
    expect(groups[0]!.rows).toHaveLength(MAX_PARAMETER_ROWS + 1);
    expect(groups[0]!.rows[MAX_PARAMETER_ROWS]).toEqual(["…", "50 more not shown"]);
    expect(groups[1]).toEqual({ title: "Config", rows: [], empty: "none" });
    expect(groups[2]!.rows).toEqual([]);
    expect(groups[5]!.rows.map(([k]) => k)).toEqual(["user", "graph version"]);
  });
});
