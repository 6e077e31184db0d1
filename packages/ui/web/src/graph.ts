/**
 * The DAG, drawn as SVG from a dagre layout computed in a Web Worker. Each node shows its name and
 * its status as a word (and colour); a node that ran once per fan-out item is drawn once with the
 * item count. dagre's time grows fast with a DAG's size (about 0.5 s for 300 nodes, 7 s for 1,000,
 * a minute for 2,000), so a DAG whose layout would cost more than {@link AUTO_LAYOUT_LIMIT} (nodes
 * plus the bends of edges that skip ranks) is drawn around the selected node (two steps up and
 * down), and in full only on request.
 */
import { h, replace, svg } from "./dom.js";
import { cut, formatNumber, statusClass, statusWord } from "./format.js";
import type { LayoutRequest, LayoutResult } from "./layout-protocol.js";
import type { NodeRun, NodeTemplate, Status } from "./types.js";

/** A DAG whose layout costs more than this (nodes + edge bends) is drawn around the selected node. */
export const AUTO_LAYOUT_LIMIT = 400;
/** The most nodes drawn around a selected node. */
export const NEIGHBOURHOOD_LIMIT = 150;

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
    // A fan-out's block runs once per item, each with its task id (`word[0]`, …). A single task id
    // of another form is no fan-out: Python's dynamic execution gives every node one.
    const fanOut = a.tasks.size > 1 || [...a.tasks].some((t) => t.includes("["));
    out.set(name, { status, runs: a.runs, items: fanOut ? a.tasks.size : 0, failed: a.failed });
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
  /** `full`: the whole DAG; `around`: the neighbourhood of the selected node. */
  private mode: "full" | "around" = "full";
  private dependents = new Map<string, string[]>();
  private byName = new Map<string, NodeTemplate>();
  /** The node the graph is (being) drawn around, in `around` mode. */
  private around: string | undefined;

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
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    this.dependents = new Map();
    for (const n of nodes) {
      for (const d of n.dependencies) {
        let list = this.dependents.get(d);
        if (list === undefined) this.dependents.set(d, (list = []));
        list.push(n.name);
      }
    }
    this.drawn.clear();
    this.canvas.replaceChildren();
    this.around = undefined;
    this.worker?.terminate();
    this.worker = undefined;
    if (nodes.length === 0) {
      this.status.textContent = "No DAG template recorded for this run.";
      return;
    }
    if (layoutCost(nodes) > AUTO_LAYOUT_LIMIT) {
      this.mode = "around";
      if (this.selected !== undefined) this.drawAround(this.selected);
      else this.aroundNote();
      return;
    }
    this.mode = "full";
    this.layout(nodes, `${formatNumber(nodes.length)} nodes`);
  }

  /** Highlights a node (for a large DAG: draws the graph around it). */
  select(node: string | undefined): void {
    if (this.selected !== undefined) this.drawn.get(this.selected)?.g.classList.remove("selected");
    this.selected = node;
    if (
      this.mode === "around" &&
      node !== undefined &&
      node !== this.around &&
      !this.drawn.has(node) &&
      this.byName.has(node)
    ) {
      this.drawAround(node);
      return;
    }
    if (node !== undefined) this.drawn.get(node)?.g.classList.add("selected");
  }

  private wholeButton(): HTMLButtonElement {
    return h(
      "button",
      { class: "draw", onClick: () => this.layout(this.nodes, `all ${formatNumber(this.nodes.length)} nodes`) },
      "Draw the whole graph",
    );
  }

  private aroundNote(): void {
    replace(
      this.status,
      `This DAG has ${formatNumber(this.nodes.length)} nodes, too many to lay out at once (dagre takes minutes). Select a node (in the waterfall) to draw the graph around it, or `,
      this.wholeButton(),
      ".",
    );
  }

  /** Draws the node, its inputs and its dependents, two steps each way, at most {@link NEIGHBOURHOOD_LIMIT} nodes. */
  private drawAround(centre: string): void {
    this.around = centre;
    const picked = new Set<string>([centre]);
    // Two steps up (inputs, their inputs) and two steps down (dependents, theirs).
    for (const next of [
      (name: string) => this.byName.get(name)?.dependencies ?? [],
      (name: string) => this.dependents.get(name) ?? [],
    ]) {
      let frontier = [centre];
      for (let step = 0; step < 2; step++) {
        const found: string[] = [];
        for (const name of frontier) {
          for (const other of next(name)) {
            if (picked.size >= NEIGHBOURHOOD_LIMIT) break;
            if (!picked.has(other) && this.byName.has(other)) {
              picked.add(other);
              found.push(other);
            }
          }
        }
        frontier = found;
      }
    }
    const nodes = this.nodes.filter((n) => picked.has(n.name));
    this.layout(nodes, `${formatNumber(nodes.length)} of ${formatNumber(this.nodes.length)} nodes around ${centre}`);
  }

  private layout(nodes: readonly NodeTemplate[], what: string): void {
    const names = new Set(nodes.map((n) => n.name));
    const request: LayoutRequest = {
      nodes: nodes.map((n) => ({
        id: n.name,
        width: Math.max(90, Math.min(40, Math.max(n.name.length, 22)) * CHAR_WIDTH + 20),
        height: NODE_HEIGHT,
      })),
      edges: nodes.flatMap((n) => n.dependencies.filter((d) => names.has(d)).map((d) => [d, n.name] as const)),
    };
    const stop = h("button", { class: "stop" }, "Stop");
    replace(this.status, `Laying out ${what} (dagre, off the page's thread)… `, stop);
    this.worker?.terminate();
    const worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    this.worker = worker;
    const structure = this.structure;
    stop.addEventListener("click", () => {
      worker.terminate();
      if (this.worker === worker) this.worker = undefined;
      replace(this.status, "Layout stopped. ", this.wholeButton());
    });
    worker.addEventListener("message", (event: MessageEvent<LayoutResult>) => {
      worker.terminate();
      if (this.worker === worker) this.worker = undefined;
      if (structure !== this.structure) return;
      this.draw(nodes, event.data);
      replace(
        this.status,
        `${what}, laid out by dagre in ${formatNumber(Math.round(event.data.ms))} ms. Click a node for its node run.`,
        this.mode === "around" && nodes.length < this.nodes.length ? " " : "",
        this.mode === "around" && nodes.length < this.nodes.length ? this.wholeButton() : "",
      );
    });
    worker.addEventListener("error", (event) => {
      replace(this.status, `The graph layout failed: ${event.message}`);
    });
    worker.postMessage(request);
  }

  private draw(nodes: readonly NodeTemplate[], layout: LayoutResult): void {
    this.drawn.clear();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const root = svg("svg", {
      // Small DAGs shrink to the panel's width; large ones keep their size and scroll.
      class: nodes.length <= 60 ? "dag fit" : "dag",
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
