import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { Builder, collect, NodeExecutionError, parallelize, type NodeContext } from "@hamilton-ts/core";
import { type LifecycleAdapter, type NodeExecutionResultEvent, SHARED_TRACE_ID } from "@hamilton-ts/lifecycle";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { MemorySink } from "../test/memory-sink.js";
import { calls } from "@hamilton-ts/testing";
import type { HamiltonTrackerOptions } from "./options.js";
import type { NodeRunRecord, RunRecord, TrackerRecord } from "./records.js";
import { HamiltonTracker } from "./tracker.js";

function tracker(sink: MemorySink, over: Partial<HamiltonTrackerOptions> = {}) {
  return new HamiltonTracker({
    projectId: "proj",
    username: "ada@example.com",
    dagName: "qa",
    tags: { team: "search" },
    sink,
    retryInitialDelayMs: 2,
    retryMaxDelayMs: 10,
    // Content is asserted: a time budget a loaded machine cannot exhaust.
    summaryLimits: { timeBudgetMs: 60_000 },
    ...over,
  });
}

const nodesOf = (records: readonly TrackerRecord[], name?: string) =>
  records.filter((r): r is NodeRunRecord => r.type === "node_run" && (name === undefined || r.node === name));
const runsOf = (records: readonly TrackerRecord[]) => records.filter((r): r is RunRecord => r.type === "run");

const dataflow = {
  question: ({ topic }: { topic: string }) => `What is ${topic}?`,
  answer: async ({ question, model }: { question: string; model: string }) => `${model} says: ${question}`,
  words: ({ answer }: { answer: string }) => answer.split(" ").length,
};

