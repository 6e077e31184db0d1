import { HamiltonError } from "./errors.js";
import type { GraphNode } from "./graph.js";
import { PER_ITEM, slotList, type Plan } from "./plan.js";

/** Output format of `visualizeExecution`. */
export type VisualizationFormat = "mermaid" | "dot";

/** Checks a visualize call's `format` (default `mermaid`); `where` names the call. */
export function checkFormat(format: unknown, where: string): VisualizationFormat {
  if (format === undefined) return "mermaid";
  if (format !== "mermaid" && format !== "dot") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: format must be "mermaid" or "dot", got ${JSON.stringify(format)}.`,
    );
  }
  return format;
}

/** How a node is drawn: by its kind, and by what it is in this execution (given, requested, absent...). */
type Look = "input" | "missing-optional" | "override" | "output" | "transform" | "expand" | "collect" | "per-item";

interface Item {
  readonly name: string;
  readonly look: Look;
}

/**
 * Renders the part of the graph an execution touches: computed nodes, the inputs and overrides
 * they read, the requested outputs, and fan-outs (parallelize node, the nodes run once per item,
 * the collect node), each drawn differently.
 */
export function renderExecution(plan: Plan, format: VisualizationFormat): string {
  const items = new Map<string, Look>();
  const edges = new Set<string>();
  const outputs = new Set<number>(Array.from(plan.outputSlots));
  const given = new Map(plan.given.map((g) => [g.slot, g.override]));
  plan.slotNode.forEach((n, slot) => {
    let look: Look;
    if (given.get(slot) === true) look = "override";
    else if (outputs.has(slot)) look = n.kind === "collect" ? "collect" : "output";
    else if (n.fn === undefined) look = given.has(slot) ? "input" : "missing-optional";
    else if (n.kind === "expand" || n.kind === "collect") look = n.kind;
    else look = "transform";
    items.set(n.name, look);
  });
  for (const slot of plan.compute) {
    const n = plan.slotNode[slot]!;
    slotList(plan.argSlots, slot).forEach((a, k) => {
      if (a >= 0) edges.add(`${plan.slotNode[a]!.name}\u0000${n.name}`);
      else if (a === PER_ITEM) edges.add(`${n.depNames[k]}\u0000${n.name}`);
    });
  }
  for (const fanOut of plan.fanOuts.values()) {
    const inner = fanOut.plan;
    for (const slot of inner.compute) {
      const n = inner.slotNode[slot]!;
      if (!items.has(n.name)) items.set(n.name, "per-item");
      for (const a of slotList(inner.argSlots, slot))
        if (a >= 0) edges.add(`${inner.slotNode[a]!.name}\u0000${n.name}`);
    }
  }
  const list: Item[] = [...items].map(([name, look]) => ({ name, look }));
  const pairs = [...edges].map((e) => e.split("\u0000") as [string, string]);
  return format === "dot" ? dot(list, pairs) : mermaid(list, pairs);
}

/**
 * Renders the whole graph, as Hamilton's `display_all_functions` does: every node and external
 * input, with fan-outs drawn like in {@link renderExecution}; no outputs, inputs or overrides are
 * needed.
 */
export function renderGraph(nodes: readonly GraphNode[], format: VisualizationFormat, cache?: CacheColouring): string {
  const list: Item[] = nodes.map((n) => ({
    name: n.name,
    look:
      n.fn === undefined
        ? "input"
        : n.kind === "expand" || n.kind === "collect"
          ? n.kind
          : n.parallelizedBy !== -1
            ? "per-item"
            : "transform",
  }));
  const pairs: [string, string][] = [];
  for (const n of nodes) for (const d of n.depIndex) pairs.push([nodes[d]!.name, n.name]);
  return format === "dot" ? dot(list, pairs, cache) : mermaid(list, pairs, cache);
}

/** What the cache did for each node in one run, to colour the graph by (`visualize({ cache: runId })`). */
export interface CacheColouring {
  readonly runId: string;
  /** By node name; a node run per fan-out item whose items differ is `partial`. */
  readonly outcomes: ReadonlyMap<string, CacheLook>;
}

/** A node's cache outcome as drawn: the outcomes, `ignored` (behaviour `ignore`), `partial` (fan-out items that differ). */
export type CacheLook = "hit" | "miss" | "recompute" | "disabled" | "ignored" | "partial";

const CACHE_CLASSES: Readonly<Record<CacheLook, readonly [string, string, string]>> = {
  // look: [mermaid class, fill, description]
  hit: ["cacheHit", "#c8f0c8", "green = hit (served from the cache)"],
  miss: ["cacheMiss", "#ffd8a8", "orange = miss (computed and stored)"],
  recompute: ["cacheRecompute", "#d8e4ff", "blue = recompute (computed on purpose)"],
  disabled: ["cacheDisabled", "#e4e4e4", "grey = disabled"],
  ignored: ["cacheIgnored", "#f4f4f4", "light grey = ignored (left out of its dependents' keys)"],
  partial: ["cachePartial", "#fff3b0", "yellow = partial (fan-out items differ)"],
};

/** The look of a node from its node runs' outcomes and behaviour. */
export function cacheLook(
  runs: readonly { readonly outcome: string; readonly behavior: string }[],
): CacheLook | undefined {
  let look: CacheLook | undefined;
  for (const r of runs) {
    const one: CacheLook = r.behavior === "ignore" ? "ignored" : (r.outcome as CacheLook);
    if (look === undefined) look = one;
    else if (look !== one) return "partial";
  }
  return look;
}

function mermaidId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

function mermaid(items: readonly Item[], edges: readonly [string, string][], cache?: CacheColouring): string {
  const lines = ["flowchart LR"];
  for (const { name, look } of items) {
    const id = mermaidId(name);
    const label = name.replace(/"/g, "#quot;");
    switch (look) {
      case "input":
        lines.push(`  ${id}(["${label}"]):::input`);
        break;
      case "missing-optional":
        lines.push(`  ${id}(["${label}"]):::optional`);
        break;
      case "override":
        lines.push(`  ${id}{{"${label}"}}:::override`);
        break;
      case "output":
        lines.push(`  ${id}[["${label}"]]:::output`);
        break;
      case "expand":
        lines.push(`  ${id}[/"${label}"/]:::expand`);
        break;
      case "collect":
        lines.push(`  ${id}[\\"${label}"\\]:::collect`);
        break;
      case "per-item":
        lines.push(`  ${id}["${label}"]:::perItem`);
        break;
      default:
        lines.push(`  ${id}["${label}"]`);
    }
  }
  for (const [from, to] of edges) lines.push(`  ${mermaidId(from)} --> ${mermaidId(to)}`);
  lines.push(
    "  classDef input fill:#eef,stroke:#66a,stroke-dasharray:4 3",
    "  classDef optional fill:#fff,stroke:#aaa,stroke-dasharray:2 2,color:#888",
    "  classDef override fill:#fec,stroke:#c80",
    "  classDef output fill:#dfd,stroke:#282,stroke-width:2px",
    "  classDef expand fill:#e8f4ff,stroke:#27c",
    "  classDef collect fill:#e8f4ff,stroke:#27c,stroke-width:2px",
    "  classDef perItem fill:#f4faff,stroke:#27c,stroke-dasharray:3 2",
  );
  if (cache !== undefined) {
    const used = new Set(cache.outcomes.values());
    const looks = (Object.keys(CACHE_CLASSES) as CacheLook[]).filter((l) => used.has(l));
    lines.push(`  %% cache outcomes of run ${cache.runId}: ${looks.map((l) => CACHE_CLASSES[l][2]).join("; ")}`);
    for (const look of looks) {
      const [name, fill] = CACHE_CLASSES[look];
      lines.push(`  classDef ${name} fill:${fill},stroke:#555`);
    }
    for (const { name } of items) {
      const look = cache.outcomes.get(name);
      if (look !== undefined) lines.push(`  class ${mermaidId(name)} ${CACHE_CLASSES[look][0]}`);
    }
  }
  return lines.join("\n");
}

