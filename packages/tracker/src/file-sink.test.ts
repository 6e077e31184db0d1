import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { FileSink } from "./file-sink.js";
import { readFileStore } from "@hamilton-ts/store";
import { HamiltonTracker } from "./tracker.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracker-file-sink-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dataflow = {
  a: ({ seed }: { seed: number }) => seed,
  b: async ({ a }: { a: number }) => {
    await new Promise((r) => setTimeout(r, a % 5));
    return a * 2;
  },
  c: async ({ a }: { a: number }) => [a, a + 1, a + 2],
  d: ({ b, c }: { b: number; c: number[] }) => b + c.length,
};

describe("FileSink: recovery", () => {
  it("recovers when its directory is deleted: makes it again, with its templates, and writes on", async () => {
    const store = join(dir, "store");
    const sink = new FileSink({ dir: store });
    await sink.write("p", [templateRecord(), runRecord("r1"), runRecord("r1", "SUCCESS")]);
    await rm(store, { recursive: true, force: true });
    // The same sink, later runs of the same graph version (its template is not sent again).
    await sink.write("p", [runRecord("r2"), nodeRecord("r2", "a"), runRecord("r2", "SUCCESS")]);
    const { templates, runs } = await readFileStore(store);
    expect(templates.map((t) => t.template.graphVersion)).toEqual(["v1"]);
    expect(runs.map((r) => [r.runId, r.finished, r.nodes.length])).toEqual([["r2", true, 1]]);
  });

  it("recovers when only a run directory is deleted", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [runRecord("r1")]);
    await rm(join(dir, "p", "runs"), { recursive: true, force: true });
    await sink.write("p", [runRecord("r1", "SUCCESS")]);
    const { runs } = await readFileStore(dir);
    expect(runs.map((r) => r.run.status)).toEqual(["SUCCESS"]);
  });

  it("delivers through a tracker after the store was deleted mid-process", async () => {
    const store = join(dir, "store");
    const tracker = new HamiltonTracker({
      projectId: "p",
      username: "u",
      dagName: "d",
      sink: new FileSink({ dir: store }),
      retryInitialDelayMs: 1,
    });
    const dr = new Builder().withModules(dataflow).withAdapters(tracker).build();
    await dr.execute(["d"], { inputs: { seed: 1 } });
    expect((await tracker.flush()).complete).toBe(true);
    await rm(store, { recursive: true, force: true });
    await dr.execute(["d"], { inputs: { seed: 2 } });
    const report = await tracker.shutdown({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ complete: true, rejected: 0 });
    expect(tracker.stats.failedWrites).toBe(0);
    const { templates, runs } = await readFileStore(store);
    expect(templates).toHaveLength(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.finished).toBe(true);
  });
});

describe("FileSink: layout", () => {
  it("writes one template file per graph version and one JSON-lines file per run, in order", async () => {
    const sink = new FileSink({ dir });
    const records = [
      templateRecord(),
      runRecord("r1"),
      nodeRecord("r1", "a", "RUNNING"),
      nodeRecord("r1", "a"),
      runRecord("r1", "SUCCESS"),
    ];
    await sink.write(7, records);
    expect(await readdir(join(dir, "7"))).toEqual(["runs", "templates"]);
    expect(await readdir(join(dir, "7", "templates"))).toEqual(["v1.json"]);
    expect(JSON.parse(await readFile(join(dir, "7", "templates", "v1.json"), "utf8"))).toEqual(records[0]);
    const lines = (await readFile(join(dir, "7", "runs", "r1.jsonl"), "utf8")).trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(records.slice(1))));
    expect(JSON.parse(lines[0]!).status).toBe("RUNNING");
    expect(JSON.parse(lines.at(-1)!).status).toBe("SUCCESS");
  });

  it("appends later batches to the same run file", async () => {
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [runRecord("r1")]);
    await sink.write("p", [nodeRecord("r1", "a")]);
    await sink.write("p", [runRecord("r1", "FAILURE")]);
    const text = await readFile(join(dir, "p", "runs", "r1.jsonl"), "utf8");
    expect(
      text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).type),
    ).toEqual(["run", "node_run", "run"]);
  });

  it("keeps hostile ids inside its directory", async () => {
    const sink = new FileSink({ dir });
    await sink.write("../escape", [runRecord("../../run")]);
    expect(await readdir(dir)).toEqual(["%2E.%2Fescape"]);
    expect(await readdir(join(dir, "%2E.%2Fescape", "runs"))).toEqual(["%2E.%2F..%2Frun.jsonl"]);
    const { runs } = await readFileStore(dir);
    expect(runs.map((r) => [r.projectId, r.runId])).toEqual([["../escape", "../../run"]]);
    // runFile names that same file.
    expect(sink.runFile("../escape", "../../run")).toBe(join(dir, "%2E.%2Fescape", "runs", "%2E.%2F..%2Frun.jsonl"));
    await readFile(sink.runFile("../escape", "../../run"), "utf8");
  });

  it("rejects (to be retried) when it cannot write, e.g. its directory is a file", async () => {
    const file = join(dir, "not-a-dir");
    await writeFile(file, "x");
    const sink = new FileSink({ dir: file });
    await expect(sink.write("p", [runRecord("r")])).rejects.toMatchObject({
      code: expect.stringMatching(/EEXIST|ENOTDIR/),
    });
  });
});