describe("HamiltonTracker: a successful run", () => {
  it("records the template, the run RUNNING → SUCCESS and every node's final record, in order", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m1" }).withAdapters(t).build();
    const before = Date.now();
    const out = await dr.execute(["words", "answer"], { inputs: { topic: "TS" } });
    const after = Date.now();
    expect(out).toEqual({ words: 5, answer: "m1 says: What is TS?" });
    expect((await t.flush()).complete).toBe(true);
    const records = sink.records;

    expect(records[0]).toMatchObject({
      type: "dag_template",
      dagName: "qa",
      graphVersion: dr.graph.version,
      tags: { team: "search" },
    });
    expect(records.filter((r) => r.type === "dag_template")).toHaveLength(1);

    const [start, end] = runsOf(records);
    expect(start).toMatchObject({
      status: "RUNNING",
      dagName: "qa",
      username: "ada@example.com",
      graphVersion: dr.graph.version,
      finalVars: ["words", "answer"],
      // Config is recorded once, under config, not again among the inputs.
      inputs: { topic: { kind: "string", preview: "TS" } },
      config: { model: { kind: "string", preview: "m1" } },
      tags: { team: "search" },
      endTime: undefined,
    });
    expect(Object.keys(start!.inputs)).toEqual(["topic"]);
    expect(end).toMatchObject({
      runId: start!.runId,
      status: "SUCCESS",
      startTime: start!.startTime,
      error: undefined,
    });
    // Times are the wall clock's, within the execute call.
    expect(start!.startTime).toBeGreaterThanOrEqual(before);
    expect(end!.endTime).toBeLessThanOrEqual(after);

    // Each node ended before a batch went out: its final record alone (a RUNNING one was not needed).
    for (const name of ["question", "answer", "words"]) {
      const [done, ...more] = nodesOf(records, name);
      expect(more).toEqual([]);
      expect(done).toMatchObject({
        runId: start!.runId,
        status: "SUCCESS",
        attempt: 1,
        taskId: undefined,
        error: undefined,
      });
      expect(done!.startTime).toBeGreaterThanOrEqual(before - 1);
      expect(done!.endTime).toBeLessThanOrEqual(after);
    }
    expect(nodesOf(records, "words")[0]!.result).toEqual({ kind: "primitive", type: "number", value: 5 });
    expect(nodesOf(records, "answer")[0]!.result).toMatchObject({ kind: "string", preview: "m1 says: What is TS?" });

    // Order: template, run start, node records, run end last.
    const runStart = records.indexOf(start!);
    const runEnd = records.indexOf(end!);
    expect(runStart).toBe(1);
    expect(runEnd).toBe(records.length - 1);
    await t.shutdown();
  });

  it("records the time a node and its run took: a node awaiting a 30 ms timer took at least 25 ms", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        quick: () => 1,
        slow: async ({ quick }: { quick: number }) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return quick + 1;
        },
      })
      .withAdapters(t)
      .build();
    const before = Date.now();
    await dr.execute(["slow"]);
    const after = Date.now();
    await t.flush();
    const [done] = nodesOf(sink.records, "slow");
    expect(done!.durationMs).toBeGreaterThanOrEqual(25);
    expect(done!.endTime).toBeGreaterThanOrEqual(before + 25);
    expect(done!.endTime).toBeLessThanOrEqual(after);
    // The final record's start is the node's (its end less its duration, within a clock tick).
    expect(done!.startTime).toBeGreaterThanOrEqual(before - 1);
    expect(done!.startTime).toBeLessThanOrEqual(done!.endTime! - 25);
    // The quick node ended before the slow one started (within a clock tick).
    expect(nodesOf(sink.records, "quick")[0]!.endTime).toBeLessThanOrEqual(done!.startTime + 1);
    const [, end] = runsOf(sink.records);
    expect(end!.durationMs).toBeGreaterThanOrEqual(25);
    expect(end!.startTime).toBeGreaterThanOrEqual(before);
    expect(end!.endTime).toBeGreaterThanOrEqual(end!.startTime + 25);
    expect(end!.endTime).toBeLessThanOrEqual(after);
    await t.shutdown();
  });

  it("records a run it only saw end (added mid-run) like any other: config under config, not inputs", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m1" }).build();
    const event = {
      runId: "late-run",
      graph: dr.graph,
      finalVars: ["words"],
      inputs: { topic: "tea", model: "m1" }, // the caller's inputs merged with config, as the engine gives them
      overrides: {},
      executionPath: ["question", "answer", "words"],
      attributes: {},
      success: true,
      error: undefined,
      results: { words: 4 },
      durationMs: 12,
    };
    t.afterGraphExecution(event);
    await t.flush();
    const runs = runsOf(sink.records);
    expect(runs).toHaveLength(1); // only its end was seen
    const run = runs[0]!;
    expect(run).toMatchObject({ runId: "late-run", status: "SUCCESS", durationMs: 12, graphVersion: dr.graph.version });
    expect(Object.keys(run.inputs)).toEqual(["topic"]);
    expect(Object.keys(run.config)).toEqual(["model"]);
    expect(run.startTime).toBe(run.endTime! - 12);
    await t.shutdown();
  });

  it("records a template once per graph version, even across drivers", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const a = new Builder().withModules(dataflow).withAdapters(t).build();
    const b = new Builder().withModules(dataflow).withAdapters(t).build();
    const other = new Builder()
      .withModules({ x: () => 1 })
      .withAdapters(t)
      .build();
    await a.execute(["question"], { inputs: { topic: "1" } });
    await b.execute(["question"], { inputs: { topic: "2" } });
    await other.execute(["x"]);
    await t.flush();
    const templates = sink.records.filter((r) => r.type === "dag_template");
    expect(templates.map((r) => r.graphVersion)).toEqual([a.graph.version, other.graph.version]);
    expect(runsOf(sink.records).filter((r) => r.status === "SUCCESS")).toHaveLength(3);
    await t.shutdown();
  });

  it("records each task of a fan-out with its taskId", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        item: parallelize(({ items }: { items: number[] }) => items),
        doubled: ({ item }: { item: number }) => item * 2,
        all: collect(({ doubled }: { doubled: number[] }) => doubled),
      })
      .withAdapters(t)
      .build();
    expect(await dr.execute(["all"], { inputs: { items: [1, 2, 3] } })).toEqual({ all: [2, 4, 6] });
    await t.flush();
    const doubled = nodesOf(sink.records, "doubled").filter((r) => r.status === "SUCCESS");
    expect(doubled).toHaveLength(3);
    expect(new Set(doubled.map((r) => r.taskId)).size).toBe(3);
    expect(doubled.every((r) => typeof r.taskId === "string")).toBe(true);
    expect(nodesOf(sink.records, "all").at(-1)!.result).toMatchObject({
      kind: "numeric_array",
      count: 3,
      min: 2,
      max: 6,
    });
    await t.shutdown();
  });
});

