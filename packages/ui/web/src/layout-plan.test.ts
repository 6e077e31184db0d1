import { describe, expect, it } from "vitest";
import { templateNode as node } from "../test/records.js";
import {
  AUTO_LAYOUT_LIMIT,
  dependentsOf,
  layoutCost,
  layoutRequest,
  NEIGHBOURHOOD_LIMIT,
  NODE_HEIGHT,
  neighbourhood,
  nodeWidth,
  structureKey,
  tooLargeForOneLayout,
} from "./layout-plan.js";
import type { LayoutRequest } from "./layout-protocol.js";
import type { NodeTemplate } from "./types.js";

/** A chain `n0 → n1 → … → n<length-1>`. */
function chain(length: number): NodeTemplate[] {
  return Array.from({ length }, (_, i) => node(`n${i}`, i === 0 ? [] : [`n${i - 1}`]));
}

describe("layoutCost", () => {
  it("is the node count when no edge skips a rank", () => {
    expect(layoutCost([])).toBe(0);
    expect(layoutCost(chain(5))).toBe(5);
    // A diamond: every edge spans one rank.
    expect(layoutCost([node("a"), node("b", ["a"]), node("c", ["a"]), node("d", ["b", "c"])])).toBe(4);
  });

  it("adds one bend per rank an edge skips (ranks are longest paths from the inputs)", () => {
    // a → b → c and a → c: c is at rank 2, so a → c skips one rank.
    expect(layoutCost([node("a"), node("b", ["a"]), node("c", ["a", "b"])])).toBe(4);
    // n0 … n9 a chain, and x reading n0 and n9: x at rank 10, its edge from n0 skips 9 ranks.
    expect(layoutCost([...chain(10), node("x", ["n0", "n9"])])).toBe(11 + 9);
  });

  it("ignores dependencies outside the given nodes (an input not drawn, a node outside a neighbourhood)", () => {
    expect(layoutCost([node("b", ["a"]), node("c", ["b", "missing"])])).toBe(2);
  });

  it("ranks by longest path whatever the order the nodes come in", () => {
    const nodes = [node("c", ["a", "b"]), node("b", ["a"]), node("a")];
    expect(layoutCost(nodes)).toBe(4);
  });
});

describe("the automatic layout limit", () => {
  it("lays out a DAG costing up to the limit at once, and draws a costlier one around a node", () => {
    expect(tooLargeForOneLayout(chain(AUTO_LAYOUT_LIMIT))).toBe(false);
    expect(tooLargeForOneLayout(chain(AUTO_LAYOUT_LIMIT + 1))).toBe(true);
  });

  it("counts the bends: fewer nodes than the limit can still be too many to lay out", () => {
    // 100 nodes in a chain, and 20 nodes each reading n0 and n99: each edge from n0 skips 99 ranks.
    const nodes = [...chain(100), ...Array.from({ length: 20 }, (_, i) => node(`x${i}`, ["n0", "n99"]))];
    expect(nodes.length).toBeLessThan(AUTO_LAYOUT_LIMIT);
    expect(layoutCost(nodes)).toBe(120 + 20 * 99);
    expect(tooLargeForOneLayout(nodes)).toBe(true);
  });
});

describe("neighbourhood", () => {
  // i0 → i1 → i2 → c → d1 → d2 → d3, and s → c beside i2.
  const nodes = [
    node("i0"),
    node("i1", ["i0"]),
    node("i2", ["i1"]),
    node("s"),
    node("c", ["i2", "s"]),
    node("d1", ["c"]),
    node("d2", ["d1"]),
    node("d3", ["d2"]),
  ];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const dependents = dependentsOf(nodes);

  it("is the node, its inputs and its dependents, two steps each way", () => {
    expect([...neighbourhood("c", byName, dependents)].sort()).toEqual(["c", "d1", "d2", "i1", "i2", "s"]);
    expect([...neighbourhood("i0", byName, dependents)].sort()).toEqual(["i0", "i1", "i2"]);
  });

  it("leaves out names that are not nodes of the DAG", () => {
    const withExternal = new Map(byName);
    withExternal.set("c", node("c", ["i2", "s", "not-a-node"]));
    expect(neighbourhood("c", withExternal, dependents).has("not-a-node")).toBe(false);
  });

  it("stops at the limit, the centre and its nearest first", () => {
    const hub = [node("hub"), ...Array.from({ length: 500 }, (_, i) => node(`leaf${i}`, ["hub"]))];
    const picked = neighbourhood("hub", new Map(hub.map((n) => [n.name, n])), dependentsOf(hub));
    expect(picked.size).toBe(NEIGHBOURHOOD_LIMIT);
    expect([...picked].slice(0, 3)).toEqual(["hub", "leaf0", "leaf1"]);
    expect(neighbourhood("c", byName, dependents, 3).size).toBe(3);
  });
});

describe("dependentsOf and structureKey", () => {
  it("lists each node's dependents in node order", () => {
    const deps = dependentsOf([node("a"), node("b", ["a"]), node("c", ["a", "b"])]);
    expect(deps.get("a")).toEqual(["b", "c"]);
    expect(deps.get("b")).toEqual(["c"]);
    expect(deps.has("c")).toBe(false);
  });

  it("changes with a name or a dependency, not with anything else a template carries", () => {
    const base = [node("a"), node("b", ["a"])];
    const key = structureKey(base);
    expect(structureKey([node("a", [], { source: "other" }), node("b", ["a"], { version: "v2" })])).toBe(key);
    expect(structureKey([node("a"), node("b", [])])).not.toBe(key);
    expect(structureKey([node("a"), node("bb", ["a"])])).not.toBe(key);
  });
});

describe("layoutRequest", () => {
  it("sends a box per node and an edge per dependency among the nodes, as plain data a worker can take", () => {
    const request: LayoutRequest = layoutRequest([node("a"), node("b", ["a", "outside"])]);
    expect(request).toEqual({
      nodes: [
        { id: "a", width: nodeWidth("a"), height: NODE_HEIGHT },
        { id: "b", width: nodeWidth("b"), height: NODE_HEIGHT },
      ],
      edges: [["a", "b"]],
    });
    expect(structuredClone(request)).toEqual(request);
  });

  it("makes boxes room for names up to 40 characters, and no box narrower than its short-name size", () => {
    expect(nodeWidth("a")).toBe(22 * 7 + 20);
    expect(nodeWidth("x".repeat(22))).toBe(nodeWidth("a"));
    expect(nodeWidth("x".repeat(30))).toBe(30 * 7 + 20);
    expect(nodeWidth("x".repeat(40))).toBe(40 * 7 + 20);
    expect(nodeWidth("x".repeat(200))).toBe(40 * 7 + 20);
  });
});
