import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { FileSink } from "./file-sink.js";
import { readFileStore } from "@hamilton-ts/store";
import { HamiltonTracker } from "./tracker.js";
import { nodeRunKey } from "./records.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracker-file-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("nodeRunKey", () => {
  it("is the node's name, or taskId-node inside a fan-out (the Hamilton UI's node_name)", () => {
    expect(nodeRunKey({ node: "page", taskId: undefined })).toBe("page");
    expect(nodeRunKey({ node: "page", taskId: "t2" })).toBe("t2-page");
  });
});

describe("readFileStore", () => {
  it("reads a missing directory as empty", async () => {
    await expect(readFileStore(join(dir, "nothing-here"))).resolves.toEqual({
      templates: [],
      runs: [],
      skippedLines: 0,
      skippedFiles: [],
    });
  });

  it("folds repeated lines (a retried batch): a final record is never replaced by RUNNING", async () => {
    const sink = new FileSink({ dir });
    const batch = [runRecord("r"), nodeRecord("r", "a", "RUNNING"), nodeRecord("r", "a"), runRecord("r", "SUCCESS")];
    await sink.write("p", batch);
    await sink.write("p", batch);
    await sink.write("p", [runRecord("r"), nodeRecord("r", "a", "RUNNING")]);
    const [run] = (await readFileStore(dir)).runs;
    expect(run).toMatchObject({ finished: true, run: { status: "SUCCESS" }, records: 10 });
    expect(run!.nodes).toHaveLength(1);
    expect(run!.nodes[0]!.status).toBe("SUCCESS");
  });

  it("keeps a node's latest attempt", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [
      runRecord("r"),
      nodeRecord("r", "a", "FAILURE", { attempt: 1 }),
      nodeRecord("r", "a", "RUNNING", { attempt: 2 }),
      nodeRecord("r", "a", "SUCCESS", { attempt: 2 }),
    ]);
    const [run] = (await readFileStore(dir)).runs;
    expect(run!.nodes).toEqual([expect.objectContaining({ attempt: 2, status: "SUCCESS" })]);
  });

  it("passes over plain files that share the store's root", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [runRecord("r")]);
    await writeFile(join(dir, "traces.jsonl"), "{}\n");
    expect((await readFileStore(dir)).runs.map((r) => r.runId)).toEqual(["r"]);
  });

  it("filters by project and orders runs by start time", async () => {
    const sink = new FileSink({ dir });
    await sink.write("a", [
      runRecord("late", "RUNNING", { startTime: 2 }),
      runRecord("early", "RUNNING", { startTime: 1 }),
    ]);
    await sink.write("b", [runRecord("other")]);
    expect((await readFileStore(dir, { projectId: "a" })).runs.map((r) => r.runId)).toEqual(["early", "late"]);
    expect((await readFileStore(dir)).runs).toHaveLength(3);
  });

  it("skips and reports what is not a store file instead of throwing", async () => {
    const sink = new FileSink({ dir });
    await sink.write("p", [templateRecord(), runRecord("r"), runRecord("r", "SUCCESS")]);
    // Stray names: not encodings (a bare %), a folder named like a run file, like a template.
    await writeFile(join(dir, "traces 100%.jsonl"), "{}\n");
    await writeFile(join(dir, "p", "runs", "traces 100%.jsonl"), "{}\n");
    await mkdir(join(dir, "p", "runs", "x.jsonl"));
    await mkdir(join(dir, "p", "templates", "y.json"));
    await writeFile(join(dir, "p", "runs", "notes.txt"), "hello\n");
    await mkdir(join(dir, "50%"));
    const store = await readFileStore(dir);
    expect(store.runs.map((r) => [r.runId, r.run.status])).toEqual([["r", "SUCCESS"]]);
    expect(store.templates).toHaveLength(1);
    const skipped = Object.fromEntries(store.skippedFiles.map((f) => [f.path.slice(dir.length + 1), f.reason]));
    expect(skipped).toEqual({
      "50%": "not a store folder name",
      [join("p", "runs", "traces 100%.jsonl")]: "not a store file name (<runId>.jsonl)",
      [join("p", "runs", "x.jsonl")]: "a folder, not a file",
      [join("p", "runs", "notes.txt")]: "not a store file name (<runId>.jsonl)",
      [join("p", "templates", "y.json")]: "a folder, not a file",
    });
  });

  it.each([
    ["a 300-character project id and run id", "p".repeat(300), "r".repeat(300), "v".repeat(300)],
    ["ids of 30 emoji", "🚀".repeat(30), "🧪".repeat(30), "🔖".repeat(30)],
  ])("stores and reads back %s under safe names", async (_what, projectId, runId, graphVersion) => {
    const sink = new FileSink({ dir });
    await sink.write(projectId, [
      templateRecord({ graphVersion }),
      runRecord(runId, "RUNNING", { graphVersion }),
      nodeRecord(runId, "a"),
      runRecord(runId, "SUCCESS", { graphVersion }),
    ]);
    const store = await readFileStore(dir);
    expect(store.skippedFiles).toEqual([]);
    expect(store.templates).toEqual([{ projectId, template: expect.objectContaining({ graphVersion }) }]);
    expect(store.runs.map((r) => [r.projectId, r.runId, r.finished, r.nodes.length])).toEqual([
      [projectId, runId, true, 1],
    ]);
    expect((await readFileStore(dir, { projectId })).runs).toHaveLength(1);
    for (const name of await readdir(dir)) expect(Buffer.byteLength(name)).toBeLessThan(255);
  });

  it("delivers a run of a tracker with a 300-character projectId (it used to fail with ENAMETOOLONG forever)", async () => {
    const projectId = "q".repeat(300);
    const tracker = new HamiltonTracker({ projectId, username: "u", dagName: "d", sink: new FileSink({ dir }) });
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(tracker)
      .build();
    await dr.execute(["a"], { inputs: {} });
    const report = await tracker.shutdown({ timeoutMs: 5_000 });
    expect(report.complete).toBe(true);
    expect(tracker.stats.failedWrites).toBe(0);
    expect((await readFileStore(dir)).runs.map((r) => r.projectId)).toEqual([projectId]);
  });
});
