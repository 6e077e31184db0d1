import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeRecord, runRecord } from "../test/records.js";
import { FileSink } from "./file-sink.js";
import { readFileStore } from "./file-store.js";
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
    await expect(readFileStore(join(dir, "nothing-here"))).resolves.toEqual({ templates: [], runs: [], skippedLines: 0 });
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
    await sink.write(
      "p",
      [runRecord("r"), nodeRecord("r", "a", "FAILURE", { attempt: 1 }), nodeRecord("r", "a", "RUNNING", { attempt: 2 }), nodeRecord("r", "a", "SUCCESS", { attempt: 2 })],
    );
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
    await sink.write("a", [runRecord("late", "RUNNING", { startTime: 2 }), runRecord("early", "RUNNING", { startTime: 1 })]);
    await sink.write("b", [runRecord("other")]);
    expect((await readFileStore(dir, { projectId: "a" })).runs.map((r) => r.runId)).toEqual(["early", "late"]);
    expect((await readFileStore(dir)).runs).toHaveLength(3);
  });
});