describe("FileSink: crash safety", () => {
  it("a run cut short reads back as not finished, its torn last line skipped", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [templateRecord(), runRecord("r1"), nodeRecord("r1", "a"), nodeRecord("r1", "c", "RUNNING")]);
    // The process died in the middle of writing the next line.
    await appendFile(join(dir, "p", "runs", "r1.jsonl"), '{"type":"node_run","runId":"r1","no');
    const store = await readFileStore(dir);
    expect(store.skippedLines).toBe(1);
    expect(store.templates).toHaveLength(1);
    expect(store.runs).toHaveLength(1);
    const [run] = store.runs;
    expect(run).toMatchObject({ projectId: "p", runId: "r1", finished: false, run: { status: "RUNNING" }, records: 3 });
    expect(run!.nodes.map((n) => `${n.node}:${n.status}`)).toEqual(["a:SUCCESS", "c:RUNNING"]);
  });

  it("a record written after a torn last line is kept: the torn line costs only itself", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [templateRecord(), runRecord("r1"), nodeRecord("r1", "a")]);
    // A crash mid-write (or a full disk) cut the next line; then the run goes on and finishes.
    await appendFile(join(dir, "p", "runs", "r1.jsonl"), '{"type":"node_run","runId":"r1","no');
    await sink.write("p", [nodeRecord("r1", "b"), runRecord("r1", "SUCCESS")]);
    const store = await readFileStore(dir);
    expect(store.skippedLines).toBe(1);
    const [run] = store.runs;
    expect(run).toMatchObject({ runId: "r1", finished: true, run: { status: "SUCCESS" } });
    expect(run!.nodes.map((n) => `${n.node}:${n.status}`)).toEqual(["a:SUCCESS", "b:SUCCESS"]);
  });

  it("a tracked run still in progress is on disk, readable and visibly not finished", async () => {
    const tracker = new HamiltonTracker({ projectId: "p", username: "u", dagName: "d", sink: new FileSink({ dir }) });
    let midRun: Awaited<ReturnType<typeof readFileStore>> | undefined;
    const dr = new Builder()
      .withModules({
        first: () => 1,
        second: async ({ first }: { first: number }) => {
          // What a crash at this moment would leave behind.
          await tracker.flush();
          midRun = await readFileStore(dir);
          return first + 1;
        },
      })
      .withAdapters(tracker)
      .build();
    await dr.execute(["second"]);
    expect(midRun!.runs).toHaveLength(1);
    expect(midRun!.runs[0]).toMatchObject({ finished: false, run: { status: "RUNNING" } });
    expect(midRun!.runs[0]!.nodes.map((n) => `${n.node}:${n.status}`)).toEqual(["first:SUCCESS", "second:RUNNING"]);
    await tracker.shutdown();
    const after = await readFileStore(dir);
    expect(after.runs[0]).toMatchObject({ finished: true, run: { status: "SUCCESS" } });
    expect(after.runs[0]!.nodes.map((n) => `${n.node}:${n.status}`)).toEqual(["first:SUCCESS", "second:SUCCESS"]);
  });
});

describe("FileSink: concurrency", () => {
  it("100 concurrent runs: every record is present afterwards", async () => {
    const tracker = new HamiltonTracker({
      projectId: "p",
      username: "u",
      dagName: "d",
      sink: new FileSink({ dir }),
      batchSize: 37,
    });
    const dr = new Builder().withModules(dataflow).withAdapters(tracker).build();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, seed) => dr.execute(["d"], { inputs: { seed } })),
    );
    expect(results.map((r) => r.d)).toEqual(Array.from({ length: 100 }, (_, seed) => seed * 2 + 3));
    const report = await tracker.shutdown();
    expect(report).toMatchObject({ complete: true, dropped: 0, rejected: 0 });

    const store = await readFileStore(dir);
    expect(store.skippedLines).toBe(0);
    expect(store.templates).toHaveLength(1);
    expect(store.runs).toHaveLength(100);
    for (const run of store.runs) {
      expect(run.finished).toBe(true);
      expect(run.run.status).toBe("SUCCESS");
      // 1 RUNNING + 4 nodes × (SUCCESS, after a RUNNING if a batch went out while it ran) + 1 final.
      expect(run.records).toBeGreaterThanOrEqual(6);
      expect(run.records).toBeLessThanOrEqual(10);
      expect(run.nodes.map((n) => `${n.node}:${n.status}`).sort()).toEqual([
        "a:SUCCESS",
        "b:SUCCESS",
        "c:SUCCESS",
        "d:SUCCESS",
      ]);
    }
    const seeds = store.runs.map((r) => (r.run.inputs.seed as { value: number }).value).sort((x, y) => x - y);
    expect(seeds).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const dValues = store.runs
      .map((r) => (r.nodes.find((n) => n.node === "d")!.result as { value: number }).value)
      .sort((x, y) => x - y);
    expect(dValues).toEqual(results.map((r) => r.d).sort((x, y) => x - y));
  });

  it("two trackers (two sinks) writing one store concurrently lose nothing", async () => {
    const trackers = [0, 1].map(
      (i) =>
        new HamiltonTracker({
          projectId: "shared",
          username: `u${i}`,
          dagName: "d",
          sink: new FileSink({ dir }),
          batchSize: 5,
        }),
    );
    await Promise.all(
      trackers.map((t) => {
        const dr = new Builder().withModules(dataflow).withAdapters(t).build();
        return Promise.all(Array.from({ length: 30 }, (_, seed) => dr.execute(["d"], { inputs: { seed } })));
      }),
    );
    await Promise.all(trackers.map((t) => t.shutdown()));
    const store = await readFileStore(dir, { projectId: "shared" });
    expect(store.runs).toHaveLength(60);
    expect(store.runs.every((r) => r.finished && r.records >= 6 && r.records <= 10)).toBe(true);
    expect(store.runs.every((r) => r.nodes.length === 4 && r.nodes.every((n) => n.status === "SUCCESS"))).toBe(true);
    expect(store.runs.filter((r) => r.run.username === "u0")).toHaveLength(30);
  });
});
