/**
 * The DAG, drawn as SVG from a dagre layout computed in a Web Worker. Each node shows its name and
 * its status as a word (and colour); a node that ran once per fan-out item is drawn once with the
 * item count. Large DAGs are drawn on request (the layout of thousands of nodes takes seconds).
 */
import { h, replace, svg } from "./dom.js";
import { cut, formatNumber, statusClass, statusWord } from "./format.js";
import type { LayoutRequest, LayoutResult } from "./layout-protocol.js";
import type { NodeRun, NodeTemplate, Status } from "./types.js";

/** DAGs with more nodes than this are laid out only when asked (a button), not on page load. */
export const AUTO_LAYOUT_LIMIT = 1500;

/** What the graph shows of one node: its status over its node runs, and how many items ran. */
export interface NodeState {
  readonly status: Status | undefined;
  /** Node runs of this node (attempts and fan-out items included). */
  readonly runs: number;
  /** Distinct fan-out task ids (0 when the node is not inside a fan-out). */
  readonly items: number;
  readonly failed: number;
}

/** Folds node runs into one state per node name. */
export function nodeStates(nodeRuns: readonly NodeRun[]): Map<string, NodeState> {
  const acc = new Map<string, { statuses: Set<Status>; runs: number; tasks: Set<string>; failed: number }>();
  for (const r of nodeRuns) {
    let a = acc.get(r.node);
    if (a === undefined) acc.set(r.node, (a = { statuses: new Set(), runs: 0, tasks: new Set(), failed: 0 }));
    a.statuses.add(r.status);
    a.runs++;
    if (r.taskId !== undefined) a.tasks.add(r.taskId);
    if (r.status === "FAILURE") a.failed++;
  }
  const out = new Map<string, NodeState>();
  for (const [name, a] of acc) {
    const status = a.statuses.has("RUNNING")
      ? "RUNNING"
      : a.statuses.has("FAILURE")
        ? "FAILURE"
        : a.statuses.has("SUCCESS")
          ? "SUCCESS"
          : [...a.statuses][0];
    out.set(name, { status, runs: a.runs, items: a.tasks.size, failed: a.failed });
  }
  return out;
}

function stateText(state: NodeState | undefined, node: NodeTemplate | undefined): string {
  if (state === undefined) return node?.classification === "input" ? "input (not a node run)" : "not run";
  let text = statusWord(state.status);
  if (state.items > 0) text += ` · ×${formatNumber(state.items)} items`;
  if (state.items > 0 && state.failed > 0) text += ` · ${formatNumber(state.failed)} failed`;
  return text;
}

const NODE_HEIGHT = 38;
const CHAR_WIDTH = 7;

/** The graph view of a run page. */
export class DagGraph {
  /** The element to put in the page. */
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly onSelect: (node: string) => void;
  private nodes: readonly NodeTemplate[] = [];
  private states = new Map<string, NodeState>();
  private readonly drawn = new Map<string, { g: SVGGElement; state: SVGTextElement }>();
  private selected: string | undefined;
  private worker: Worker | undefined;
  private structure = "";

  constructor(onSelect: (node: string) => void) {
    this.onSelect = onSelect;
    this.status = h("div", { class: "graph-status muted" });
    this.canvas = h("div", { class: "graph-canvas" });
    this.element = h("div", { class: "graph" }, this.status, this.canvas);
  }

  /** Shows a DAG (its nodes) with the states of its node runs; lays it out again only when its structure changed. */
  setData(nodes: readonly NodeTemplate[], states: Map<string, NodeState>): void {
    this.states = states;
    const structure = nodes.map((n) => `${n.name}<${n.dependencies.join(",")}`).join(";");
    if (structure === this.structure) {
      this.updateStates();
      return;
    }
    this.structure = structure;
    this.nodes = nodes;
    this.drawn.clear();
    this.canvas.replaceChildren();
    if (nodes.length === 0) {
      this.status.textContent = "No DAG template recorded for this run.";
      return;
    }
    if (nodes.length > AUTO_LAYOUT_LIMIT) {
      replace(
        this.status,
        `This DAG has ${formatNumber(nodes.length)} nodes; laying it out takes a while (off the page's thread). `,
        h("button", { class: "draw", onClick: () => this.layout() }, "Draw the graph"),
      );
      return;
    }
    this.layout();
  }

