import { describe, expect, it } from "vitest";
import { nodeRun, templateNode } from "../test/records.js";
import { graphNodes, isFanOut, nodeStates, stateText } from "./node-state.js";
import type { NodeRun } from "./types.js";

describe("nodeStates", () => {
  it("gives each node one state: its status, node runs, and no items outside a fan-out", () => {
    const states = nodeStates([nodeRun("a"), nodeRun("b", { status: "FAILURE" })]);
    expect(states.get("a")).toEqual({ status: "SUCCESS", runs: 1, items: 0, failed: 0 });
    expect(states.get("b")).toEqual({ status: "FAILURE", runs: 1, items: 0, failed: 1 });
    expect(states.has("c")).toBe(false);
  });

  it("draws a fan-out for several task ids: items, and failed items", () => {
    const runs = ["word[0]", "word[1]", "word[2]"].map((taskId, i) =>
      nodeRun("upper", { taskId, status: i === 1 ? "FAILURE" : "SUCCESS" }),
    );
    expect(nodeStates(runs).get("upper")).toEqual({ status: "FAILURE", runs: 3, items: 3, failed: 1 });
  });

  it("draws a fan-out of one item when its one task id is indexed (`word[0]`)", () => {
    expect(nodeStates([nodeRun("upper", { taskId: "word[0]" })]).get("upper")?.items).toBe(1);
  });

  it("draws no fan-out for one plain task id: Python's dynamic execution gives every node one", () => {
    // A hamilton_sdk run with dynamic execution: each node in its own task, named by the node.
    const runs = [nodeRun("a", { taskId: "a" }), nodeRun("b", { taskId: "expand-b" })];
    const states = nodeStates(runs);
    expect(states.get("a")?.items).toBe(0);
    expect(states.get("b")?.items).toBe(0);
    expect(stateText(states.get("a"), undefined)).toBe("success");
  });

  it("counts attempts as node runs, not as items, and takes the status of the last attempt", () => {
    const runs = [nodeRun("flaky", { status: "FAILURE" }), nodeRun("flaky", { attempt: 2 })];
    // The retry succeeded, and so did the run: the node is a success.
    expect(nodeStates(runs).get("flaky")).toEqual({ status: "SUCCESS", runs: 2, items: 0, failed: 0 });
    // Whatever order the records come in.
    expect(nodeStates([...runs].reverse()).get("flaky")?.status).toBe("SUCCESS");
    const retrying = [nodeRun("flaky", { status: "FAILURE" }), nodeRun("flaky", { attempt: 2, status: "RUNNING" })];
    expect(nodeStates(retrying).get("flaky")?.status).toBe("RUNNING");
    const gaveUp = [nodeRun("flaky", { status: "FAILURE" }), nodeRun("flaky", { attempt: 2, status: "FAILURE" })];
    expect(nodeStates(gaveUp).get("flaky")).toEqual({ status: "FAILURE", runs: 2, items: 0, failed: 1 });
  });

  it("counts a fan-out's failed items by their last attempt", () => {
    const runs = [
      nodeRun("n", { taskId: "xs[0]", status: "FAILURE" }),
      nodeRun("n", { taskId: "xs[0]", attempt: 2 }),
      nodeRun("n", { taskId: "xs[1]", status: "FAILURE" }),
      nodeRun("n", { taskId: "xs[1]", attempt: 2, status: "FAILURE" }),
      nodeRun("n", { taskId: "xs[2]" }),
    ];
    expect(nodeStates(runs).get("n")).toEqual({ status: "FAILURE", runs: 5, items: 3, failed: 1 });
    expect(stateText(nodeStates(runs).get("n"), undefined)).toBe("failure · ×3 items · 1 failed");
  });

  it("is RUNNING while any node run runs, even beside failed and finished items", () => {
    const runs = [
      nodeRun("n", { taskId: "xs[0]", status: "FAILURE" }),
      nodeRun("n", { taskId: "xs[1]", status: "RUNNING", endTime: undefined }),
      nodeRun("n", { taskId: "xs[2]" }),
    ];
    expect(nodeStates(runs).get("n")?.status).toBe("RUNNING");
    expect(stateText(nodeStates(runs).get("n"), undefined)).toBe("running · ×3 items · 1 failed");
  });

  it("is FAILURE over SUCCESS, and shows a status word it does not know (a later version's) as it is", () => {
    const waiting = "WAITING" as NodeRun["status"];
    expect(nodeStates([nodeRun("n"), nodeRun("n", { status: "FAILURE" })]).get("n")?.status).toBe("FAILURE");
    expect(nodeStates([nodeRun("n", { status: waiting })]).get("n")?.status).toBe("WAITING");
    // A known status wins over an unknown one.
    expect(nodeStates([nodeRun("n", { status: waiting }), nodeRun("n")]).get("n")?.status).toBe("SUCCESS");
    expect(stateText(nodeStates([nodeRun("n", { status: waiting })]).get("n"), undefined)).toBe("waiting");
  });
});

