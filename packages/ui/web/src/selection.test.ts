import { describe, expect, it } from "vitest";
import { nodeRun } from "../test/records.js";
import { nodeKey, nodeLink, pickNodeRun, readSelection, spanLink } from "./selection.js";

describe("links and what they select", () => {
  it("round-trip a node, a fan-out item and a retry, odd characters included", () => {
    expect(readSelection(nodeLink("a"))).toEqual({ kind: "node", node: "a", task: undefined, attempt: 1 });
    const link = nodeLink("upper case&#=", "words[3] & more#", 2);
    expect(link.startsWith("#")).toBe(true);
    expect(link.slice(1)).not.toMatch(/#/);
    expect(readSelection(link)).toEqual({ kind: "node", node: "upper case&#=", task: "words[3] & more#", attempt: 2 });
  });

  it("leave out the first attempt, so a plain node link and its first node run's key agree", () => {
    expect(nodeLink("a", undefined, 1)).toBe("#node=a");
    expect(nodeKey(nodeRun("a"))).toBe("node=a");
    expect(nodeKey(nodeRun("a", { taskId: "xs[0]", attempt: 3 }))).toBe("node=a&task=xs%5B0%5D&attempt=3");
  });

  it("select a span over a node, and nothing from an empty or foreign fragment", () => {
    expect(readSelection(spanLink("00f067aa0ba902b7"))).toEqual({ kind: "span", span: "00f067aa0ba902b7" });
    expect(readSelection("#node=a&span=s1")).toEqual({ kind: "span", span: "s1" });
    expect(readSelection("")).toEqual({ kind: "none" });
    expect(readSelection("#top")).toEqual({ kind: "none" });
    expect(readSelection("node=a")).toMatchObject({ kind: "node", node: "a" });
  });
});

describe("pickNodeRun", () => {
  const first = nodeRun("n", { taskId: "xs[0]", status: "FAILURE" });
  const retry = nodeRun("n", { taskId: "xs[0]", attempt: 2 });
  const other = nodeRun("n", { taskId: "xs[1]" });
  const siblings = [first, retry, other];

  it("picks the item's attempt, else the item's first node run", () => {
    expect(pickNodeRun(siblings, "xs[0]", 2)).toBe(retry);
    expect(pickNodeRun(siblings, "xs[0]", 1)).toBe(first);
    expect(pickNodeRun(siblings, "xs[0]", 9)).toBe(first);
    expect(pickNodeRun(siblings, "xs[1]", 1)).toBe(other);
  });

  it("picks the node's first node run when no task is named, and none for a task it does not have", () => {
    expect(pickNodeRun(siblings, undefined, 1)).toBe(first);
    expect(pickNodeRun(siblings, "xs[7]", 1)).toBeUndefined();
    expect(pickNodeRun([], undefined, 1)).toBeUndefined();
  });

  it("picks a retry of a node outside a fan-out by its attempt", () => {
    const a1 = nodeRun("a", { status: "FAILURE" });
    const a2 = nodeRun("a", { attempt: 2 });
    expect(pickNodeRun([a1, a2], undefined, 2)).toBe(a2);
  });
});
