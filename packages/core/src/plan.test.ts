import { describe, expect, it } from "vitest";
import { buildGraph, type Graph } from "./graph.js";
import { makePlan, slotList, type Plan } from "./plan.js";

function graphOf(module: object): Graph {
  const { graph, problems } = buildGraph([module], { config: {}, allowModuleOverrides: false });
  expect(problems).toEqual([]);
  return graph!;
}

/** A plan's per-slot lists by node name, so the test does not depend on slot numbering. */
function lists(plan: Plan, which: "consumers" | "argSlots" | "release"): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  plan.slotNode.forEach((n, s) => {
    out[n.name] = Array.from(slotList(plan[which], s), (a) => (a >= 0 ? plan.slotNode[a]!.name : String(a)));
  });
  return out;
}

describe("execution plans", () => {
  // x → a, b; a, b → c (diamond); d reads a and an absent optional input.
  const graph = graphOf({
    a: ({ x }: { x: number }) => x,
    b: ({ x }: { x: number }) => x,
    c: ({ a, b }: { a: number; b: number }) => a + b,
    d: ({ a, y = 1 }: { a: number; y?: number }) => a + y,
  });

  it("lists each node's argument slots in dependency order, -1 for an absent optional input", () => {
    const plan = makePlan(graph, ["c", "d"], [], new Set(["x"]));
    expect(lists(plan, "argSlots")).toMatchObject({ a: ["x"], b: ["x"], c: ["a", "b"], d: ["a", "-1"], x: [] });
  });

  it("lists the consumers of each slot and what each node's completion releases", () => {
    const plan = makePlan(graph, ["c", "d"], [], new Set(["x"]));
    const consumers = lists(plan, "consumers");
    expect(consumers.a!.sort()).toEqual(["c", "d"]);
    expect(consumers.b).toEqual(["c"]);
    expect(consumers.c).toEqual([]);
    // Inputs are given, not computed: nothing waits on them, but their use counts drop.
    expect(consumers.x).toEqual([]);
    const release = lists(plan, "release");
    expect(release).toMatchObject({ a: ["x"], b: ["x"], c: ["a", "b"], d: ["a"], x: [] });
    expect(plan.uses[plan.slotOf[graph.byName.get("a")!.index]!]).toBe(2);
    expect(plan.unfinishedDeps[plan.slotOf[graph.byName.get("c")!.index]!]).toBe(2);
  });

  it("plans only what the outputs need, and an override cuts the walk", () => {
    const plan = makePlan(graph, ["c"], ["a"], new Set(["x"]));
    expect(plan.slotNode.map((n) => n.name).sort()).toEqual(["a", "b", "c", "x"]);
    expect(lists(plan, "argSlots")).toMatchObject({ a: [], b: ["x"], c: ["a", "b"] });
    expect(plan.executionPath).toEqual(["b", "c"]);
  });
});