describe("HamiltonTracker: a failing run", () => {
  it("records the node FAILURE with message and stack, and the run FAILURE", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        a: () => 2,
        b: ({ a }: { a: number }) => {
          throw new TypeError(`b got ${a}, wanted a string`);
        },
      })
      .withAdapters(t)
      .build();
    const error = await dr.execute(["b"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    await t.flush();
    const failed = nodesOf(sink.records, "b").at(-1)!;
    expect(failed).toMatchObject({
      status: "FAILURE",
      result: undefined,
      error: { type: "TypeError", message: "b got 2, wanted a string" },
    });
    expect(failed.error!.stack).toContain("tracker.test.ts");
    expect(nodesOf(sink.records, "a").at(-1)).toMatchObject({ status: "SUCCESS" });
    const end = runsOf(sink.records).at(-1)!;
    expect(end.status).toBe("FAILURE");
    expect(end.error!.message).toContain("b");
    expect(end.error!.cause).toMatchObject({ type: "TypeError", message: "b got 2, wanted a string" });
    await t.shutdown();
  });

  it("has every node's record before the run's final one when execute rejects, also for nodes still running then", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        // Still running when `fails` fails; stops when its signal fires.
        slow: (_: unknown, ctx: { signal: AbortSignal }) =>
          new Promise<string>((resolve) => ctx.signal.addEventListener("abort", () => resolve("late"))),
        fails: async () => {
          throw new Error("early failure");
        },
      })
      .withAdapters(t)
      .build();
    const error = await dr.execute(["slow", "fails"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    // execute settles only once the run is over for every adapter: the final record is there.
    await t.flush();
    const slow = nodesOf(sink.records, "slow").at(-1)!;
    expect(slow).toMatchObject({ status: "SUCCESS", result: { kind: "string", preview: "late" } });
    const end = runsOf(sink.records).at(-1)!;
    expect(end.status).toBe("FAILURE");
    expect(sink.records.indexOf(slow)).toBeLessThan(sink.records.indexOf(end));
    await t.shutdown();
  });

  it("records each attempt of a retried node", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const retry: LifecycleAdapter = {
      async wrapNodeExecution(_event, next) {
        try {
          return await next();
        } catch {
          return next();
        }
      },
    };
    let calls = 0;
    const dr = new Builder()
      .withModules({
        flaky: () => {
          if (calls++ === 0) throw new Error("first try fails");
          return "ok";
        },
      })
      .withAdapters(retry, t)
      .build();
    expect(await dr.execute(["flaky"])).toEqual({ flaky: "ok" });
    await t.flush();
    expect(nodesOf(sink.records, "flaky").map((r) => `${r.attempt}:${r.status}`)).toEqual(["1:FAILURE", "2:SUCCESS"]);
    await t.shutdown();
  });
});

describe("HamiltonTracker: secrets", () => {
  it("redacts an input named apiKey and never serialises an OpenAI client result", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123";
    const dr = new Builder()
      .withModules({
        llmClient: ({ apiKey }: { apiKey: string }) => new OpenAI({ apiKey, baseURL: "http://127.0.0.1:9/v1" }),
        keyLength: ({ apiKey }: { apiKey: string }) => apiKey.length,
        settings: ({ apiKey }: { apiKey: string }) => ({ apiKey, retries: 3 }),
      })
      .withAdapters(t)
      .build();
    const out = await dr.execute(["llmClient", "keyLength", "settings"], { inputs: { apiKey: KEY } });
    expect(out.llmClient).toBeInstanceOf(OpenAI);
    await t.flush();
    const text = JSON.stringify(sink.records);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("abcdefghijklmnop");
    expect(runsOf(sink.records)[0]!.inputs).toEqual({ apiKey: { kind: "redacted" } });
    expect(nodesOf(sink.records, "llmClient").at(-1)!.result).toEqual({ kind: "instance", type: "OpenAI" });
    expect(nodesOf(sink.records, "settings").at(-1)!.result).toMatchObject({
      entries: { apiKey: { kind: "redacted" }, retries: { value: 3 } },
    });
    await t.shutdown();
  });

  it("redacts the whole result of a node whose name looks like a secret, in every run, beside secret-free graphs", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const secretive = new Builder()
      .withModules({
        sessionToken: () => "plain-opaque-value",
        tokenLength: async ({ sessionToken }: { sessionToken: string }) => sessionToken.length,
      })
      .withAdapters(t)
      .build();
    const open = new Builder()
      .withModules({ greeting: async () => "plain-visible-value" })
      .withAdapters(t)
      .build();
    // Runs of both graphs at once, then one after the other.
    await Promise.all([secretive.execute(["tokenLength"]), open.execute(["greeting"])]);
    await open.execute(["greeting"]);
    await secretive.execute(["tokenLength"]);
    await t.flush();
    // (The template holds the node's source, literal included: code, not a value.)
    expect(JSON.stringify(nodesOf(sink.records))).not.toContain("plain-opaque-value");
    const tokens = nodesOf(sink.records, "sessionToken").filter((r) => r.status === "SUCCESS");
    expect(tokens.map((r) => r.result)).toEqual([{ kind: "redacted" }, { kind: "redacted" }]);
    const lengths = nodesOf(sink.records, "tokenLength").filter((r) => r.status === "SUCCESS");
    expect(lengths.map((r) => r.result)).toEqual([
      { kind: "primitive", type: "number", value: 18 },
      { kind: "primitive", type: "number", value: 18 },
    ]);
    const greetings = nodesOf(sink.records, "greeting").filter((r) => r.status === "SUCCESS");
    expect(greetings.map((r) => r.result)).toMatchObject([
      { kind: "string", preview: "plain-visible-value" },
      { kind: "string", preview: "plain-visible-value" },
    ]);
    await t.shutdown();
  });

  it("redacts secret config values in the run and the template", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({ x: ({ db_password }: { db_password: string }) => db_password.length })
      .withConfig({ db_password: "hunter2" })
      .withAdapters(t)
      .build();
    await dr.execute(["x"]);
    await t.flush();
    expect(JSON.stringify(sink.records)).not.toContain("hunter2");
    expect(runsOf(sink.records)[0]!.config).toEqual({ db_password: { kind: "redacted" } });
    await t.shutdown();
  });
});

