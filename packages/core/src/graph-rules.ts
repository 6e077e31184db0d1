/**
 * The graph's structural rules, checked by `buildGraph` once the nodes are wired: the
 * fan-outs (which nodes run once per item, up to their `collect` nodes, and what each collect node
 * waits for) and the cycle search (one cycle per strongly connected component, as node names).
 */
import type { BuildProblem } from "./errors.js";
import type { GraphNode } from "./graph.js";

/** A node while the build fills it in. */
export type MutableGraphNode = { -readonly [K in keyof GraphNode]: GraphNode[K] };

/**
 * Finds each `parallelize` node's fan-out — the nodes that run once per item, up to the `collect`
 * nodes — checks the fan-out rules, and gives each collect node the dependencies it waits for.
 */
export function wireFanOuts(nodes: MutableGraphNode[], problems: BuildProblem[]): void {
  const parallelizedBy = new Int32Array(nodes.length).fill(-1);
  const parallelizeNodes = nodes.filter((n) => n.kind === "expand");
  for (const e of parallelizeNodes) {
    const stack = [...e.consumers];
    while (stack.length > 0) {
      const v = nodes[stack.pop()!]!;
      if (v.kind === "collect" || parallelizedBy[v.index] === e.index) continue;
      if (parallelizedBy[v.index] !== -1) {
        problems.push({
          code: "INVALID_NODE",
          node: v.name,
          message: `Node "${v.name}" depends on the items of two fan-outs ("${nodes[parallelizedBy[v.index]!]!.name}" and "${e.name}"); a node can be part of one fan-out only. Collect one of them first.`,
        });
        continue;
      }
      if (v.kind === "expand") {
        problems.push({
          code: "INVALID_NODE",
          node: v.name,
          message: `Node "${v.name}" starts a fan-out inside the fan-out of "${e.name}": nested fan-outs are not supported. Collect the outer fan-out first, or flatten the items.`,
        });
        continue;
      }
      parallelizedBy[v.index] = e.index;
      for (const c of v.consumers) stack.push(c);
    }
  }
  const gathered = new Uint8Array(nodes.length);
  for (const c of nodes) {
    if (c.kind !== "collect") continue;
    const perItem = c.depIndex.map((d) => parallelizedBy[d]! !== -1 || nodes[d]!.kind === "expand");
    const fanOuts = new Set(
      c.depIndex.filter((_, k) => perItem[k]).map((d) => (nodes[d]!.kind === "expand" ? d : parallelizedBy[d]!)),
    );
    if (fanOuts.size === 0) {
      problems.push({
        code: "INVALID_NODE",
        node: c.name,
        message: `Node "${c.name}" is a collect node, but none of its dependencies (${c.depNames.join(", ") || "none"}) comes from a parallelize node. Mark the node that returns the items with parallelize(fn), or remove collect(...).`,
      });
      continue;
    }
    if (fanOuts.size > 1) {
      problems.push({
        code: "INVALID_NODE",
        node: c.name,
        message: `Node "${c.name}" collects from ${fanOuts.size} fan-outs (${[...fanOuts].map((i) => `"${nodes[i]!.name}"`).join(", ")}); a collect node gathers one fan-out.`,
      });
      continue;
    }
    const e = [...fanOuts][0]!;
    // Walk the fan-out upstream of the per-item dependencies: what it reads from outside is what
    // the collect node must wait for.
    const outer = new Set<number>([e]);
    const seen = new Set<number>();
    const stack = c.depIndex.filter((_, k) => perItem[k]);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v) || v === e) continue;
      seen.add(v);
      gathered[v] = 1;
      for (const d of nodes[v]!.depIndex) {
        if (parallelizedBy[d] === e) stack.push(d);
        else outer.add(d);
      }
    }
    for (const [k, d] of c.depIndex.entries()) if (!perItem[k]) outer.add(d);
    c.collectsFrom = e;
    c.perItem = perItem;
    c.planDeps = [...outer];
  }
  for (const v of nodes) {
    if (parallelizedBy[v.index] !== -1 && gathered[v.index] === 0) {
      problems.push({
        code: "INVALID_NODE",
        node: v.name,
        message: `Node "${v.name}" runs once per item of the fan-out "${nodes[parallelizedBy[v.index]!]!.name}", but no collect node gathers it. Add a collect(...) node that depends on it, or move it out of the fan-out.`,
      });
    }
  }
  for (const v of nodes) v.parallelizedBy = parallelizedBy[v.index]!;
}

/** Finds one cycle per strongly connected component (iterative Tarjan), as lists of node names. */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const n = nodes.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: string[][] = [];
  // The depth-first walk's frames, flat: the node, and the next dependency to visit.
  const workNode = new Int32Array(n);
  const workNext = new Int32Array(n);
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    let top = 0;
    workNode[0] = root;
    workNext[0] = 0;
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (top >= 0) {
      const v = workNode[top]!;
      const i = workNext[top]!;
      const deps = nodes[v]!.depIndex;
      if (i < deps.length) {
        workNext[top] = i + 1;
        const w = deps[i]!;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          top++;
          workNode[top] = w;
          workNext[top] = 0;
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, order[w]!);
        }
        continue;
      }
      top--;
      if (top >= 0) {
        const parent = workNode[top]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === order[v]) {
        // A node on no cycle is a component of its own, the common case: popped without an array.
        if (stack[stack.length - 1] === v) {
          stack.pop();
          onStack[v] = 0;
          continue;
        }
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) cycles.push(cyclePath(nodes, new Set(component)));
      }
    }
  }
  return cycles;
}

/** Walks dependencies inside one strongly connected component until a node repeats. */
function cyclePath(nodes: readonly GraphNode[], component: ReadonlySet<number>): string[] {
  let start = Infinity;
  for (const v of component) if (v < start) start = v;
  const path: number[] = [];
  const at = new Map<number, number>();
  let v = start;
  while (!at.has(v)) {
    at.set(v, path.length);
    path.push(v);
    v = nodes[v]!.depIndex.find((w) => component.has(w))!;
  }
  // Dependencies point backwards in data flow: reverse so the path reads producer -> consumer,
  // then start from the node declared first.
  const cycle = path.slice(at.get(v)).reverse();
  const first = cycle.indexOf(cycle.reduce((a, b) => Math.min(a, b)));
  return [...cycle.slice(first), ...cycle.slice(0, first)].map((i) => nodes[i]!.name);
}
