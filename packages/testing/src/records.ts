/**
 * Record factories for tests that drive the tracker's sinks and queue directly, or write a store
 * with `FileSink` for the UI to read: one run `r` of DAG `dag` whose template has nodes `a` and
 * `c` (`c` depends on `a`). Every field has a value, in the order the tracker builds them; `over`
 * replaces any of them.
 */
import type { DagTemplateRecord, NodeRunRecord, RunRecord, RunStatus } from "@hamilton-ts/tracker";

/** A run record (`RUNNING` by default; a final status gets an end time and a duration). */
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
    finalVars: ["c"],
    inputs: {},
    overrides: [],
    config: {},
    tags: {},
    error: undefined,
    ...over,
  };
}

/** A node run record (`SUCCESS` with a number result by default). */
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

/** The DAG template of `dag`: node `a` (`() => 1`) and node `c` (`({ a }) => a`). */
export function templateRecord(over: Partial<DagTemplateRecord> = {}): DagTemplateRecord {
  return {
    type: "dag_template",
    graphVersion: "v1",
    dagName: "dag",
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
        source: "() => 1",
        classification: "transform",
        kind: "transform",
        version: "va",
      },
      {
        name: "c",
        functionName: "c",
        dependencies: ["a"],
        optionalDependencies: [],
        tags: {},
        documentation: "",
        source: "({ a }) => a",
        classification: "transform",
        kind: "transform",
        version: "vc",
      },
    ],
    ...over,
  };
}

/** The template of {@link templateRecord} with its first node (`a`) only: what the page tests draw. */
export function singleNodeTemplate(graphVersion = "v1", dagName = "dag"): DagTemplateRecord {
  const template = templateRecord({ graphVersion, dagName });
  return { ...template, nodes: template.nodes.slice(0, 1) };
}