describe("HamiltonTracker: the engine's cache", () => {
  it("stores the cache outcome in node run records; a hit still has its records and replayed warnings", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracker-cache-"));
    let runs = 0;
    const modules = {
      ...dataflow,
      words: ({ answer }: { answer: string }, ctx: NodeContext) => {
        runs++;
        ctx.warn("counted roughly");
        return answer.split(" ").length;
      },
    };
    const execute = async (sink: MemorySink) => {
      const t = tracker(sink);
      const dr = new Builder()
        .withModules(modules)
        .withConfig({ model: "m" })
        .withAdapters(t)
        .withCache({ dir })
        .build();
      await dr.execute(["words"], { inputs: { topic: "x" } });
      await t.shutdown();
    };
    const first = new MemorySink();
    await execute(first);
    const second = new MemorySink();
    await execute(second);
    expect(runs).toBe(1);
    expect(nodesOf(first.records).map((r) => [r.node, r.status, r.cache])).toEqual([
      ["question", "SUCCESS", "miss"],
      ["answer", "SUCCESS", "miss"],
      ["words", "SUCCESS", "miss"],
    ]);
    const hits = nodesOf(second.records).filter((r) => r.status === "SUCCESS");
    expect(hits.map((r) => [r.node, r.cache])).toEqual([
      ["question", "hit"],
      ["answer", "hit"],
      ["words", "hit"],
    ]);
    const words = hits.find((r) => r.node === "words")!;
    expect(words.warnings).toEqual(["counted roughly"]);
    expect(words.result).toMatchObject({ type: "number" });
    const plain = new MemorySink();
    const t = tracker(plain);
    await new Builder()
      .withModules(modules)
      .withConfig({ model: "m" })
      .withAdapters(t)
      .build()
      .execute(["words"], {
        inputs: { topic: "x" },
      });
    await t.shutdown();
    expect(nodesOf(plain.records).every((r) => r.cache === undefined && !JSON.stringify(r).includes("cache"))).toBe(
      true,
    );
  });
});

describe("HamiltonTracker: trace link", () => {
  it("stores the trace_id/span_id an adapter placed before it left in the node event's attributes", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    let n = 0;
    // Stands in for the OpenTelemetry tracer: a wrapper (outermost, being first) that makes a span
    // current for the node and leaves its ids for the other adapters before the observers run.
    const fakeTracer: LifecycleAdapter = {
      wrapNodeExecution(event, next) {
        n++;
        event.attributes.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        event.attributes.span_id = `00f067aa0ba902b${n}`;
        return next();
      },
    };
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(fakeTracer, t).build();
    await dr.execute(["words"], { inputs: { topic: "x" } });
    await t.flush();
    const done = nodesOf(sink.records).filter((r) => r.status === "SUCCESS");
    expect(done).toHaveLength(3);
    for (const record of nodesOf(sink.records)) {
      expect(record.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(record.spanId).toMatch(/^00f067aa0ba902b[123]$/);
    }
    expect(new Set(done.map((r) => r.spanId)).size).toBe(3);
    await t.shutdown();
  });

  it("leaves them undefined when no adapter set them, or set non-strings", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const odd: LifecycleAdapter = {
      wrapNodeExecution(event, next) {
        event.attributes.trace_id = 42;
        return next();
      },
    };
    await new Builder()
      .withModules({ x: () => 1 })
      .withAdapters(odd, t)
      .build()
      .execute(["x"]);
    await t.flush();
    expect(nodesOf(sink.records).every((r) => r.traceId === undefined && r.spanId === undefined)).toBe(true);
    await t.shutdown();
  });
});

