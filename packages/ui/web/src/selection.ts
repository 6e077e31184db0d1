/**
 * What the run page's fragment selects, and the links that select it: `#node=<name>&task=<id>&attempt=<n>`
 * for a node run (a fan-out item, a retry), `#span=<spanId>` for a span. No DOM: `run.ts` reads
 * `location.hash` with it, `selection.test.ts` runs it under Node.
 */
import type { NodeRun } from "./types.js";

/** The fragment link that selects a node run (and, with a task id, one fan-out item). */
export function nodeLink(node: string, taskId?: string | undefined, attempt?: number): string {
  const p = new URLSearchParams({ node });
  if (taskId !== undefined) p.set("task", taskId);
  if (attempt !== undefined && attempt !== 1) p.set("attempt", String(attempt));
  return `#${p.toString()}`;
}

/** The fragment link that selects a span in the trace. */
export function spanLink(spanId: string): string {
  return `#${new URLSearchParams({ span: spanId }).toString()}`;
}

/** A node run's key in the node waterfall: its link without the `#`. */
export function nodeKey(r: NodeRun): string {
  return nodeLink(r.node, r.taskId, r.attempt).slice(1);
}

/** What a fragment selects: a span (it wins), a node run, or nothing. */
export type Selection =
  | { readonly kind: "span"; readonly span: string }
  | {
      readonly kind: "node";
      readonly node: string;
      readonly task: string | undefined;
      /** 1 when the fragment names none. */
      readonly attempt: number;
    }
  | { readonly kind: "none" };

/** Reads a fragment (`location.hash`, with or without its `#`). */
export function readSelection(hash: string): Selection {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const span = params.get("span");
  if (span !== null) return { kind: "span", span };
  const node = params.get("node");
  if (node === null) return { kind: "none" };
  return { kind: "node", node, task: params.get("task") ?? undefined, attempt: Number(params.get("attempt") ?? "1") };
}

/**
 * The node run a selection shows among a node's node runs: the one with the task and attempt, else
 * the task's first, else (no task named) the node's first; undefined when the task has none.
 */
export function pickNodeRun(
  siblings: readonly NodeRun[],
  task: string | undefined,
  attempt: number,
): NodeRun | undefined {
  return (
    siblings.find((r) => r.taskId === task && r.attempt === attempt) ??
    siblings.find((r) => r.taskId === task) ??
    (task === undefined ? siblings[0] : undefined)
  );
}
