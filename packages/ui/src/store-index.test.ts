import { appendFile, mkdir, open, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FileSink } from "@hamilton-ts/tracker";
import { readFileStore, runFile, type NodeRunRecord, type RunRecord } from "@hamilton-ts/store";
import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord } from "../test/records.js";
import { tempDir } from "../test/temp.js";
import { listRuns } from "./read-api.js";
import { StoreIndex, storeIndex } from "./store-index.js";

const run = (runId: string, status: RunRecord["status"] = "RUNNING", startTime = 1_700_000_000_000): RunRecord =>
  runRecord(runId, status, { startTime, endTime: status === "RUNNING" ? undefined : startTime + 1000 });
const node = (runId: string, name: string, status: RunRecord["status"] = "SUCCESS"): NodeRunRecord =>
  nodeRecord(runId, name, status);

const line = (record: unknown) => `${JSON.stringify(record)}\n`;

/** The index's runs and what `readFileStore` reads, in the same shape. */
async function bothReads(index: StoreIndex) {
  index.refresh();
  const store = await readFileStore(index.dir);
  return { index: index.runs(), store: store.runs, indexTemplates: index.templates(), storeTemplates: store.templates };
}

describe("StoreIndex", () => {
  it("reads what readFileStore reads, as a FileSink writes it, run by run and record by record", async () => {
    const dir = await tempDir();
    const index = new StoreIndex(dir);
    const sink = new FileSink({ dir });
    await sink.write("p", [
      { type: "dag_template", graphVersion: "v1", dagName: "dag", nodes: [] } as never,
      run("a", "RUNNING", 2),
      node("a", "x", "RUNNING"),
    ]);
    let both = await bothReads(index);
    expect(both.index).toEqual(both.store);
    expect(both.indexTemplates).toEqual(both.storeTemplates);
    await sink.write("p", [node("a", "x"), run("a", "SUCCESS", 2), run("b", "RUNNING", 1), node("b", "y", "RUNNING")]);
    await sink.write("q", [run("c", "FAILURE", 3), node("c", "z", "FAILURE")]);
    both = await bothReads(index);
    expect(both.index).toEqual(both.store);
    expect(both.index.map((r) => `${r.runId}:${r.run.status}`)).toEqual(["b:RUNNING", "a:SUCCESS", "c:FAILURE"]);
  });

  it("reads only the bytes appended since it last looked (listRuns on a directory keeps its index)", async () => {
    const dir = await tempDir();
    const path = runFile(dir, "p", "r");
    await mkdir(join(path, ".."), { recursive: true });
    const first = line(run("r"));
    await writeFile(path, first);
    expect((await listRuns(dir)).map((r) => r.runId)).toEqual(["r"]);
    // Bytes already read are overwritten in place (same length) and a line is appended: a reader
    // that reads the whole file again would see the run's first line as garbage.
    const file = await open(path, "r+");
    await file.write("#".repeat(first.length - 1), 0);
    await file.close();
    await appendFile(path, line(node("r", "x")));
    expect((await listRuns(dir)).map((r) => [r.runId, r.nodeCount])).toEqual([["r", 1]]);
    expect((await readFileStore(dir)).runs).toEqual([]);
  });

  it("waits for the newline of a torn last line, reads a shrunk or replaced file again, drops a deleted one", async () => {
    const dir = await tempDir();
    const path = runFile(dir, "p", "r");
    await mkdir(join(path, ".."), { recursive: true });
    const nodeLine = line(node("r", "x"));
    await writeFile(path, line(run("r")) + nodeLine.slice(0, 20));
    const index = new StoreIndex(dir);
    index.refresh();
    expect(index.runs()[0]!.nodes).toEqual([]);
    expect(index.status().skippedLines).toBe(1);
    await appendFile(path, nodeLine.slice(20));
    index.refresh();
    expect(index.runs()[0]!.nodes.map((n) => n.node)).toEqual(["x"]);
    expect(index.status().skippedLines).toBe(0);

    // Shrunk: only the run record is left.
    await truncate(path, line(run("r")).length);
    index.refresh();
    expect(index.runs()[0]!.nodes).toEqual([]);

    // Replaced (write-then-rename) by a file of another run state, longer than before.
    await writeFile(`${path}.new`, line(run("r", "SUCCESS")) + line(node("r", "y")) + line(node("r", "z")));
    await rename(`${path}.new`, path);
    index.refresh();
    expect(index.runs()[0]!.run.status).toBe("SUCCESS");
    expect(index.runs()[0]!.nodes.map((n) => n.node)).toEqual(["y", "z"]);

    await rm(path);
    index.refresh();
    expect(index.runs()).toEqual([]);
    await rm(dir, { recursive: true });
    index.refresh();
    expect(index.status()).toMatchObject({ runs: 0, templates: 0, skippedFiles: [] });
  });

  it("counts a version that grows, and tells listeners, only when the store changed", async () => {
    const dir = await tempDir();
    const index = new StoreIndex(dir);
    const seen: number[] = [];
    const off = index.onChange((v) => seen.push(v));
    const v0 = index.refresh();
    const sink = new FileSink({ dir });
    await sink.write("p", [run("r")]);
    const v1 = index.refresh();
    expect(v1).toBe(v0 + 1);
    expect(index.refresh()).toBe(v1);
    await sink.write("p", [node("r", "x")]);
    expect(index.refresh()).toBe(v1 + 1);
    expect(seen).toEqual([v1, v1 + 1]);
    off();
    await sink.write("p", [run("r", "SUCCESS")]);
    index.refresh();
    expect(seen).toHaveLength(2);
  });

  it("indexes the trace file as it grows: each span id once, a torn line waiting for its newline", async () => {
    const dir = await tempDir();
    const span = (spanId: string, name: string) => ({
      traceId: "AB".repeat(16),
      spanId,
      name,
      startTimeUnixNano: "1700000000000000000",
      endTimeUnixNano: "1700000000500000000",
    });
    const request = (...spans: unknown[]) => line({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
    const path = join(dir, "traces.jsonl");
    await writeFile(path, request(span("01".repeat(8), "run")));
    const index = new StoreIndex(dir);
    index.refresh();
    await index.refreshTraces();
    expect((await index.trace("ab".repeat(16))).map((s) => s.name)).toEqual(["run"]);
    const next = request(span("01".repeat(8), "again"), span("02".repeat(8), "node"));
    await appendFile(path, next.slice(0, 30));
    index.refresh();
    await index.refreshTraces();
    expect(index.status().skippedTraceLines).toBe(1);
    await appendFile(path, `${next.slice(30)}not json\n`);
    index.refresh();
    await index.refreshTraces();
    expect((await index.trace("ab".repeat(16))).map((s) => s.name)).toEqual(["run", "node"]);
    expect(index.status().skippedTraceLines).toBe(1);
  });

  it("is shared by the read API's functions of a directory: a run another process writes is listed on the next call", async () => {
    const dir = await tempDir();
    expect(storeIndex(dir)).toBe(storeIndex(join(dir, ".")));
    const before = storeIndex(dir).version;
    expect(await listRuns(dir)).toEqual([]);
    await new FileSink({ dir }).write("p", [run("r"), node("r", "x", "RUNNING")]);
    expect(await listRuns(dir)).toEqual([expect.objectContaining({ runId: "r", nodeCount: 1, status: "RUNNING" })]);
    expect(storeIndex(dir).version).toBeGreaterThan(before);
  });
});