describe("HamiltonTracker: never in the pipeline's way", () => {
  /** An event that throws on every read: stands for a bug in the tracker's own work on it. */
  const hostile = new Proxy(
    {},
    {
      get(_, key) {
        throw new Error(`hostile read of ${String(key)}`);
      },
    },
  ) as never;

  it.each([
    "afterGraphConstruction",
    "beforeGraphExecution",
    "afterGraphExecution",
    "beforeNodeExecution",
    "afterNodeExecution",
  ] as const)("%s: when its own work throws, it reports to onError (once) and does not throw", (hook) => {
    const reported = calls<[unknown, string]>();
    const t = tracker(new MemorySink(), { onError: reported.handler });
    expect(() => t[hook](hostile)).not.toThrow();
    // A start is read when its RUNNING record is made: when a batch goes out (here, a flush).
    if (hook === "beforeNodeExecution") void t.flush({ timeoutMs: 0 });
    expect(reported.calls.map(([, context]) => context)).toEqual([hook]);
    expect(String(reported.calls[0]![0])).toContain("hostile read of");
  });

  it("after shutdown, a run event whose notice cannot be logged (console.warn throws) does not throw either", async () => {
    const reported = calls<[unknown, string]>();
    const t = tracker(new MemorySink(), { onError: reported.handler });
    await t.shutdown();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {
      throw new Error("console is gone");
    });
    try {
      expect(() => t.beforeGraphExecution(hostile)).not.toThrow();
      expect(() => t.afterGraphExecution(hostile)).not.toThrow();
      expect(reported.calls.map(([, context]) => context)).toEqual(["beforeGraphExecution", "afterGraphExecution"]);
    } finally {
      warn.mockRestore();
    }
  });

  it("node hooks whose record building throws change no node's result and fail no node", async () => {
    const reported = calls<[unknown, string]>();
    const t = tracker(new MemorySink(), { onError: reported.handler });
    // An adapter ahead of the tracker leaves a trace id that throws when the tracker reads it.
    const booby: LifecycleAdapter = {
      beforeNodeExecution: (event) => {
        Object.defineProperty(event.attributes, SHARED_TRACE_ID, {
          get() {
            throw new Error("trace id unreadable");
          },
          configurable: true,
        });
      },
    };
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(booby, t).build();
    expect(await dr.execute(["words", "answer"], { inputs: { topic: "x" } })).toEqual({
      words: 5,
      answer: "m says: What is x?",
    });
    const contexts = reported.calls.map(([, context]) => context);
    // Each node ended before a batch went out: only its final record was built (and failed).
    expect(contexts.filter((c) => c === "afterNodeExecution")).toHaveLength(3);
    expect(contexts).toHaveLength(3);
    expect(String(reported.calls[0]![0])).toContain("trace id unreadable");
    await t.shutdown();
  });

  it("a queue that throws (its drop warning fails) is reported, and the run's results are unchanged", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {
      throw new Error("console is gone");
    });
    try {
      const sink = new MemorySink();
      sink.mode = "hang";
      const reported = calls<[unknown, string]>();
      const t = tracker(sink, { onError: reported.handler, queueCapacity: 1 });
      const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
      expect(await dr.execute(["words"], { inputs: { topic: "x" } })).toEqual({ words: 5 });
      // The second node record overflows the queue; its first-drop warning throws inside push().
      expect(reported.calls.map(([, context]) => context)).toEqual(["afterNodeExecution"]);
      expect(String(reported.calls[0]![0])).toContain("console is gone");
      await t.shutdown({ timeoutMs: 1 }).catch(() => {});
    } finally {
      warn.mockRestore();
    }
  });

  it("with captureDataStatistics: false, records no values", async () => {
    const sink = new MemorySink();
    const t = tracker(sink, { captureDataStatistics: false });
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
    await dr.execute(["words"], { inputs: { topic: "private topic" } });
    await t.flush();
    expect(JSON.stringify(sink.records)).not.toContain("private topic");
    expect(runsOf(sink.records)[0]!.inputs).toEqual({ topic: { kind: "disabled" } });
    expect(
      nodesOf(sink.records)
        .filter((r) => r.status === "SUCCESS")
        .every((r) => r.result!.kind === "disabled"),
    ).toBe(true);
    await t.shutdown();
  });

  it("observers return nothing (no promise for the engine to await)", () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const graph = new Builder().withModules({ x: () => 1 }).build().graph;
    const node = graph.node("x")!;
    const event: NodeExecutionResultEvent = {
      runId: "r",
      node,
      kwargs: {},
      taskId: undefined,
      attempt: 1,
      attributes: {},
      success: true,
      result: 1,
      error: undefined,
      durationMs: 0.1,
      warnings: undefined,
    };
    expect(t.afterGraphConstruction({ graph, config: {} })).toBeUndefined();
    expect(t.beforeNodeExecution(event)).toBeUndefined();
    expect(t.afterNodeExecution(event)).toBeUndefined();
    // The template and the node's final record (its RUNNING one was not needed).
    expect(t.stats.queued).toBe(2);
  });

  it("a hook that fails reports to onError and never throws into the pipeline", () => {
    const onError = vi.fn(() => {
      throw new Error("even the error handler fails");
    });
    const t = tracker(new MemorySink(), { onError });
    expect(() => t.afterNodeExecution({} as NodeExecutionResultEvent)).not.toThrow();
    expect(() => t.beforeGraphExecution({} as never)).not.toThrow();
    expect(onError.mock.calls.map((c) => (c as unknown[])[1])).toEqual(["afterNodeExecution", "beforeGraphExecution"]);
  });

  it("a sink that throws and rejects does not change results; the default reporter warns once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new MemorySink();
      sink.mode = "fail";
      const t = tracker(sink);
      const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
      for (let i = 0; i < 3; i++) expect(await dr.execute(["words"], { inputs: { topic: "x" } })).toEqual({ words: 5 });
      await sink.waitForAttempts(3);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /could not deliver records to its sink \(Error: sink is down\); it keeps them and retries with backoff/,
      );
      sink.mode = "ok";
      expect((await t.flush()).complete).toBe(true);
      expect(runsOf(sink.records).filter((r) => r.status === "SUCCESS")).toHaveLength(3);
      await t.shutdown();
    } finally {
      warn.mockRestore();
    }
  });

  it("the default reporter says when the sink rejects records for good, or a hook fails", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new MemorySink();
      sink.mode = "reject";
      const t = tracker(sink);
      await new Builder()
        .withModules({ x: () => 1 })
        .withAdapters(t)
        .build()
        .execute(["x"]);
      const report = await t.flush();
      // The template, the run's two records, the node's final record.
      expect(report).toMatchObject({ complete: true, rejected: 4 });
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /HamiltonTracker had records rejected by its sink \(Error: bad records\); they were discarded, since sending them again cannot succeed/,
      );
      t.afterNodeExecution({} as NodeExecutionResultEvent);
      expect(String(warn.mock.calls[1]![0])).toMatch(
        /HamiltonTracker failed in afterNodeExecution \(TypeError: .*\); the pipeline is unaffected/,
      );
      sink.mode = "ok";
      await t.shutdown();
    } finally {
      warn.mockRestore();
    }
  });

  it("a sink whose close() fails is reported as close", async () => {
    const contexts: string[] = [];
    const sink = new MemorySink();
    sink.close = () => Promise.reject(new Error("cannot close"));
    const t = tracker(sink, { onError: (_e, context) => void contexts.push(context) });
    await expect(t.shutdown()).resolves.toMatchObject({ complete: true });
    expect(contexts).toEqual(["close"]);
  });

  it("past queueCapacity drops the oldest node updates, keeps every run record, and warns once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new MemorySink();
      sink.mode = "fail";
      const t = tracker(sink, {
        queueCapacity: 5,
        retryInitialDelayMs: 60_000,
        retryMaxDelayMs: 60_000,
        onError: () => {},
      });
      const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
      for (let i = 0; i < 10; i++) await dr.execute(["words"], { inputs: { topic: `t${i}` } });
      expect(t.stats.dropped).toBeGreaterThan(0);
      const drops = warn.mock.calls.filter((c) => String(c[0]).includes("dropping the oldest node updates"));
      expect(drops).toHaveLength(1);
      expect(String(drops[0]![0])).toMatch(
        /More than 5 node records are waiting for the sink \(is it down or slow\?\)/,
      );
      sink.mode = "ok";
      const report = await t.flush();
      expect(report.complete).toBe(true);
      expect(report.dropped).toBe(t.stats.dropped);
      expect(
        runsOf(sink.records)
          .map((r) => r.status)
          .sort(),
      ).toEqual([...Array(10).fill("RUNNING"), ...Array(10).fill("SUCCESS")]);
      // One final record per node (each ended before a batch went out).
      expect(nodesOf(sink.records).length + report.dropped).toBe(10 * 3);
      await t.shutdown();
    } finally {
      warn.mockRestore();
    }
  });
});

