/**
 * The DAG, drawn as SVG from a dagre layout computed in a Web Worker. Each node shows its name and
 * its status as a word (and colour); a node that ran once per fan-out item is drawn once with the
 * item count. dagre's time grows fast with a DAG's size (about 0.5 s for 300 nodes, 7 s for 1,000,
 * a minute for 2,000), so a DAG whose layout would cost more than `AUTO_LAYOUT_LIMIT` (nodes plus
 * the bends of edges that skip ranks) is drawn around the selected node (two steps up and down),
 * and in full only on request. Each node also says what the cache did for it (`cache hit`). The
 * drawing zooms (wheel, the + and − buttons), pans (drag) and fits; a selected node outside the view
 * is brought into it. What is laid out, each node's state line and the view's changes are decided
 * without the DOM in `layout-plan.ts`, `node-state.ts` and `zoom.ts`.
 */
import { fitCacheWords } from "./cache-text.js";
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
import { type NodeState, type StateContext, stateText } from "./node-state.js";
import type { NodeTemplate } from "./types.js";
import { type Box, bringIntoView, fitView, panBy, scaleOf, type Viewport, viewBoxOf, zoomAt } from "./zoom.js";

/** What the graph shows besides the node runs' states. */
export interface GraphContext extends StateContext {
  /** Each node's cache outcome in words (`cache hit`); nodes without one are left out. */
  readonly cache?: ReadonlyMap<string, string> | undefined;
}

/** A zoom step of the + and − buttons. */
const ZOOM_STEP = 1.25;
/** The tallest the canvas grows, in CSS pixels. */
const MAX_CANVAS_HEIGHT = 460;
/** A pointer that moved more than this many pixels while down was a drag, not a click. */
const DRAG_THRESHOLD = 4;

