import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startReadyProcess } from "@hamilton-ts/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { readFileStore } from "@hamilton-ts/store";
import { FileSink } from "./file-sink.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORKERS = 3;
const RECORDS = 60;
/** Three processes that each start Vite and write about 6 MB: generous for a busy machine. */
const BUDGET_MS = 240_000;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracker-file-sink-processes-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("FileSink: a coordinator and its workers on one run file", () => {
  it(
    "keeps every record of every process whole, large ones included: the run reads back finished, nothing skipped",
    async () => {
      const coordinator = new FileSink({ dir });
      await coordinator.write("p", [templateRecord(), runRecord("r")]);
      const started = await Promise.allSettled(
        Array.from({ length: WORKERS }, (_, w) =>
          startReadyProcess({
            command: process.execPath,
            args: [join("test", "file-sink-worker.mjs"), dir, "p", "r", `w${w}`, String(RECORDS)],
            cwd: packageDir,
            ready: (message) => message === "ready",
            name: `worker w${w}`,
          }),
        ),
      );
      const workers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
      try {
        for (const result of started) if (result.status === "rejected") throw result.reason;
        for (const worker of workers) worker.child.send("go");
        for (const worker of workers) {
          const exit = await worker.exited;
          expect({ ...exit, done: worker.stdout().split("\n").includes("done") }, worker.output()).toEqual({
            code: 0,
            signal: null,
            done: true,
          });
        }
      } finally {
        await Promise.all(workers.map((worker) => worker.kill()));
      }
      await coordinator.write("p", [runRecord("r", "SUCCESS")]);

      const store = await readFileStore(dir);
      expect(store.skippedLines).toBe(0);
      const [run] = store.runs;
      expect(run).toMatchObject({ runId: "r", finished: true, run: { status: "SUCCESS" } });
      expect(run!.nodes).toHaveLength(WORKERS * RECORDS);
      for (const node of run!.nodes) {
        const [worker, i] = node.node.split("-");
        const value = (node.result as { value: string }).value;
        expect(value.startsWith(`${worker}:${i};`) && value.length % `${worker}:${i};`.length === 0).toBe(true);
      }
    },
    BUDGET_MS,
  );
});
