/**
 * The DAG, drawn as SVG from a dagre layout computed in a Web Worker. Each node shows its name and
 * its status as a word (and colour); a node that ran once per fan-out item is drawn once with the
 * item count. dagre's time grows fast with a DAG's size (about 0.5 s for 300 nodes, 7 s for 1,000,
 * a minute for 2,000), so a DAG whose layout would cost more than `AUTO_LAYOUT_LIMIT` (nodes plus
 * the bends of edges that skip ranks) is drawn around the selected node (two steps up and down),
 * and in full only on request. What is laid out, and each node's state line, are decided without
 * the DOM in `layout-plan.ts` and `node-state.ts`.
 */
import { h, replace, svg } from "./dom.js";
import { cut, formatNumber, statusClass } from "./format.js";
import {
  dependentsOf,
  layoutRequest,
  NODE_HEIGHT,
  neighbourhood,
  nodeWidth,
  structureKey,
  tooLargeForOneLayout,
} from "./layout-plan.js";
import type { LayoutResult } from "./layout-protocol.js";
import { type NodeState, stateText } from "./node-state.js";
import type { NodeTemplate } from "./types.js";

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
    const structure = structureKey(nodes);
    if (structure === this.structure) {
      this.updateStates();
      return;
    }
    this.structure = structure;
    this.nodes = nodes;
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    this.dependents = dependentsOf(nodes);
    this.drawn.clear();
    this.canvas.replaceChildren();
    this.around = undefined;
    this.worker?.terminate();
    this.worker = undefined;
    if (nodes.length === 0) {
      this.status.textContent = "No DAG template recorded for this run.";
      return;
    }
    if (tooLargeForOneLayout(nodes)) {
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

  /** Draws the node, its inputs and its dependents, two steps each way, at most `NEIGHBOURHOOD_LIMIT` nodes. */
  private drawAround(centre: string): void {
    this.around = centre;
    const picked = neighbourhood(centre, this.byName, this.dependents);
    const nodes = this.nodes.filter((n) => picked.has(n.name));
    this.layout(nodes, `${formatNumber(nodes.length)} of ${formatNumber(this.nodes.length)} nodes around ${centre}`);
  }

  private layout(nodes: readonly NodeTemplate[], what: string): void {
    const request = layoutRequest(nodes);
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
      const width = nodeWidth(node.name);
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