describe("nodeStates with lost node runs", () => {
  it("shows a node run lost with its worker (UNKNOWN) over the fan-out's successes, under failures and running", () => {
    const lost = "UNKNOWN" as NodeRun["status"];
    const items = (status: NodeRun["status"]) => [
      nodeRun("n", { taskId: "n[0]" }),
      nodeRun("n", { taskId: "n[1]", status }),
    ];
    expect(nodeStates(items(lost)).get("n")?.status).toBe("UNKNOWN");
    expect(nodeStates([...items(lost), nodeRun("n", { taskId: "n[2]", status: "FAILURE" })]).get("n")?.status).toBe(
      "FAILURE",
    );
    expect(nodeStates([...items(lost), nodeRun("n", { taskId: "n[2]", status: "RUNNING" })]).get("n")?.status).toBe(
      "RUNNING",
    );
  });
});

describe("isFanOut", () => {
  it("is true for several task ids or an indexed one, false for none or one plain id", () => {
    expect(isFanOut(new Set())).toBe(false);
    expect(isFanOut(new Set(["a"]))).toBe(false);
    expect(isFanOut(new Set(["a", "b"]))).toBe(true);
    expect(isFanOut(new Set(["xs[3]"]))).toBe(true);
  });
});

describe("stateText", () => {
  it("says waiting for a node not started in a run in progress, and overridden for an overridden node", () => {
    expect(stateText(undefined, templateNode("x"), { live: true })).toBe("waiting");
    expect(stateText(undefined, templateNode("x"), { live: false })).toBe("not run");
    expect(stateText(undefined, templateNode("x"), { overrides: new Set(["x"]), live: true })).toBe("overridden");
    expect(stateText(undefined, templateNode("i", [], { classification: "input" }), { live: true })).toBe(
      "input (not a node run)",
    );
  });

  it("says not run, or input for an input node, when a node has no node run", () => {
    expect(stateText(undefined, templateNode("x"))).toBe("not run");
    expect(stateText(undefined, undefined)).toBe("not run");
    expect(stateText(undefined, templateNode("x", [], { classification: "input", kind: "input" }))).toBe(
      "input (not a node run)",
    );
  });

  it("adds items and failures for a fan-out only, with separators", () => {
    expect(stateText({ status: "SUCCESS", runs: 12_000, items: 12_000, failed: 0 }, undefined)).toBe(
      "success · ×12,000 items",
    );
    expect(stateText({ status: "FAILURE", runs: 5, items: 5, failed: 2 }, undefined)).toBe(
      "failure · ×5 items · 2 failed",
    );
    // Failed attempts of a node outside a fan-out: the status says it.
    expect(stateText({ status: "FAILURE", runs: 2, items: 0, failed: 2 }, undefined)).toBe("failure");
  });
});

describe("graphNodes", () => {
  it("is the template's nodes when there is a template", () => {
    const nodes = [templateNode("a"), templateNode("b", ["a"])];
    expect(graphNodes({ template: { nodes } as never, nodeRuns: [nodeRun("zzz")] })).toBe(nodes);
  });

  it("without a template, is one node per node-run name, in first-seen order, without edges", () => {
    const nodes = graphNodes({
      template: undefined,
      nodeRuns: [nodeRun("b", { taskId: "b[0]" }), nodeRun("a"), nodeRun("b", { taskId: "b[1]" })],
    });
    expect(nodes.map((n) => n.name)).toEqual(["b", "a"]);
    expect(nodes.every((n) => n.dependencies.length === 0 && n.classification === "transform")).toBe(true);
  });
});
