// End to end: DEMO_WORKERS=2 — the start command with a local redis-server and two worker processes.
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileStore } from "@hamilton-ts/tracker";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTraceFile } from "./otlp.js";
import { DEMO_RUN_MS, demoTestTimeout, runDemo } from "./spawn-demo.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-distributed-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const ANSWERS = [0, 1, 2].map((i) => `followUpAnswer followUpQuestion[${i}]`);

describe("the demo with DEMO_WORKERS=2", () => {
  it("runs the follow-up answers on the worker processes: one trace from several processes, one run", {
    // Three processes start (the demo and two workers, each loading the sources): three runs' time.
    timeout: demoTestTimeout(3),
  }, async () => {
    const result = await runDemo(
      { DEMO_OUTPUT_DIR: dir, DEMO_WORKERS: "2", DEMO_CACHE: "off" },
      { killAfterMs: 3 * DEMO_RUN_MS },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const workers = /fan-out +2 worker processes \(pid (\d+), (\d+)\)/.exec(result.stdout);
    expect(workers).not.toBeNull();
    const workerPids = [Number(workers![1]), Number(workers![2])];
    // Which worker takes which item is BullMQ's choice (one may take all three): the trace spans
    // this process and one or both workers, and names only worker pids.
    const from = /one trace from (\d+) processes: this one \(pid (\d+)\) and the workers \(pid ([\d, ]+)\)/.exec(
      result.stdout,
    );
    expect(from).not.toBeNull();
    const tracedWorkers = from![3]!.split(", ").map(Number);
    expect(Number(from![1])).toBe(tracedWorkers.length + 1);
    expect(tracedWorkers.length).toBeGreaterThanOrEqual(1);
    for (const pid of tracedWorkers) expect(workerPids).toContain(pid);
    expect(result.stdout).toContain("Neil Armstrong"); // a follow-up answer, made on a worker

    // One trace: the workers' node spans are children of the coordinator's run span.
    const spans = await readTraceFile(join(dir, "traces.jsonl"));
    const root = spans.find((s) => s.name === "hamilton.run")!;
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    for (const name of ANSWERS) {
      const span = spans.find((s) => s.name === name)!;
      expect(span.parentSpanId).toBe(root.spanId);
      expect(workerPids).toContain(span.attributes["process.pid"]);
      // The chat span of the answer's LLM call, made on the worker, is under the answer's span.
      expect(spans.some((s) => s.parentSpanId === span.spanId && s.name.startsWith("chat "))).toBe(true);
    }

    // One run: every node run, the answers with the worker that made them.
    const store = await readFileStore(dir, { projectId: "demo" });
    expect(store.runs).toHaveLength(1);
    const run = store.runs[0]!;
    expect(run.run.status).toBe("SUCCESS");
    for (let i = 0; i < 3; i++) {
      const answer = run.nodes.find((n) => n.node === "followUpAnswer" && n.taskId === `followUpQuestion[${i}]`);
      expect(answer?.status).toBe("SUCCESS");
      expect(workerPids.map(String)).toContain(answer?.worker?.split(":").at(-1));
      expect(answer?.traceId).toBe(root.traceId);
    }
  });

  it("says what to install, and exits 2, when redis-server is not on PATH", {
    timeout: demoTestTimeout(1),
  }, async () => {
    // A PATH with node and what the tsx launcher script needs, but no redis-server.
    const bin = join(dir, "bin");
    await import("node:fs/promises").then((fs) => fs.mkdir(bin));
    await symlink(process.execPath, join(bin, "node"));
    for (const tool of ["sh", "dirname", "sed", "uname"]) {
      const found = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => existsSync(p));
      if (found !== undefined) await symlink(found, join(bin, tool));
    }
    const result = await runDemo({ DEMO_OUTPUT_DIR: dir, DEMO_WORKERS: "2", PATH: bin });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "redis-server is not on PATH: DEMO_WORKERS needs a Redis server. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or unset DEMO_WORKERS.",
    );
  });
});