  /** Highlights a node. */
  select(node: string | undefined): void {
    if (this.selected !== undefined) this.drawn.get(this.selected)?.g.classList.remove("selected");
    this.selected = node;
    if (node !== undefined) this.drawn.get(node)?.g.classList.add("selected");
  }

  private layout(): void {
    const nodes = this.nodes;
    const names = new Set(nodes.map((n) => n.name));
    const request: LayoutRequest = {
      nodes: nodes.map((n) => ({
        id: n.name,
        width: Math.max(90, Math.min(40, Math.max(n.name.length, 22)) * CHAR_WIDTH + 20),
        height: NODE_HEIGHT,
      })),
      edges: nodes.flatMap((n) => n.dependencies.filter((d) => names.has(d)).map((d) => [d, n.name] as const)),
    };
    replace(this.status, `Laying out ${formatNumber(nodes.length)} nodes…`);
    this.worker?.terminate();
    const worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    this.worker = worker;
    const structure = this.structure;
    worker.addEventListener("message", (event: MessageEvent<LayoutResult>) => {
      worker.terminate();
      if (this.worker === worker) this.worker = undefined;
      if (structure !== this.structure) return;
      this.draw(event.data);
      replace(
        this.status,
        `${formatNumber(nodes.length)} nodes, laid out by dagre in ${Math.round(event.data.ms)} ms. Click a node for its node run.`,
      );
    });
    worker.addEventListener("error", (event) => {
      replace(this.status, `The graph layout failed: ${event.message}`);
    });
    worker.postMessage(request);
  }

  private draw(layout: LayoutResult): void {
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    const root = svg("svg", {
      // Small DAGs shrink to the panel's width; large ones keep their size and scroll.
      class: this.nodes.length <= 60 ? "dag fit" : "dag",
      width: Math.ceil(layout.width),
      height: Math.ceil(layout.height),
      viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`,
    });
    const defs = svg("defs");
    const marker = svg("marker", {
      id: "arrow",
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
    defs.append(marker);
    root.append(defs);
    const edges = svg("g", { class: "edges" });
    for (const e of layout.edges) {
      if (e.points.length === 0) continue;
      const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
      edges.append(svg("path", { d, class: "edge", "marker-end": "url(#arrow)" }));
    }
    root.append(edges);
    const layer = svg("g", { class: "nodes" });
    for (const p of layout.nodes) {
      const node = byName.get(p.id);
      if (node === undefined) continue;
      const width = Math.max(90, Math.min(40, Math.max(node.name.length, 22)) * CHAR_WIDTH + 20);
      const g = svg("g", {
        class: "node",
        transform: `translate(${(p.x - width / 2).toFixed(1)} ${(p.y - NODE_HEIGHT / 2).toFixed(1)})`,
        "data-node": node.name,
        tabindex: 0,
        role: "button",
      });
      g.append(
        svg("rect", { width, height: NODE_HEIGHT, rx: 5, class: "box" }),
        svg("text", { x: 8, y: 15, class: "name" }, cut(node.name, 40)),
      );
      const state = svg("text", { x: 8, y: 30, class: "state" });
      g.append(state, svg("title", {}, `${node.name} (${node.kind})`));
      g.addEventListener("click", () => this.onSelect(node.name));
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") this.onSelect(node.name);
      });
      layer.append(g);
      this.drawn.set(node.name, { g, state });
    }
    root.append(layer);
    this.canvas.replaceChildren(root);
    this.updateStates();
    this.select(this.selected);
  }

  private updateStates(): void {
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    for (const [name, { g, state }] of this.drawn) {
      const s = this.states.get(name);
      g.setAttribute(
        "class",
        `node ${statusClass(s?.status)}${s !== undefined && s.items > 0 ? " fanout" : ""}${name === this.selected ? " selected" : ""}`,
      );
      state.textContent = stateText(s, byName.get(name));
    }
  }
}