describe("HamiltonTracker: flush and shutdown", () => {
  it("shutdown delivers what is queued, closes the sink once, and ignores later runs", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new MemorySink();
      const t = tracker(sink);
      const dr = new Builder()
        .withModules({ x: () => 1 })
        .withAdapters(t)
        .build();
      await dr.execute(["x"]);
      const report = await t.shutdown();
      expect(report).toMatchObject({ complete: true, undelivered: [], dropped: 0, rejected: 0 });
      expect(await t.shutdown()).toBe(report);
      expect(sink.closed).toBe(1);
      const delivered = sink.records.length;
      expect(await dr.execute(["x"])).toEqual({ x: 1 });
      await dr.execute(["x"]);
      expect(sink.records).toHaveLength(delivered);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /A run started or ended after HamiltonTracker\.shutdown\(\): it is not recorded/,
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("shutdown with the sink down gives up after timeoutMs and says what it could not deliver", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new MemorySink();
      sink.mode = "hang";
      const t = tracker(sink, { onError: () => {} });
      await new Builder()
        .withModules({ x: () => 1 })
        .withAdapters(t)
        .build()
        .execute(["x"]);
      const report = await t.shutdown({ timeoutMs: 50 });
      expect(report.complete).toBe(false);
      expect(report.undelivered.map((r) => r.type)).toEqual(["dag_template", "run", "node_run", "run"]);
      const message = String(warn.mock.calls.at(-1)![0]);
      expect(message).toMatch(/shutdown: 4 records of 1 runs could not be delivered within 50 ms/);
      expect(message).toMatch(/The returned report lists the undelivered records/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("HamiltonTracker: memory bounded in bytes", () => {
  /** A nested 20×20×20 result of distinct 200-character strings: a summary of about 2 MB. */
  function nested(seed: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let a = 0; a < 20; a++) {
      const mid: Record<string, unknown> = {};
      for (let b = 0; b < 20; b++) {
        const leaf: Record<string, string> = {};
        for (let c = 0; c < 20; c++) leaf[`k${c}`] = `${seed}.${a}.${b}.${c}:`.padEnd(200, "y");
        mid[`m${b}`] = leaf;
      }
      out[`o${a}`] = mid;
    }
    return out;
  }

  it("measures a large summary within a factor of its JSON size", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({ big: () => nested(1) })
      .withAdapters(t)
      .build();
    await dr.execute(["big"], { inputs: {} });
    const queued = t.stats.queuedBytes + t.stats.inFlightBytes;
    await t.flush();
    const json = sink.records.reduce((sum, r) => sum + JSON.stringify(r).length, 0);
    expect(json).toBeGreaterThan(1_000_000);
    expect(queued).toBeGreaterThan(json / 2);
    expect(queued).toBeLessThan(json * 2);
  });

  // CPU-heavy (40 summaries of ~2 MB): a generous budget for a busy machine.
  it("keeps the queue under queueByteBudget with a sink that is down, and the heap with it", {
    timeout: 180_000,
  }, async () => {
    // A collected heap before and after: --expose-gc, set at run time.
    (await import("node:v8")).setFlagsFromString("--expose-gc");
    const gc = (await import("node:vm")).runInNewContext("gc") as () => void;
    const sink = new MemorySink();
    sink.mode = "fail";
    const budget = 16_000_000;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const t = tracker(sink, {
      queueByteBudget: budget,
      retryInitialDelayMs: 3_600_000,
      retryMaxDelayMs: 3_600_000,
      onError: () => {},
    });
    try {
      let seed = 0;
      const dr = new Builder()
        .withModules({ big: () => nested(seed++) })
        .withAdapters(t)
        .build();
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let run = 0; run < 40; run++) {
        await dr.execute(["big"], { inputs: {} });
        expect(t.stats.queuedBytes + t.stats.inFlightBytes).toBeLessThanOrEqual(budget);
      }
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      // 40 summaries of ~2 MB were made (80 MB); at most the budget's worth is held.
      expect(t.stats.dropped).toBeGreaterThan(20);
      expect(grown).toBeLessThan(3 * budget);
      expect(warn.mock.calls.some((c) => String(c[0]).includes("queueByteBudget"))).toBe(true);
    } finally {
      await t.shutdown({ timeoutMs: 1 });
      warn.mockRestore();
    }
  });
});

describe("HamiltonTracker: a script that forgets shutdown()", () => {
  const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

  /** Runs test/forgotten-shutdown.mjs; resolves with its output, exit code and the ms from its "done" to its exit. */
  function runScript(mode: "pending" | "socket" | "failing") {
    const child = spawn(process.execPath, [join("test", "forgotten-shutdown.mjs"), mode], {
      cwd: packageDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let doneAt: number | undefined;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (doneAt === undefined && stdout.includes("done\n")) doneAt = performance.now();
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    // A safety net only: the assertions are on how it ends.
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    return new Promise<{ code: number | null; stdout: string; stderr: string; afterDoneMs: number }>(
      (resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(killer);
          resolve({ code, stdout, stderr, afterDoneMs: doneAt === undefined ? NaN : performance.now() - doneAt });
        });
      },
    );
  }

  it.each(["pending", "socket", "failing"] as const)(
    "exits on its own and reports what it did not deliver, with a sink whose write never settles or fails (%s)",
    async (mode) => {
      const { code, stdout, stderr, afterDoneMs } = await runScript(mode);
      expect(stdout).toContain("done\n");
      // The template, the run's two records, and each node's final record.
      expect(stdout).toContain("write 5");
      expect(code).toBe(0);
      expect(stderr).toContain(
        "The process is exiting without HamiltonTracker.shutdown(): 5 records of 1 runs were not delivered",
      );
      // The exit's report names the last sink error, redacted.
      expect(stderr).not.toContain("sk-proj-");
      if (mode === "failing")
        expect(stderr).toMatch(/\(last sink error: Error: HTTP 401: Authorization: [^)]*\[REDACTED\][^)]*\)/);
      // About 2 s for a write that holds the process (the sink's own 30 s timeout used to be waited out, then more).
      expect(afterDoneMs).toBeLessThan(10_000);
    },
    70_000,
  );
});