/** The graph view of a run page. */
export class DagGraph {
  /** The element to put in the page. */
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly onSelect: (node: string) => void;
  private nodes: readonly NodeTemplate[] = [];
  private states = new Map<string, NodeState>();
  private readonly drawn = new Map<
    string,
    { g: SVGGElement; state: SVGTextElement; cache: SVGTextElement; box: Box }
  >();
  private context: GraphContext = {};
  private readonly controls: HTMLElement;
  private readonly zoomLevel: HTMLElement;
  private root: SVGSVGElement | undefined;
  private content: Box = { x: 0, y: 0, width: 1, height: 1 };
  private view: Box = { x: 0, y: 0, width: 1, height: 1 };
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
    this.zoomLevel = h("span", { class: "zoom-level muted" });
    this.controls = h(
      "div",
      { class: "graph-controls" },
      h("button", { class: "zoom-in", title: "Zoom in", onClick: () => this.zoomBy(ZOOM_STEP) }, "+"),
      h("button", { class: "zoom-out", title: "Zoom out", onClick: () => this.zoomBy(1 / ZOOM_STEP) }, "−"),
      h("button", { class: "zoom-fit", title: "Show the whole drawing", onClick: () => this.fit() }, "Fit"),
      this.zoomLevel,
    );
    this.controls.hidden = true;
    this.element = h("div", { class: "graph" }, this.status, this.controls, this.canvas);
    this.listen();
  }

  /** Wheel zooms about the pointer; a drag pans; a click that was a drag selects nothing. */
  private listen(): void {
    this.canvas.addEventListener(
      "wheel",
      (event) => {
        if (this.root === undefined) return;
        event.preventDefault();
        const rect = this.canvas.getBoundingClientRect();
        const factor = Math.exp(-Math.max(-200, Math.min(200, event.deltaY)) * 0.002);
        const fx = rect.width > 0 ? (event.clientX - rect.left) / rect.width : 0.5;
        const fy = rect.height > 0 ? (event.clientY - rect.top) / rect.height : 0.5;
        this.setView(zoomAt(this.view, this.viewport(), factor, fx, fy));
      },
      { passive: false },
    );
    let down: { x: number; y: number; view: Box; id: number } | undefined;
    let dragged = false;
    this.canvas.addEventListener("pointerdown", (event) => {
      if (this.root === undefined || event.button !== 0) return;
      down = { x: event.clientX, y: event.clientY, view: this.view, id: event.pointerId };
      dragged = false;
    });
    this.canvas.addEventListener("pointermove", (event) => {
      if (down === undefined || event.pointerId !== down.id) return;
      const dx = event.clientX - down.x;
      const dy = event.clientY - down.y;
      if (!dragged && Math.hypot(dx, dy) <= DRAG_THRESHOLD) return;
      if (!dragged) {
        dragged = true;
        this.canvas.setPointerCapture(event.pointerId);
        this.canvas.classList.add("dragging");
      }
      this.setView(panBy(down.view, this.viewport(), dx, dy));
    });
    const up = () => {
      down = undefined;
      this.canvas.classList.remove("dragging");
    };
    this.canvas.addEventListener("pointerup", up);
    this.canvas.addEventListener("pointercancel", up);
    // A drag that ends over a node is no click on it.
    this.canvas.addEventListener(
      "click",
      (event) => {
        if (dragged) {
          event.stopPropagation();
          dragged = false;
        }
      },
      true,
    );
  }

  private viewport(): Viewport {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    return { width: width > 0 ? width : 800, height: height > 0 ? height : MAX_CANVAS_HEIGHT };
  }

  private setView(view: Box): void {
    this.view = view;
    if (this.root === undefined) return;
    this.root.setAttribute("viewBox", viewBoxOf(view));
    this.zoomLevel.textContent = `${Math.round(scaleOf(view, this.viewport()) * 100)}%`;
  }

  /** Zooms about the centre of the canvas. */
  zoomBy(factor: number): void {
    if (this.root !== undefined) this.setView(zoomAt(this.view, this.viewport(), factor));
  }

  /** Shows the whole drawing (never enlarged past its natural size). */
  fit(): void {
    if (this.root !== undefined) this.setView(fitView(this.content, this.viewport()));
  }

  /** Shows a DAG (its nodes) with the states of its node runs; lays it out again only when its structure changed. */
  setData(nodes: readonly NodeTemplate[], states: Map<string, NodeState>, context: GraphContext = {}): void {
    this.states = states;
    this.context = context;
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
    this.root = undefined;
    this.controls.hidden = true;
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
    const drawn = node === undefined ? undefined : this.drawn.get(node);
    if (drawn === undefined) return;
    drawn.g.classList.add("selected");
    this.setView(bringIntoView(this.view, drawn.box));
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
    // The canvas is as tall as the drawing, up to MAX_CANVAS_HEIGHT; the view fits the drawing in it.
    this.canvas.style.height = `${Math.max(120, Math.min(MAX_CANVAS_HEIGHT, Math.ceil(layout.height) + 24))}px`;
    this.content = { x: 0, y: 0, width: Math.max(1, layout.width), height: Math.max(1, layout.height) };
    const root = svg("svg", { class: "dag", width: "100%", height: "100%" });
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
      const cache = svg("text", { x: width - 6, y: 30, class: "cache" });
      g.append(state, cache, svg("title", {}, `${node.name} (${node.kind})`));
      g.addEventListener("click", () => this.onSelect(node.name));
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") this.onSelect(node.name);
      });
      layer.append(g);
      const box = { x: p.x - width / 2, y: p.y - NODE_HEIGHT / 2, width, height: NODE_HEIGHT };
      this.drawn.set(node.name, { g, state, cache, box });
    }
    root.append(layer);
    this.canvas.replaceChildren(root);
    this.root = root;
    this.controls.hidden = false;
    this.fit();
    this.updateStates();
    this.select(this.selected);
  }

  private updateStates(): void {
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    for (const [name, { g, state, cache, box }] of this.drawn) {
      const s = this.states.get(name);
      g.setAttribute(
        "class",
        `node ${statusClass(s?.status)}${s !== undefined && s.items > 0 ? " fanout" : ""}${name === this.selected ? " selected" : ""}`,
      );
      const text = stateText(s, byName.get(name), this.context);
      state.textContent = text;
      const words = this.context.cache?.get(name) ?? "";
      // What of the state line the status leaves for the cache words (about 6 px a character).
      cache.textContent = fitCacheWords(words, Math.floor((box.width - 16) / 6.2) - text.length - 2);
      cache.setAttribute("data-words", words);
    }
  }
}
