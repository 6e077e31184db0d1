/**
 * What the graph lays out, before any drawing: the cost of a dagre layout, the limits that decide
 * between the whole DAG and the neighbourhood of a node, the node boxes and edges sent to the
 * layout worker. No DOM: `graph.ts` uses it, `layout-plan.test.ts` runs it under Node.
 */
import type { LayoutRequest } from "./layout-protocol.js";
import type { NodeTemplate } from "./types.js";

/** A DAG whose layout costs more than this (nodes + edge bends) is drawn around the selected node. */
export const AUTO_LAYOUT_LIMIT = 400;
/** The most nodes drawn around a selected node. */
export const NEIGHBOURHOOD_LIMIT = 150;
/** The height of a node's box, in pixels. */
export const NODE_HEIGHT = 38;
const CHAR_WIDTH = 7;

/**
 * What dagre's layout of these nodes costs, roughly: the nodes plus one bend per rank an edge skips
 * (dagre adds a dummy node for each). Ranks are longest paths from the inputs.
 */
export function layoutCost(nodes: readonly NodeTemplate[]): number {
  const names = new Set(nodes.map((n) => n.name));
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const n of nodes) {
    const deps = n.dependencies.filter((d) => names.has(d));
    waiting.set(n.name, deps.length);
    for (const d of deps) {
      let list = dependents.get(d);
      if (list === undefined) dependents.set(d, (list = []));
      list.push(n.name);
    }
  }
  const rank = new Map<string, number>();
  const queue = nodes.filter((n) => waiting.get(n.name) === 0).map((n) => n.name);
  for (const q of queue) rank.set(q, 0);
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const v of dependents.get(u) ?? []) {
      rank.set(v, Math.max(rank.get(v) ?? 0, rank.get(u)! + 1));
      const left = waiting.get(v)! - 1;
      waiting.set(v, left);
      if (left === 0) queue.push(v);
    }
  }
  let cost = nodes.length;
  for (const n of nodes) {
    for (const d of n.dependencies) {
      if (names.has(d)) cost += Math.max(0, (rank.get(n.name) ?? 0) - (rank.get(d) ?? 0) - 1);
    }
  }
  return cost;
}

/** True when the whole DAG costs too much to lay out at once: the graph is drawn around a node. */
export function tooLargeForOneLayout(nodes: readonly NodeTemplate[]): boolean {
  return layoutCost(nodes) > AUTO_LAYOUT_LIMIT;
}

/** A key that changes exactly when the DAG's structure (names, dependencies) changes. */
export function structureKey(nodes: readonly NodeTemplate[]): string {
  return nodes.map((n) => `${n.name}<${n.dependencies.join(",")}`).join(";");
}

/** Each node's dependents (the nodes that take it as an input), by name. */
export function dependentsOf(nodes: readonly NodeTemplate[]): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    for (const d of n.dependencies) {
      let list = dependents.get(d);
      if (list === undefined) dependents.set(d, (list = []));
      list.push(n.name);
    }
  }
  return dependents;
}

/**
 * The names drawn around `centre`: the node, its inputs and its dependents, two steps each way,
 * at most `limit` names (the centre first, then inputs, then dependents, nearest first).
 */
export function neighbourhood(
  centre: string,
  byName: ReadonlyMap<string, NodeTemplate>,
  dependents: ReadonlyMap<string, readonly string[]>,
  limit = NEIGHBOURHOOD_LIMIT,
): Set<string> {
  const picked = new Set<string>([centre]);
  // Two steps up (inputs, their inputs) and two steps down (dependents, theirs).
  for (const next of [
    (name: string) => byName.get(name)?.dependencies ?? [],
    (name: string) => dependents.get(name) ?? [],
  ]) {
    let frontier = [centre];
    for (let step = 0; step < 2; step++) {
      const found: string[] = [];
      for (const name of frontier) {
        for (const other of next(name)) {
          if (picked.size >= limit) break;
          if (!picked.has(other) && byName.has(other)) {
            picked.add(other);
            found.push(other);
          }
        }
      }
      frontier = found;
    }
  }
  return picked;
}

/** The width of a node's box: room for its name up to 40 characters, never under 90 pixels. */
export function nodeWidth(name: string): number {
  return Math.max(90, Math.min(40, Math.max(name.length, 22)) * CHAR_WIDTH + 20);
}

/** What the layout worker is sent: a box per node, an edge per dependency inside the set. */
export function layoutRequest(nodes: readonly NodeTemplate[]): LayoutRequest {
  const names = new Set(nodes.map((n) => n.name));
  return {
    nodes: nodes.map((n) => ({ id: n.name, width: nodeWidth(n.name), height: NODE_HEIGHT })),
    edges: nodes.flatMap((n) => n.dependencies.filter((d) => names.has(d)).map((d) => [d, n.name] as const)),
  };
}
