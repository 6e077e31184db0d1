/**
 * The graph layout, off the main thread: dagre in a Web Worker, so a large DAG never freezes the
 * page (the waterfall and the node details work while it lays out).
 */
import { Graph, layout } from "@dagrejs/dagre";
import type { LayoutRequest, LayoutResult } from "./layout-protocol.js";

self.addEventListener("message", (event: MessageEvent<LayoutRequest>) => {
  const started = performance.now();
  const { nodes, edges } = event.data;
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const [from, to] of edges) g.setEdge(from, to);
  layout(g);
  const label = g.graph();
  const result: LayoutResult = {
    width: label.width ?? 0,
    height: label.height ?? 0,
    nodes: nodes.map((n) => {
      const p = g.node(n.id);
      return { id: n.id, x: p.x ?? 0, y: p.y ?? 0 };
    }),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
    ms: performance.now() - started,
  };
  self.postMessage(result);
});
