/**
 * Small record factories for the page's logic tests (`web/src/*.test.ts`): node runs, DAG template
 * nodes and spans with every field the read API gives, only what a test sets differing.
 */
import type { NodeRun, NodeTemplate, Span } from "../src/types.js";

/** A successful node run of `node` at time 0 (fields of `over` win). */
export function nodeRun(node: string, over: Partial<NodeRun> = {}): NodeRun {
  return {
    type: "node_run",
    runId: "run-1",
    node,
    taskId: undefined,
    attempt: 1,
    status: "SUCCESS",
    startTime: 0,
    endTime: 1,
    durationMs: 1,
    result: undefined,
    error: undefined,
    warnings: undefined,
    traceId: undefined,
    spanId: undefined,
    ...over,
  };
}

/** A transform node `name` taking `dependencies`. */
export function templateNode(
  name: string,
  dependencies: readonly string[] = [],
  over: Partial<NodeTemplate> = {},
): NodeTemplate {
  return {
    name,
    functionName: name,
    dependencies,
    optionalDependencies: [],
    tags: {},
    documentation: "",
    source: `const ${name} = () => 1;`,
    classification: "transform",
    kind: "transform",
    version: "v1",
    ...over,
  };
}

/** A span `spanId` under `parentSpanId` (undefined: a root), starting at `startTime`, lasting 1 ms. */
export function span(
  spanId: string,
  parentSpanId: string | undefined,
  startTime: number,
  over: Partial<Span> = {},
): Span {
  return {
    traceId: "t1",
    spanId,
    parentSpanId,
    name: spanId,
    kind: 1,
    startTime,
    endTime: startTime + 1,
    durationMs: 1,
    status: { code: 0, message: undefined },
    attributes: {},
    events: [],
    resource: {},
    ...over,
  };
}