function dotQuote(name: string): string {
  return `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function dot(items: readonly Item[], edges: readonly [string, string][], cache?: CacheColouring): string {
  const style: Record<Look, string> = {
    input: 'shape=ellipse, style=dashed, color="#6666aa"',
    "missing-optional": 'shape=ellipse, style=dotted, fontcolor="#888888"',
    override: 'shape=hexagon, style=filled, fillcolor="#ffeecc"',
    output: 'shape=box, style="filled,bold", fillcolor="#ddffdd"',
    transform: "shape=box, style=rounded",
    expand: 'shape=invtrapezium, style=filled, fillcolor="#e8f4ff"',
    collect: 'shape=trapezium, style="filled,bold", fillcolor="#e8f4ff"',
    "per-item": 'shape=box, style="rounded,dashed", color="#2277cc"',
  };
  const lines = ["digraph hamilton {", "  rankdir=LR;"];
  if (cache !== undefined) {
    const used = new Set(cache.outcomes.values());
    const looks = (Object.keys(CACHE_CLASSES) as CacheLook[]).filter((l) => used.has(l));
    lines.push(`  // cache outcomes of run ${cache.runId}: ${looks.map((l) => CACHE_CLASSES[l][2]).join("; ")}`);
  }
  for (const { name, look } of items) {
    const outcome = cache?.outcomes.get(name);
    const fill = outcome === undefined ? "" : `, style=filled, fillcolor="${CACHE_CLASSES[outcome][1]}"`;
    lines.push(`  ${dotQuote(name)} [${style[look]}${fill}];`);
  }
  for (const [from, to] of edges) lines.push(`  ${dotQuote(from)} -> ${dotQuote(to)};`);
  lines.push("}");
  return lines.join("\n");
}
