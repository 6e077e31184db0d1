import { Builder } from "@hamilton-ts/core";
import { describe, expect, it, vi } from "vitest";
import { MemorySink } from "../test/memory-sink.js";
import type { NodeRunRecord, TrackerRecord } from "./records.js";
import { HamiltonTracker } from "./tracker.js";

const nodeLines = (records: readonly TrackerRecord[]) =>
  records.filter((r): r is NodeRunRecord => r.type === "node_run").map((r) => `${r.node}:${r.status}`);

/** A promise and its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function tracker(sink: MemorySink, flushIntervalMs = 60_000) {
  return new HamiltonTracker({ projectId: "p", username: "u", dagName: "d", sink, flushIntervalMs });
}

describe("HamiltonTracker: RUNNING records of nodes still running", () => {
  it("a node still running when a batch goes out gets its RUNNING record first, then its final one", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const slow = gate();
    const started = gate();
    const dr = new Builder()
      .withModules({
        quick: () => 1,
        slow: async ({ quick }: { quick: number }) => {
          started.open();
          await slow.promise;
          return quick + 1;
        },
      })
      .withAdapters(t)
      .build();
    const run = dr.execute(["slow"]);
    await started.promise;
    await t.flush();
    // The quick node had ended: its final record alone. The slow one is running: RUNNING.
    expect(nodeLines(sink.records)).toEqual(["quick:SUCCESS", "slow:RUNNING"]);
    slow.open();
    await run;
    await t.flush();
    expect(nodeLines(sink.records)).toEqual(["quick:SUCCESS", "slow:RUNNING", "slow:SUCCESS"]);
    await t.shutdown();
  });

  it("a node that runs longer than flushIntervalMs gets its RUNNING record though nothing else happens", async () => {
    const sink = new MemorySink();
    const t = tracker(sink, 10);
    const slow = gate();
    const dr = new Builder()
      .withModules({ slow: () => slow.promise.then(() => 1) })
      .withAdapters(t)
      .build();
    const run = dr.execute(["slow"]);
    // The template, the run's start and the node's RUNNING record, sent by the interval alone.
    await sink.waitFor(3);
    expect(nodeLines(sink.records)).toEqual(["slow:RUNNING"]);
    slow.open();
    await run;
    await t.flush();
    expect(nodeLines(sink.records)).toEqual(["slow:RUNNING", "slow:SUCCESS"]);
    await t.shutdown();
  });

  it("nodes that end out of order: every RUNNING record is queued before its node's final one", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const gates = [gate(), gate(), gate()];
    const dr = new Builder()
      .withModules({
        a: () => gates[0]!.promise.then(() => 1),
        b: () => gates[1]!.promise.then(() => 2),
        c: () => gates[2]!.promise.then(() => 3),
        total: ({ a, b, c }: { a: number; b: number; c: number }) => a + b + c,
      })
      .withAdapters(t)
      .build();
    const run = dr.execute(["total"]);
    // The first started ends first: the two others are still running, so theirs go out as RUNNING.
    for (const g of gates) {
      g.open();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await run).toEqual({ total: 6 });
    await t.flush();
    const lines = nodeLines(sink.records);
    for (const node of ["a", "b", "c"]) {
      const running = lines.indexOf(`${node}:RUNNING`);
      if (running !== -1) expect(running).toBeLessThan(lines.indexOf(`${node}:SUCCESS`));
      expect(lines.filter((l) => l === `${node}:SUCCESS`)).toHaveLength(1);
    }
    expect(lines.filter((l) => l.endsWith(":RUNNING")).length).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe("total:SUCCESS");
    await t.shutdown();
  });

  it("a synchronous node's record reads the wall clock once: its end is its start plus its duration", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const modules: Record<string, (kwargs: Record<string, number>) => number> = { n_0: () => 0 };
    for (let i = 1; i < 50; i++) modules[`n_${i}`] = new Function(`return ({ n_${i - 1} }) => n_${i - 1} + 1`)();
    const dr = new Builder().withModules(modules).withAdapters(t).build();
    await dr.execute(["n_49"]); // the template and a first run: not counted
    const now = vi.spyOn(Date, "now");
    try {
      await dr.execute(["n_49"]);
      // One read per node run, and a few for the run itself; not two per node run.
      expect(now.mock.calls.length).toBeLessThan(60);
    } finally {
      now.mockRestore();
    }
    await t.flush();
    const last = sink.records.filter((r): r is NodeRunRecord => r.type === "node_run" && r.node === "n_49").at(-1)!;
    // In whole milliseconds, as the clock reads; the start is the end less the duration.
    expect(Number.isInteger(last.endTime)).toBe(true);
    expect(last.startTime).toBe(last.endTime! - last.durationMs!);
    await t.shutdown();
  });
});
