import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord } from "@hamilton-ts/testing/records";
import { storedRun } from "./read-store.js";
import { RunFold, supersedes } from "./run-fold.js";

const lines = (...records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join("");

describe("RunFold", () => {
  it("folds chunks of appended lines to the state one read of the whole file gives", () => {
    const all = [
      runRecord("r"),
      nodeRecord("r", "a", "RUNNING"),
      nodeRecord("r", "b", "RUNNING"),
      nodeRecord("r", "a", "SUCCESS"),
      nodeRecord("r", "a", "RUNNING"),
      runRecord("r", "SUCCESS"),
      runRecord("r"),
    ];
    const whole = new RunFold();
    whole.addLines(lines(...all));
    const chunked = new RunFold();
    for (const record of all) chunked.addLines(lines(record));
    expect(chunked.run).toEqual(whole.run);
    expect([...chunked.nodes.entries()]).toEqual([...whole.nodes.entries()]);
    expect(chunked.run?.status).toBe("SUCCESS");
    expect(chunked.nodes.get("a")?.status).toBe("SUCCESS");
    expect(chunked.records).toBe(7);
    expect(storedRun("p", "r", chunked)).toMatchObject({ projectId: "p", runId: "r", finished: true, records: 7 });
  });

  it("counts lines that are not records, and node lines of a file without a run record, as skipped", () => {
    const fold = new RunFold();
    fold.addLines(`not json\n${JSON.stringify({ type: "other" })}\n\n${lines(nodeRecord("r", "a"))}`);
    expect(fold.skipped).toBe(2);
    expect(fold.skippedLines).toBe(3);
    expect(storedRun("p", "r", fold)).toBeUndefined();
    fold.addLine(JSON.stringify(runRecord("r")));
    expect(fold.skippedLines).toBe(2);
    expect(storedRun("p", undefined, fold)?.nodes).toHaveLength(1);
  });

  it("keeps a node's latest attempt (supersedes)", () => {
    expect(
      supersedes(nodeRecord("r", "a", "SUCCESS", { attempt: 2 }), nodeRecord("r", "a", "RUNNING", { attempt: 1 })),
    ).toBe(false);
    const fold = new RunFold();
    fold.addLines(
      lines(
        runRecord("r"),
        nodeRecord("r", "a", "FAILURE", { attempt: 1 }),
        nodeRecord("r", "a", "RUNNING", { attempt: 2 }),
      ),
    );
    expect(fold.nodes.get("a")).toMatchObject({ attempt: 2, status: "RUNNING" });
  });

  it("keeps a task's latest delivery (taskAttempt) whatever order its lines land in", () => {
    const task = { taskId: "item[3]", worker: "h:1" };
    const first = nodeRecord("r", "a", "SUCCESS", { ...task, taskAttempt: 1 });
    const second = nodeRecord("r", "a", "SUCCESS", { ...task, worker: "h:2", taskAttempt: 2 });
    expect(supersedes(second, first)).toBe(false);
    expect(supersedes(first, second)).toBe(true);
    // The re-run's RUNNING record replaces the dead worker's final one; its final one, its RUNNING one.
    expect(supersedes(first, { ...second, status: "RUNNING" })).toBe(true);
    const fold = new RunFold();
    fold.addLines(lines(runRecord("r"), second, first, { ...first, status: "RUNNING" }));
    expect(fold.nodes.get("item[3]-a")).toMatchObject({ worker: "h:2", taskAttempt: 2 });
  });

  it("reads a node run still RUNNING in a run that ended as UNKNOWN, until a later record says how it ended", () => {
    const lost = nodeRecord("r", "a", "RUNNING", { taskId: "item[1]", worker: "h:1", taskAttempt: 1 });
    const fold = new RunFold();
    fold.addLines(lines(runRecord("r"), lost, nodeRecord("r", "b", "RUNNING"), nodeRecord("r", "b", "SUCCESS")));
    expect(fold.nodes.get("item[1]-a")?.status).toBe("RUNNING");
    fold.addLines(lines(runRecord("r", "SUCCESS")));
    expect(fold.nodes.get("item[1]-a")).toMatchObject({
      status: "UNKNOWN",
      endTime: runRecord("r", "SUCCESS").endTime,
      error: { type: "NodeRunLost" },
    });
    expect(fold.nodes.get("item[1]-a")?.error?.message).toMatch(/node run on worker h:1 was still recorded as running/);
    expect(fold.nodes.get("b")?.status).toBe("SUCCESS");
    // A RUNNING line after the run's end is read as lost too; a final one replaces it.
    fold.addLines(lines(nodeRecord("r", "c", "RUNNING")));
    expect(fold.nodes.get("c")?.status).toBe("UNKNOWN");
    fold.addLines(lines({ ...lost, status: "SUCCESS", endTime: 1 }));
    expect(fold.nodes.get("item[1]-a")?.status).toBe("SUCCESS");
    expect([...fold.nodes.values()].filter((n) => n.status === "RUNNING")).toEqual([]);
  });
});
