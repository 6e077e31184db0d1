/**
 * What `HamiltonUIClient` remembers of each DAG template and dag run it sends to: the template's
 * id and wiring, and per run what the server stored, what is uncertain after a lost answer, what
 * failed and what was set aside. Its progress across retries of a batch lives here.
 */
import type { NodeAttribute, TaskUpdate } from "./hamilton-ui-payloads.js";
import type { NodeRunRecord } from "./records.js";

/** Runs remembered (run id → dag_run id) for late records; older ones are forgotten. */
export const MAX_REMEMBERED_RUNS = 10_000;

/**
 * HTTP 500-class answers an update may get, each after the client checked what the server
 * stored, before it is set aside (reported, not retried) so the queue moves on.
 */
export const MAX_REFUSALS = 3;

export interface TemplateState {
  readonly id: number;
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
}

export interface RunState {
  readonly runId: string;
  readonly dagRunId: number;
  readonly template: TemplateState;
  /** Attribute keys (`node\0name`) the server has stored: never sent again. */
  readonly stored: Set<string>;
  /** Attribute keys sent whose answer was lost: checked on the server before they are sent again. */
  readonly uncertain: Set<string>;
  /** Failed sends per item key (`task\0node\0status` or `node\0name`); refusals count to {@link MAX_REFUSALS}. */
  readonly failures: Map<string, { failed: number; refused: number }>;
  /** Items given up on: never sent again. */
  readonly setAside: Set<string>;
  /** Bytes of bulks sent for this run: bounds the read that checks what was stored. */
  sentBytes: number;
  /** True when a create of this run was once sent without an answer: a duplicate may exist. */
  readonly lostCreate: boolean;
  /** True once the server acknowledged the run's end. */
  ended: boolean;
}

/** A run's state before anything of its node runs was sent. */
export function newRunState(
  runId: string,
  dagRunId: number,
  template: TemplateState,
  lostCreate: boolean,
  ended: boolean,
): RunState {
  return {
    runId,
    dagRunId,
    template,
    stored: new Set(),
    uncertain: new Set(),
    failures: new Map(),
    setAside: new Set(),
    sentBytes: 0,
    lostCreate,
    ended,
  };
}

/** Remembers a run, forgetting the oldest past {@link MAX_REMEMBERED_RUNS}. */
export function rememberRun(runs: Map<string, RunState>, state: RunState): void {
  runs.set(state.runId, state);
  if (runs.size > MAX_REMEMBERED_RUNS) runs.delete(runs.keys().next().value!);
}

/** One entry of a bulk: a task update or an attribute, under the key the server makes unique. */
export interface BulkItem {
  readonly key: string;
  readonly task?: TaskUpdate;
  readonly attribute?: NodeAttribute;
  /** The node records it was made from: not delivered in full if it is set aside. */
  readonly records: readonly NodeRunRecord[];
}

/** An item as an error message names it. */
export function describeItem(item: BulkItem): string {
  return item.attribute !== undefined
    ? `attribute "${item.attribute.name}" of node "${item.attribute.node_name}"`
    : `task update of node "${item.task!.node_name}"`;
}