describe("HamiltonTracker: no secret leaves by an error, a log line or a warning", () => {
  const KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
  const SECRET_TEXT = `request failed: Authorization: Bearer ${KEY}`;

  /** A sink whose errors echo a secret, the way an HTTP error excerpt can. */
  class EchoingSink extends MemorySink {
    retryable = true;
    override async write(...args: Parameters<MemorySink["write"]>): Promise<void> {
      if (this.mode === "fail") {
        this.attempts++;
        throw Object.assign(new Error(SECRET_TEXT, { cause: new Error(`key ${KEY}`) }), {
          retryable: this.retryable,
          excerpt: KEY,
          // As an HTTP client's error carries its request, and an AggregateError its errors.
          config: { headers: { Authorization: `Bearer ${KEY}`, "x-api-key": "plain" } },
          errors: [new Error(`inner ${KEY}`)],
        });
      }
      return super.write(...args);
    }
  }

  it("onError gets the sink's errors redacted, for retried and rejected writes", async () => {
    const sink = new EchoingSink();
    sink.mode = "fail";
    const reported = calls<[unknown, string]>();
    const t = tracker(sink, { onError: reported.handler });
    const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
    await dr.execute(["words"], { inputs: { topic: "x" } });
    await reported.reached(2);
    sink.retryable = false;
    await reported.reached(1, (_, context) => context === "rejected");
    for (const [error] of reported.calls) {
      const e = error as Error & { excerpt: string };
      expect(`${e.message} ${e.stack} ${e.excerpt} ${(e.cause as Error).message}`).not.toContain(KEY);
      expect(e.message).toContain("[REDACTED]");
      expect(inspect(e, { depth: null })).not.toMatch(/sk-proj-|plain/);
    }
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await t.shutdown({ timeoutMs: 1 });
    warn.mockRestore();
  });

  it("the default warnings, shutdown's warning and the reports' lastError are redacted", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sink = new EchoingSink();
      sink.mode = "fail";
      const t = tracker(sink);
      const dr = new Builder().withModules(dataflow).withConfig({ model: "m" }).withAdapters(t).build();
      await dr.execute(["words"], { inputs: { topic: "x" } });
      const flushed = await t.flush({ timeoutMs: 50 });
      sink.retryable = false;
      const report = await t.shutdown({ timeoutMs: 200 });
      expect(warn.mock.calls.length).toBeGreaterThanOrEqual(2);
      const logged = warn.mock.calls.map((c) => c.map(String).join(" ")).join("\n");
      expect(logged).toContain("[REDACTED]");
      expect(logged).not.toContain(KEY);
      for (const r of [flushed, report]) {
        const e = r.lastError as Error & { excerpt: string };
        expect(e).toBeInstanceOf(Error);
        expect(`${e.message} ${e.stack} ${e.excerpt} ${(e.cause as Error).message}`).not.toContain(KEY);
        expect(inspect(e, { depth: null })).not.toMatch(/sk-proj-|plain/);
      }
    } finally {
      warn.mockRestore();
    }
  });

  it("error records of a node and of the run hold no secret (message, stack, cause; thrown strings too)", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        a: () => {
          throw new Error(SECRET_TEXT, { cause: new Error(`cause with ${KEY}`) });
        },
        b: () => {
          throw `thrown string with Bearer ${KEY}`;
        },
        c: ({ a, b }: { a: number; b: number }) => a + b,
      })
      .withAdapters(t)
      .build();
    await expect(dr.execute(["c"], { inputs: {} })).rejects.toThrow();
    await t.flush();
    const text = JSON.stringify(sink.records);
    expect(nodesOf(sink.records).filter((r) => r.status === "FAILURE").length).toBeGreaterThanOrEqual(1);
    expect(runsOf(sink.records).at(-1)!.error).toBeDefined();
    expect(text).toContain("[REDACTED]");
    expect(text).not.toContain(KEY);
    await t.shutdown();
  });

  it("warnings are redacted, at most 100 per node run, each at most 2,000 characters, the rest counted", async () => {
    const sink = new MemorySink();
    const t = tracker(sink);
    const dr = new Builder()
      .withModules({
        noisy: (_: unknown, ctx: NodeContext) => {
          ctx.warn(`checked with key ${KEY}`);
          for (let i = 1; i < 150; i++) ctx.warn(`warning ${i} `.padEnd(5_000, "w"));
          return 1;
        },
      })
      .withAdapters(t)
      .build();
    await dr.execute(["noisy"], { inputs: {} });
    await t.flush();
    const done = nodesOf(sink.records, "noisy").find((r) => r.status === "SUCCESS")!;
    expect(done.warnings).toHaveLength(100);
    expect(done.warningsDropped).toBe(50);
    expect(done.warnings![0]).toMatch(/^checked with key .*\[REDACTED\]/);
    expect(done.warnings!.every((w) => w.length <= 2_000)).toBe(true);
    expect(done.warnings![1]!.endsWith("…")).toBe(true);
    expect(JSON.stringify(sink.records)).not.toContain(KEY);
    await t.shutdown();
  });
});
