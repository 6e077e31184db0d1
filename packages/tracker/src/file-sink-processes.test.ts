import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRecord, templateRecord } from "../test/records.js";
import { readFileStore } from "./file-store.js";
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

/** Resolves when the child prints `text` on a line; rejects when it exits first (with its stderr). */
function waitFor(child: ChildProcess, text: string, output: { stdout: string; stderr: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (output.stdout.split("\n").includes(text)) resolve();
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before "${text}": ${output.stderr}`)));
    check();
  });
}

describe("FileSink: a coordinator and its workers on one run file", () => {
  it(
    "keeps every record of every process whole, large ones included: the run reads back finished, nothing skipped",
    async () => {
      const coordinator = new FileSink({ dir });
      await coordinator.write("p", [templateRecord(), runRecord("r")]);
      const workers = Array.from({ length: WORKERS }, (_, w) => {
        const output = { stdout: "", stderr: "" };
        const child = spawn(
          process.execPath,
          [join("test", "file-sink-worker.mjs"), dir, "p", "r", `w${w}`, String(RECORDS)],
          { cwd: packageDir, stdio: ["pipe", "pipe", "pipe"] },
        );
        child.stdout.setEncoding("utf8").on("data", (t: string) => (output.stdout += t));
        child.stderr.setEncoding("utf8").on("data", (t: string) => (output.stderr += t));
        return { child, output };
      });
      try {
        await Promise.all(workers.map(({ child, output }) => waitFor(child, "ready", output)));
        for (const { child } of workers) child.stdin!.write("go\n");
        await Promise.all(workers.map(({ child, output }) => waitFor(child, "done", output)));
      } finally {
        for (const { child } of workers) child.kill();
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
