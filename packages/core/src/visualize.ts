import type { Plan } from "./plan.js";

/** Output format of `visualizeExecution`. */
export type VisualizationFormat = "mermaid" | "dot";

type Role = "input" | "missing-optional" | "override" | "output" | "transform";

interface Item {
  readonly name: string;
  readonly role: Role;
}

/**
 * Renders the part of the graph an execution touches: computed nodes, the inputs and overrides
 * they read, and the requested outputs, each drawn differently.
 */
export function renderExecution(plan: Plan, format: VisualizationFormat): string {
  const outputs = new Set<number>(Array.from(plan.outputSlots));
  const givenOverride = new Map(plan.given.map((g) => [g.slot, g.override]));
  const items: Item[] = plan.slotNode.map((n, slot) => {
    let role: Role;
    if (givenOverride.get(slot) === true) role = "override";
    else if (outputs.has(slot)) role = "output";
    else if (n.fn === undefined) role = givenOverride.has(slot) ? "input" : "missing-optional";
    else role = "transform";
    return { name: n.name, role };
  });
  const edges: Array<[string, string]> = [];
  for (const slot of plan.compute) {
    const n = plan.slotNode[slot]!;
    for (const a of plan.argSlots[slot]!) if (a !== -1) edges.push([plan.slotNode[a]!.name, n.name]);
  }
  return format === "dot" ? dot(items, edges) : mermaid(items, edges);
}

function mermaidId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

function mermaid(items: readonly Item[], edges: readonly [string, string][]): string {
  const lines = ["flowchart LR"];
  for (const { name, role } of items) {
    const id = mermaidId(name);
    const label = name.replace(/"/g, "#quot;");
    switch (role) {
      case "input":
      case "missing-optional":
        lines.push(`  ${id}(["${label}"]):::${role === "input" ? "input" : "optional"}`);
        break;
      case "override":
        lines.push(`  ${id}{{"${label}"}}:::override`);
        break;
      case "output":
        lines.push(`  ${id}[["${label}"]]:::output`);
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
  );
  return lines.join("\n");
}

function dotQuote(name: string): string {
  return `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function dot(items: readonly Item[], edges: readonly [string, string][]): string {
  const style: Record<Role, string> = {
    input: 'shape=ellipse, style=dashed, color="#6666aa"',
    "missing-optional": 'shape=ellipse, style=dotted, fontcolor="#888888"',
    override: 'shape=hexagon, style=filled, fillcolor="#ffeecc"',
    output: 'shape=box, style="filled,bold", fillcolor="#ddffdd"',
    transform: "shape=box, style=rounded",
  };
  const lines = ["digraph hamilton {", "  rankdir=LR;"];
  for (const { name, role } of items) lines.push(`  ${dotQuote(name)} [${style[role]}];`);
  for (const [from, to] of edges) lines.push(`  ${dotQuote(from)} -> ${dotQuote(to)};`);
  lines.push("}");
  return lines.join("\n");
}
