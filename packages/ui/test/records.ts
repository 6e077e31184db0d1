/** Small record factories for tests that write a store with `FileSink`. */
import type { DagTemplateRecord, NodeRunRecord, RunRecord, RunStatus } from "@hamilton-ts/tracker";

export function templateRecord(graphVersion = "v1", dagName = "dag"): DagTemplateRecord {
  return {
    type: "dag_template",
    graphVersion,
    dagName,
    dagHash: "dh",
    codeHash: "ch",
    createdAt: 1_700_000_000_000,
    config: {},
    tags: {},
    nodes: [
      {
        name: "a",
        functionName: "a",
        dependencies: [],
        optionalDependencies: [],
        tags: {},
        documentation: "",
        source: "const a = () => 1;",
        classification: "transform",
        kind: "transform",
        version: "x",
      },
    ],
  };
}

export function runRecord(runId: string, status: RunStatus = "RUNNING", over: Partial<RunRecord> = {}): RunRecord {
  return {
    type: "run",
    runId,
    dagName: "dag",
    graphVersion: "v1",
    dagHash: "dh",
    codeHash: "ch",
    username: "me@example.com",
    status,
    startTime: 1_700_000_000_000,
    endTime: status === "RUNNING" ? undefined : 1_700_000_001_000,
    durationMs: status === "RUNNING" ? undefined : 1000,
    finalVars: ["a"],
    inputs: {},
    overrides: [],
    config: {},
    tags: {},
    error: undefined,
    ...over,
  };
}

export function nodeRecord(
  runId: string,
  node: string,
  status: RunStatus = "SUCCESS",
  over: Partial<NodeRunRecord> = {},
): NodeRunRecord {
  return {
    type: "node_run",
    runId,
    node,
    taskId: undefined,
    attempt: 1,
    status,
    startTime: 1_700_000_000_100,
    endTime: status === "RUNNING" ? undefined : 1_700_000_000_200,
    durationMs: status === "RUNNING" ? undefined : 100,
    result: status === "SUCCESS" ? { kind: "primitive", type: "number", value: 1 } : undefined,
    error: undefined,
    warnings: undefined,
    traceId: undefined,
    spanId: undefined,
    ...over,
  };
}
