/**
 * What the graph shows of each node, folded from the run's node runs: one status, how many node
 * runs, and, for a node inside a fan-out, how many items ran and how many failed. No DOM: the
 * graph (`graph.ts`) draws it; the page's logic tests (`node-state.test.ts`) run it under Node.
 */
import { formatNumber, statusWord } from "./format.js";
import type { NodeRun, NodeTemplate, RunDetail, Status } from "./types.js";

/** What the graph shows of one node: its status over its node runs, and how many items ran. */
export interface NodeState {
  readonly status: Status | undefined;
  /** Node runs of this node (attempts and fan-out items included). */
  readonly runs: number;
  /** Distinct fan-out task ids (0 when the node is not inside a fan-out). */
  readonly items: number;
  /** Node runs whose last attempt failed (a failed attempt that a retry made good is not counted). */
  readonly failed: number;
}

/** The status the store gives a node run lost with its worker (still RUNNING when its run ended). */
const LOST = "UNKNOWN" as Status;

/**
 * Folds node runs into one state per node name, over the last attempt of each node run (of each
 * fan-out item): a node whose retry succeeded is a success, as the run is. The status is
 * `RUNNING` while any runs, else `FAILURE` when any failed, else `UNKNOWN` when a node run was lost
 * with its worker (the store reads a node run still running in a finished run so), else `SUCCESS`
 * when any succeeded, else the one word seen (a status a later version may send).
 */
export function nodeStates(nodeRuns: readonly NodeRun[]): Map<string, NodeState> {
  const acc = new Map<
    string,
    { statuses: Set<Status>; runs: number; tasks: Set<string>; failed: number; last: Map<string | undefined, NodeRun> }
  >();
  for (const r of nodeRuns) {
    let a = acc.get(r.node);
    if (a === undefined)
      acc.set(r.node, (a = { statuses: new Set(), runs: 0, tasks: new Set(), failed: 0, last: new Map() }));
    a.runs++;
    if (r.taskId !== undefined) a.tasks.add(r.taskId);
    const previous = a.last.get(r.taskId);
    if (previous === undefined || r.attempt >= previous.attempt) a.last.set(r.taskId, r);
  }
  const out = new Map<string, NodeState>();
  for (const [name, a] of acc) {
    for (const r of a.last.values()) {
      a.statuses.add(r.status);
      if (r.status === "FAILURE") a.failed++;
    }
    const status = a.statuses.has("RUNNING")
      ? "RUNNING"
      : a.statuses.has("FAILURE")
        ? "FAILURE"
        : a.statuses.has(LOST)
          ? LOST
          : a.statuses.has("SUCCESS")
            ? "SUCCESS"
            : [...a.statuses][0];
    out.set(name, { status, runs: a.runs, items: isFanOut(a.tasks) ? a.tasks.size : 0, failed: a.failed });
  }
  return out;
}

/**
 * Whether a node's task ids make it a fan-out node. A fan-out's block runs once per item, each
 * with its task id (`word[0]`, …). A single task id of another form is no fan-out: Python's
 * dynamic execution gives every node one.
 */
export function isFanOut(taskIds: ReadonlySet<string>): boolean {
  return taskIds.size > 1 || [...taskIds].some((t) => t.includes("["));
}

/** What else the state line of a node without node runs depends on: the run's progress and overrides. */
export interface StateContext {
  /** True while the run is in progress: a node not started yet is `waiting`, not `not run`. */
  readonly live?: boolean | undefined;
  /** Nodes the caller overrode (they have no node run: their value was given). */
  readonly overrides?: ReadonlySet<string> | undefined;
}

/**
 * The state line under a node's name: its status word, and for a fan-out node the item count
 * and the failures (`success · ×3 items · 1 failed`); an input has no node run, an overridden node
 * neither, and a node without a node run is `waiting` while the run is in progress.
 */
export function stateText(
  state: NodeState | undefined,
  node: NodeTemplate | undefined,
  context: StateContext = {},
): string {
  if (state === undefined) {
    if (node?.classification === "input") return "input (not a node run)";
    if (node !== undefined && context.overrides?.has(node.name)) return "overridden";
    return context.live ? "waiting" : "not run";
  }
  let text = statusWord(state.status);
  if (state.items > 0) text += ` · ×${formatNumber(state.items)} items`;
  if (state.items > 0 && state.failed > 0) text += ` · ${formatNumber(state.failed)} failed`;
  return text;
}

/** The graph's nodes: the run's DAG template, or (none recorded) one node per node-run name, without edges. */
export function graphNodes(detail: Pick<RunDetail, "template" | "nodeRuns">): readonly NodeTemplate[] {
  if (detail.template !== undefined) return detail.template.nodes;
  const names = [...new Set(detail.nodeRuns.map((r) => r.node))];
  return names.map((name) => ({
    name,
    functionName: name,
    dependencies: [],
    optionalDependencies: [],
    tags: {},
    documentation: "",
    source: "",
    classification: "transform",
    kind: "transform",
    version: "",
  }));
}
