import { describe, expect, it } from "vitest";
import { IngestGate } from "./ingest-gate.js";

/** A task that runs until its `finish` is called, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    finish: () => finish(),
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

describe("IngestGate", () => {
  it("runs tasks a few at a time, first come first served", async () => {
    const gate = new IngestGate(2);
    const log: string[] = [];
    const tasks = ["a", "b", "c", "d"].map((name) => controlled(log, name));
    const results = tasks.map((t) => gate.run(() => true, t.task));
    await Promise.resolve();
    expect(log).toEqual(["start a", "start b"]);
    expect(gate.waiting).toBe(2);
    tasks[1]!.finish();
    await results[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["start a", "start b", "end b", "start c"]);
    for (const t of tasks) t.finish();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
    expect(log.filter((l) => l.startsWith("start"))).toEqual(["start a", "start b", "start c", "start d"]);
    expect(gate.waiting).toBe(0);
  });

  it("skips a task whose client has gone by its turn, and frees its slot", async () => {
    const gate = new IngestGate(1);
    const log: string[] = [];
    const first = controlled(log, "first");
    let connected = true;
    const running = gate.run(() => true, first.task);
    const skipped = gate.run(() => connected, controlled(log, "gone").task);
    const after = gate.run(
      () => true,
      async () => "after",
    );
    connected = false;
    first.finish();
    expect(await running).toBe("first");
    expect(await skipped).toBeUndefined();
    expect(await after).toBe("after");
    expect(log).toEqual(["start first", "end first"]);
  });

  it("frees the slot when a task throws", async () => {
    const gate = new IngestGate(1);
    await expect(
      gate.run(
        () => true,
        async () => Promise.reject(new Error("boom")),
      ),
    ).rejects.toThrow("boom");
    expect(
      await gate.run(
        () => true,
        async () => 1,
      ),
    ).toBe(1);
  });
});
