import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxyTracerProvider, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, NodeExecutionError, node, tag } from "@hamilton-ts/core";
import type { NodeContext } from "@hamilton-ts/core";
import { AdapterSet } from "@hamilton-ts/lifecycle";
import type {
  LifecycleAdapter,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
  SharedAttributes,
} from "@hamilton-ts/lifecycle";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { OpenTelemetryTracer } from "./tracer.js";

// One real SDK for the file: a NodeTracerProvider (AsyncLocalStorage context manager) exporting
// every ended span synchronously to memory.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const appTracer = trace.getTracer("app");

beforeEach(() => exporter.reset());
afterAll(() => provider.shutdown());

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);
function one(name: string): ReadableSpan {
  const found = named(name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const parentId = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
/** "child <- parent" for every finished span, sorted; ROOT when a span has no parent. */
function tree(): string[] {
  const names = new Map(spans().map((s) => [idOf(s), s.name]));
  return spans()
    .map((s) => `${s.name} <- ${parentId(s) === undefined ? "ROOT" : (names.get(parentId(s)!) ?? "?")}`)
    .sort();
}

/** Resolves once `count` callers are waiting on it: proves they were in flight together. */
function barrier(count: number): () => Promise<void> {
  let waiting = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++waiting === count) release();
    return all;
  };
}

describe("OpenTelemetryTracer span tree", () => {
  it("traces a chain: a run span and one child span per node, with hamilton attributes", async () => {
    const seen: { node?: SharedAttributes[]; run?: SharedAttributes } = { node: [] };
    const spy: LifecycleAdapter = {
      afterNodeExecution: (e) => void seen.node!.push({ ...e.attributes }),
      afterGraphExecution: (e) => void (seen.run = { ...e.attributes }),
    };
    const dr = new Builder()
      .withModules({
        a: ({ x }: { x: number }) => x + 1,
        b: ({ a }: { a: number }) => a * 2,
        c: async ({ b }: { b: number }) => b - 1,
      })
      .withAdapters(new OpenTelemetryTracer({ workflowName: "chain" }), spy)
      .build();
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 3 });

    expect(tree()).toEqual(["a <- hamilton.run", "b <- hamilton.run", "c <- hamilton.run", "hamilton.run <- ROOT"]);
    const run = one("hamilton.run");
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(run.attributes).toMatchObject({
      "hamilton.graph.version": dr.graph.version,
      "hamilton.final_vars": ["c"],
      "hamilton.inputs": ["x"],
      "hamilton.overrides": [],
      "hamilton.execution_path": ["a", "b", "c"],
      "traceloop.span.kind": "workflow",
      "traceloop.entity.name": "chain",
      "traceloop.workflow.name": "chain",
    });
    expect(run.attributes["hamilton.run_id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(one("b").attributes).toEqual({
      "hamilton.node.name": "b",
      "hamilton.node.version": dr.graph.node("b")!.version,
      "hamilton.node.dependencies": ["a"],
      "code.function.name": "b",
      "traceloop.span.kind": "task",
      "traceloop.entity.name": "b",
      "traceloop.workflow.name": "chain",
    });
    expect(one("b").status.code).toBe(SpanStatusCode.UNSET);
    // The ids are left in the shared event attributes for other adapters.
    expect(seen.run).toEqual({ trace_id: run.spanContext().traceId, span_id: idOf(run) });
    expect(seen.node).toEqual(
      ["a", "b", "c"].map((n) => ({ trace_id: run.spanContext().traceId, span_id: idOf(one(n)) })),
    );
  });

  it("traces a diamond whose branches run concurrently, each branch parenting its own spans", async () => {
    const bothRunning = barrier(2);
    const branch =
      (label: string) =>
      async ({ a }: { a: number }) => {
        await bothRunning(); // b and c are both in flight here
        return appTracer.startActiveSpan(`work in ${label}`, async (span) => {
          await new Promise((r) => setImmediate(r));
          appTracer.startSpan(`nested in ${label}`).end(); // implicit parent: the active span
          span.end();
          return a + 1;
        });
      };
    const dr = new Builder()
      .withModules({ a: () => 1, b: branch("b"), c: branch("c"), d: ({ b, c }: { b: number; c: number }) => b + c })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    expect(await dr.execute(["d"])).toEqual({ d: 4 });
    expect(tree()).toEqual([
      "a <- hamilton.run",
      "b <- hamilton.run",
      "c <- hamilton.run",
      "d <- hamilton.run",
      "hamilton.run <- ROOT",
      "nested in b <- work in b",
      "nested in c <- work in c",
      "work in b <- b",
      "work in c <- c",
    ]);
  });

  it("keeps 50 concurrent executes apart: no node span or child span under another run", async () => {
    const tracer = new OpenTelemetryTracer({ runAttributes: (e) => ({ "test.x": e.inputs.x as number }) });
    const dr = new Builder()
      .withModules({
        a: async ({ x }: { x: number }) => {
          await new Promise((r) => setImmediate(r));
          return x;
        },
        b: async ({ a }: { a: number }) => {
          await new Promise((r) => setTimeout(r, a % 3));
          appTracer.startSpan("child", { attributes: { x: a } }).end();
          return a;
        },
        c: ({ a }: { a: number }) => a,
        d: ({ b, c }: { b: number; c: number }) => b + c,
      })
      .withAdapters(tracer)
      .withMaxConcurrency(4)
      .build();
    // One driver, 50 executes in flight at once, their nodes interleaving.
    const outs = await Promise.all(Array.from({ length: 50 }, (_, x) => dr.execute(["d"], { inputs: { x } })));
    expect(outs).toEqual(Array.from({ length: 50 }, (_, x) => ({ d: 2 * x })));

    const runs = named("hamilton.run");
    expect(runs).toHaveLength(50);
    const runById = new Map(runs.map((r) => [idOf(r), r]));
    const nodeById = new Map(
      spans()
        .filter((s) => ["a", "b", "c", "d"].includes(s.name))
        .map((s) => [idOf(s), s]),
    );
    expect(nodeById.size).toBe(200);
    for (const nodeSpan of nodeById.values()) {
      const run = runById.get(parentId(nodeSpan)!);
      expect(run, `parent of ${nodeSpan.name}`).toBeDefined();
      expect(nodeSpan.spanContext().traceId).toBe(run!.spanContext().traceId);
    }
    const children = named("child");
    expect(children).toHaveLength(50);
    for (const child of children) {
      const b = nodeById.get(parentId(child)!)!;
      expect(b.name).toBe("b");
      expect(runById.get(parentId(b)!)!.attributes["test.x"]).toBe(child.attributes.x);
    }
    expect(new Set(runs.map((r) => r.spanContext().traceId)).size).toBe(50);
    expect(tracer.activeRuns).toBe(0); // no per-run state left behind
  });

  it("parents the run span to the span current when execute is called", async () => {
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await appTracer.startActiveSpan("http request", async (span) => {
      await dr.execute(["a"]);
      span.end();
    });
    expect(tree()).toEqual(["a <- hamilton.run", "hamilton.run <- http request", "http request <- ROOT"]);
  });

  it("nests an execute started inside a node under that node's span", async () => {
    const inner = new Builder()
      .withModules({ x: () => 2 })
      .withAdapters(new OpenTelemetryTracer({ graphSpanName: "inner" }))
      .build();
    const outer = new Builder()
      .withModules({ y: async () => (await inner.execute(["x"])).x * 10 })
      .withAdapters(new OpenTelemetryTracer({ graphSpanName: "outer" }))
      .build();
    expect(await outer.execute(["y"])).toEqual({ y: 20 });
    expect(tree()).toEqual(["inner <- y", "outer <- ROOT", "x <- inner", "y <- outer"]);
  });

  it("makes the node span current for spans a node starts, sync or async", async () => {
    const dr = new Builder()
      .withModules({
        sync: () => {
          appTracer.startSpan("custom in sync").end();
          return trace.getActiveSpan()?.spanContext().spanId;
        },
        viaCallback: async () => {
          await new Promise((r) => setTimeout(r, 1));
          return appTracer.startActiveSpan("custom in async", (span) => {
            span.end();
            return span.spanContext().spanId;
          });
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    const out = await dr.execute(["sync", "viaCallback"]);
    expect(out.sync).toBe(idOf(one("sync")));
    expect(tree()).toContain("custom in sync <- sync");
    expect(tree()).toContain("custom in async <- viaCallback");
  });

  it("records a node's tags and function name", async () => {
    const dr = new Builder()
      .withModules({ report: tag({ owner: "growth", pii: ["email", "name"] }, () => "ok") })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["report"]);
    expect(one("report").attributes).toMatchObject({
      "hamilton.node.tags.owner": "growth",
      "hamilton.node.tags.pii": ["email", "name"],
      "code.function.name": "report",
    });
  });
});

describe("OpenTelemetryTracer failures", () => {
  class BoomError extends Error {
    override name = "BoomError";
  }

  it("records a failing node and fails the run span, ending every span", async () => {
    const tracer = new OpenTelemetryTracer();
    const dr = new Builder()
      .withModules({
        a: () => 1,
        b: async ({ a }: { a: number }) => {
          await new Promise((r) => setImmediate(r));
          throw new BoomError(`boom in b (a=${a})`);
        },
        slow: async ({ a }: { a: number }, ctx: { signal: AbortSignal }) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          return a;
        },
        c: ({ b, slow }: { b: number; slow: number }) => b + slow,
      })
      .withAdapters(tracer)
      .build();
    const error = await dr.execute(["c"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    // execute settles only once the run is over: `slow` stopped when its signal fired, and every
    // span, the run's included, has ended.
    expect(named("hamilton.run")).toHaveLength(1);
    expect(tracer.activeRuns).toBe(0);

    const b = one("b");
    expect(b.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom in b (a=1)" });
    expect(b.attributes["error.type"]).toBe("BoomError");
    expect(
      b.events.map((e) => [e.name, e.attributes?.["exception.type"], e.attributes?.["exception.message"]]),
    ).toEqual([["exception", "BoomError", "boom in b (a=1)"]]);
    expect(String(b.events[0]!.attributes?.["exception.stacktrace"])).toContain("boom in b");
    const run = one("hamilton.run");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.status.message).toBe((error as Error).message);
    expect(run.attributes["error.type"]).toBe("NodeExecutionError");
    expect(run.events.map((e) => e.name)).toEqual(["exception"]);
    expect(one("slow").status.code).toBe(SpanStatusCode.UNSET);
    expect(named("c")).toHaveLength(0); // never started
    expect(tree()).toEqual(["a <- hamilton.run", "b <- hamilton.run", "hamilton.run <- ROOT", "slow <- hamilton.run"]);
  });

  it("keeps a synchronous node synchronous, its span current inside and ended when it returns", () => {
    const tracer = new OpenTelemetryTracer();
    const dr = new Builder().withModules({ a: () => 1 }).build();
    const set = new AdapterSet([tracer]);
    let current: string | undefined;
    const out = set.runNode({ runId: "r1", node: dr.graph.node("a")!, kwargs: {}, taskId: undefined }, () => {
      current = trace.getActiveSpan()?.spanContext().spanId;
      return 41;
    });
    expect(out).toBe(41); // a value, not a promise
    expect(current).toBe(idOf(one("a")));
  });

  it("records a synchronous throw and ends the span before the error reaches the engine", () => {
    const tracer = new OpenTelemetryTracer();
    const dr = new Builder().withModules({ a: () => 1 }).build();
    const set = new AdapterSet([tracer]);
    const boom = new BoomError("sync boom");
    expect(() =>
      set.runNode({ runId: "r1", node: dr.graph.node("a")!, kwargs: {}, taskId: undefined }, () => {
        throw boom;
      }),
    ).toThrow(boom);
    const a = one("a");
    expect(a.status).toEqual({ code: SpanStatusCode.ERROR, message: "sync boom" });
    expect(a.attributes["error.type"]).toBe("BoomError");
  });

  it("records a thrown non-Error value as error.type _OTHER", async () => {
    const dr = new Builder()
      .withModules({
        a: () => {
          throw "plain string"; // eslint-disable-line no-throw-literal
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await expect(dr.execute(["a"])).rejects.toBeInstanceOf(NodeExecutionError);
    const a = one("a");
    expect(a.status).toEqual({ code: SpanStatusCode.ERROR, message: "plain string" });
    expect(a.attributes["error.type"]).toBe("_OTHER");
    expect(a.events[0]?.attributes?.["exception.message"]).toBe("plain string");
  });

  it("records a thrown object redacted and cut to maxValueLength", async () => {
    const dr = new Builder()
      .withModules({
        a: () => {
          throw { apiKey: "sk-abcdefghijklmnopqrstuvwx", detail: "x".repeat(10_000) }; // eslint-disable-line no-throw-literal
        },
      })
      .withAdapters(new OpenTelemetryTracer({ maxValueLength: 64 }))
      .build();
    await expect(dr.execute(["a"])).rejects.toBeInstanceOf(NodeExecutionError);
    const message = one("a").status.message!;
    expect(message.startsWith('{"apiKey":"[REDACTED]","detail":"xxx')).toBe(true);
    expect(message).toHaveLength(65); // 64 characters and the cut mark
    expect(message.endsWith("…")).toBe(true);
  });

  it("fails the run span of an aborted run", async () => {
    const controller = new AbortController();
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    const dr = new Builder()
      .withModules({
        a: async (_: unknown, ctx: { signal: AbortSignal }) => {
          await new Promise((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error));
            started();
          });
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    const out = dr.execute(["a"], { signal: controller.signal });
    await isStarted;
    controller.abort(new Error("user went away"));
    await expect(out).rejects.toThrow(/aborted: user went away/);
    await vi.waitFor(() => expect(named("hamilton.run")).toHaveLength(1));
    expect(one("hamilton.run").status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining("user went away"),
    });
    expect(one("a").status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe("OpenTelemetryTracer with other adapters", () => {
  it("works second, behind an adapter that wraps runs and nodes in its own spans", async () => {
    const outerTracer = trace.getTracer("outer-adapter");
    const activeInObservers: string[] = [];
    const outer: LifecycleAdapter = {
      wrapGraphExecution: (_e, next) => outerTracer.startActiveSpan("outer run", (s) => next().finally(() => s.end())),
      wrapNodeExecution: (e, next) =>
        outerTracer.startActiveSpan(`outer ${e.node.name}`, (s) => next().finally(() => s.end())),
      beforeNodeExecution: (e) => {
        // Observers run inside all wrappers: the active span is the tracer's node span.
        activeInObservers.push(
          trace.getActiveSpan()?.spanContext().spanId === e.attributes.span_id ? "node span" : "other",
        );
      },
    };
    const dr = new Builder()
      .withModules({ a: () => 1, b: async ({ a }: { a: number }) => (appTracer.startSpan("custom").end(), a) })
      .withAdapters(outer, new OpenTelemetryTracer())
      .build();
    await dr.execute(["b"]);
    expect(tree()).toEqual([
      "a <- hamilton.run",
      "b <- hamilton.run",
      "custom <- b",
      "hamilton.run <- outer run",
      "outer a <- hamilton.run",
      "outer b <- hamilton.run",
      "outer run <- ROOT",
    ]);
    expect(activeInObservers).toEqual(["node span", "node span"]);
  });

  it("gives each attempt of a retried node its own span, marking attempt 2", async () => {
    let calls = 0;
    const retry: LifecycleAdapter = {
      wrapNodeExecution: (_e, next) => next().catch(() => next()),
    };
    const dr = new Builder()
      .withModules({
        flaky: () => {
          if (++calls === 1) throw new Error("first try fails");
          return "ok";
        },
      })
      .withAdapters(retry, new OpenTelemetryTracer())
      .build();
    expect(await dr.execute(["flaky"])).toEqual({ flaky: "ok" });
    const attempts = named("flaky").map((s) => [s.status.code, s.attributes["hamilton.node.attempt"]]);
    expect(attempts).toEqual([
      [SpanStatusCode.ERROR, undefined],
      [SpanStatusCode.UNSET, 2],
    ]);
    expect(one("hamilton.run").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("turns node warnings into span events", async () => {
    const dr = new Builder()
      .withModules({
        rows: (_: unknown, ctx: { warn(message: string): void }) => {
          ctx.warn("3 rows have no email");
          ctx.warn("1 duplicate id");
          return [1, 2];
        },
        count: ({ rows }: { rows: number[] }) => rows.length,
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["count"]);
    expect(one("rows").events.map((e) => [e.name, e.attributes])).toEqual([
      ["hamilton.node.warning", { "hamilton.warning.message": "3 rows have no email" }],
      ["hamilton.node.warning", { "hamilton.warning.message": "1 duplicate id" }],
    ]);
    expect(one("count").events).toEqual([]);
  });

  it("also records warnings an adapter inside the tracer adds after the node ran", async () => {
    const checker: LifecycleAdapter = {
      afterNodeExecution: (e) => {
        (e as { warnings: string[] | undefined }).warnings = ["result looks stale"];
      },
    };
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(new OpenTelemetryTracer(), checker)
      .build();
    await dr.execute(["a"]);
    expect(one("a").events.map((e) => e.attributes?.["hamilton.warning.message"])).toEqual(["result looks stale"]);
  });
});

describe("OpenTelemetryTracer options", () => {
  it("refuses both tracer and tracerName with an error that says what to do", () => {
    expect(() => new OpenTelemetryTracer({ tracer: appTracer, tracerName: "x" })).toThrow(
      /got both `tracer` and `tracerName`\. Pass `tracer` to use a Tracer you created, or `tracerName`/,
    );
  });

  it("explains other bad options", () => {
    expect(() => new OpenTelemetryTracer({ tracer: {} as never })).toThrow(/`tracer` must be an OpenTelemetry Tracer/);
    expect(() => new OpenTelemetryTracer({ tracerName: "" })).toThrow(/`tracerName` must be a non-empty string/);
    expect(() => new OpenTelemetryTracer({ graphSpanName: "" })).toThrow(
      /`graphSpanName` must be a non-empty string or a function/,
    );
    expect(() => new OpenTelemetryTracer({ maxValueLength: 0 })).toThrow(/`maxValueLength` must be a positive integer/);
    expect(() => new OpenTelemetryTracer({ serialize: "json" as never })).toThrow(/`serialize` must be a function/);
    expect(() => new OpenTelemetryTracer(null as never)).toThrow(/options must be an object/);
  });

  it("uses the given tracer, or the global one under tracerName", async () => {
    const modules = { a: () => 1 };
    await new Builder()
      .withModules(modules)
      .withAdapters(new OpenTelemetryTracer({ tracer: provider.getTracer("given") }))
      .build()
      .execute(["a"]);
    await new Builder()
      .withModules(modules)
      .withAdapters(new OpenTelemetryTracer({ tracerName: "named", tracerVersion: "1.2.3" }))
      .build()
      .execute(["a"]);
    await new Builder().withModules(modules).withAdapters(new OpenTelemetryTracer()).build().execute(["a"]);
    expect(spans().map((s) => `${s.instrumentationScope.name}@${s.instrumentationScope.version ?? ""}`)).toEqual([
      "given@",
      "given@",
      "named@1.2.3",
      "named@1.2.3",
      "@hamilton-ts/opentelemetry@",
      "@hamilton-ts/opentelemetry@",
    ]);
  });

  it("names the run span with graphSpanName, a string or a function of the run", async () => {
    const modules = { a: () => 1 };
    await new Builder()
      .withModules(modules)
      .withAdapters(new OpenTelemetryTracer({ graphSpanName: "pipeline" }))
      .build()
      .execute(["a"]);
    await new Builder()
      .withModules(modules)
      .withAdapters(new OpenTelemetryTracer({ graphSpanName: (e) => `run ${e.finalVars.join(",")}` }))
      .build()
      .execute(["a"]);
    expect(spans().map((s) => s.name)).toEqual(["a", "pipeline", "a", "run a"]);
  });

  it("records no values by default", async () => {
    const dr = new Builder()
      .withModules({ a: ({ apiKey }: { apiKey: string }) => apiKey.length })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["a"], { inputs: { apiKey: "sk-secret" } });
    for (const span of spans()) {
      expect(
        Object.keys(span.attributes).filter(
          (k) => k.startsWith("traceloop.entity.in") || k.startsWith("traceloop.entity.out"),
        ),
      ).toEqual([]);
      expect(JSON.stringify(span.attributes)).not.toContain("sk-secret");
    }
    expect(one("hamilton.run").attributes["hamilton.inputs"]).toEqual(["apiKey"]);
  });

  it("records inputs and outputs as JSON when asked, redacted and truncated", async () => {
    class Client {
      apiKey = "sk-in-client";
    }
    const dr = new Builder()
      .withModules({
        client: () => new Client(),
        summary: ({ text, client }: { text: string; client: Client }) => ({
          words: text.split(" ").length,
          via: client,
        }),
        long: () => "x".repeat(100),
      })
      .withAdapters(new OpenTelemetryTracer({ recordInputs: true, recordOutputs: true, maxValueLength: 60 }))
      .build();
    await dr.execute(["summary", "long"], { inputs: { text: "a b c", token: "t-123" } });
    const summary = one("summary");
    expect(JSON.parse(String(summary.attributes["traceloop.entity.input"]))).toEqual({
      args: [],
      kwargs: { text: "a b c", client: "[Client]" },
    });
    expect(JSON.parse(String(summary.attributes["traceloop.entity.output"]))).toEqual({ words: 3, via: "[Client]" });
    expect(one("long").attributes["traceloop.entity.output"]).toBe(`"${"x".repeat(59)}…`);
    const run = one("hamilton.run");
    expect(run.attributes["traceloop.entity.input"]).toBe('{"args":[],"kwargs":{"text":"a b c","token":"[REDACTED]"}}');
    expect(String(run.attributes["traceloop.entity.output"])).toMatch(
      /^\{"summary":\{"words":3,"via":"\[Client\]"\},"long":"xxx/,
    );
    expect(JSON.stringify(spans().map((s) => s.attributes))).not.toMatch(/sk-in-client|t-123/);
  });

  it("uses a custom serializer", async () => {
    const dr = new Builder()
      .withModules({ a: () => 41 })
      .withAdapters(new OpenTelemetryTracer({ recordOutputs: true, serialize: (v) => `value=${String(v)}` }))
      .build();
    await dr.execute(["a"]);
    expect(one("a").attributes["traceloop.entity.output"]).toBe("value=41");
  });

  it("records a serializer's failure instead of failing the node", async () => {
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(
        new OpenTelemetryTracer({
          recordOutputs: true,
          serialize: () => {
            throw new Error("cannot serialize");
          },
        }),
      )
      .build();
    expect(await dr.execute(["a"])).toEqual({ a: 1 });
    expect(one("a").attributes["traceloop.entity.output"]).toBe("[unserializable: serialize threw cannot serialize]");
    expect(one("a").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("leaves no trace ids when no SDK records spans (a note instead), and runs unchanged", async () => {
    const seen: SharedAttributes[] = [];
    const noop = new ProxyTracerProvider().getTracer("noop"); // no delegate: a no-op tracer
    const dr = new Builder()
      .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
      .withAdapters(new OpenTelemetryTracer({ tracer: noop }), {
        afterNodeExecution: (e: NodeExecutionResultEvent) => void seen.push(e.attributes),
      })
      .build();
    expect(await context.with(context.active(), () => dr.execute(["b"]))).toEqual({ b: 2 });
    expect(seen).toEqual([{ otel_sdk: "none" }, { otel_sdk: "none" }]);
    expect(spans()).toEqual([]);
  });

  it("names the span of a fan-out task after node and task id", async () => {
    // Drive the wrapper directly with a real node and the engine's task-id shape.
    const tracer = new OpenTelemetryTracer();
    const dr = new Builder().withModules({ item: node([], () => 1) }).build();
    const event: NodeExecutionEvent = {
      runId: "r1",
      node: dr.graph.node("item")!,
      kwargs: {},
      taskId: "items[0]",
      attempt: 1,
      attributes: {},
    };
    expect(await tracer.wrapNodeExecution(event, async () => 5)).toBe(5);
    expect(one("item items[0]").attributes["hamilton.node.task_id"]).toBe("items[0]");
    expect(event.attributes.span_id).toBe(idOf(one("item items[0]")));
  });
});

describe("OpenTelemetryTracer never exports a secret, with default options", () => {
  // The README's shapes plus URL userinfo, `password: …` and Basic auth: [text with the secret, the secret].
  const SHAPES: ReadonlyArray<readonly [string, string]> = [
    ["key sk-proj-abcdefghijklmnop1234 here", "abcdefghijklmnop1234"],
    ["Authorization: Bearer abc.def.ghi123", "abc.def.ghi123"],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwxyz0123"],
    ["AKIAABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP"],
    [`client({ apiKey: "k-5ecret-literal" })`, "k-5ecret-literal"],
    ["GET /x?token=tok-5ecret&page=2", "tok-5ecret"],
    ["connect postgres://admin:pg-5ecret@db.internal:5432/app", "pg-5ecret"],
    ["login failed, password: hunter2-5ecret", "hunter2-5ecret"],
    ["Authorization: Basic YWRtaW46aHVudGVyMi01ZWNyZXQ=", "YWRtaW46aHVudGVyMi01ZWNyZXQ="],
  ];

  /** Everything a span exporter sends for the finished spans, as one text. */
  function exported(): string {
    return JSON.stringify(
      spans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        status: s.status,
        events: s.events.map((e) => [e.name, e.attributes]),
      })),
    );
  }

  /** Runs a one-node graph whose node does `body`, and returns what was exported. */
  async function exportOf(
    body: (text: string, ctx: { warn(message: string): void }) => unknown,
    text: string,
  ): Promise<string> {
    exporter.reset();
    const dr = new Builder()
      .withModules({ leaky: (_: unknown, ctx: NodeContext) => body(text, ctx) })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["leaky"]).catch(() => undefined);
    expect(named("hamilton.run")).toHaveLength(1);
    return exported();
  }

  const exits: ReadonlyArray<readonly [string, (text: string, ctx: { warn(message: string): void }) => unknown]> = [
    [
      "an Error thrown by a sync node (status, exception event, stack, run span)",
      (text) => {
        throw new Error(`call failed: ${text}`);
      },
    ],
    [
      "an Error rejected by an async node",
      async (text) => {
        await Promise.resolve();
        throw new TypeError(`call failed: ${text}`);
      },
    ],
    [
      "a thrown string (node span and the run's NodeExecutionError)",
      (text) => {
        throw `call failed: ${text}`;
      },
    ], // eslint-disable-line no-throw-literal
    [
      "a thrown object",
      (text) => {
        throw { detail: text };
      },
    ], // eslint-disable-line no-throw-literal
    [
      "an Error whose code holds the text",
      (text) => {
        throw Object.assign(new Error("failed"), { code: text });
      },
    ],
    [
      "a warning",
      (text, ctx) => {
        ctx.warn(`check failed: ${text}`);
        return 1;
      },
    ],
  ];

  for (const [exit, body] of exits) {
    it.each(SHAPES)(`${exit}: %s`, async (text, secret) => {
      const out = await exportOf(body, text);
      expect(out).not.toContain(secret);
      expect(out).toContain("[REDACTED]");
    });
  }

  it.each(SHAPES)("recorded inputs and outputs (node and run spans), when asked: %s", async (text, secret) => {
    exporter.reset();
    const dr = new Builder()
      .withModules({ echo: ({ note }: { note: string }) => ({ said: `echo: ${note}` }) })
      .withAdapters(new OpenTelemetryTracer({ recordInputs: true, recordOutputs: true }))
      .build();
    await dr.execute(["echo"], { inputs: { note: text } });
    const out = exported();
    expect(out).not.toContain(secret);
    expect(String(one("echo").attributes["traceloop.entity.input"])).toContain("[REDACTED]");
    expect(String(one("hamilton.run").attributes["traceloop.entity.output"])).toContain("[REDACTED]");
  });

  it("keeps the error readable: type, the message around the secret, a redacted stack", async () => {
    await exportOf((text) => {
      throw new TypeError(`call failed: ${text}`);
    }, "login failed, password: hunter2-5ecret");
    const leaky = one("leaky");
    expect(leaky.status.message).toBe("call failed: login failed, password: [REDACTED]");
    expect(leaky.events[0]!.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": "call failed: login failed, password: [REDACTED]",
    });
    expect(String(leaky.events[0]!.attributes!["exception.stacktrace"])).toMatch(
      /^TypeError: call failed: login failed, password: \[REDACTED\]\n\s+at /,
    );
    expect(one("hamilton.run").status.message).toBe(
      'Node "leaky" failed: call failed: login failed, password: [REDACTED]',
    );
  });

  it("cuts a long error message and stack, and each warning, to maxValueLength", async () => {
    exporter.reset();
    const dr = new Builder()
      .withModules({
        long: (_: unknown, ctx: NodeContext) => {
          ctx.warn("w".repeat(500));
          throw new Error("m".repeat(10_000));
        },
      })
      .withAdapters(new OpenTelemetryTracer({ maxValueLength: 100 }))
      .build();
    await dr.execute(["long"]).catch(() => undefined);
    const long = one("long");
    expect(long.status.message).toBe(`${"m".repeat(100)}…`);
    const [exception, warning] = [
      long.events.find((e) => e.name === "exception")!,
      long.events.find((e) => e.name === "hamilton.node.warning")!,
    ];
    expect(String(exception.attributes!["exception.stacktrace"])).toHaveLength(401);
    expect(warning.attributes!["hamilton.warning.message"]).toBe(`${"w".repeat(100)}…`);
  });
});

describe("OpenTelemetryTracer warning limits", () => {
  it("records at most 100 warning events per node run and counts the rest", async () => {
    exporter.reset();
    const dr = new Builder()
      .withModules({
        noisy: (_: unknown, ctx: NodeContext) => {
          for (let i = 0; i < 5_000; i++) ctx.warn(`row ${i} out of range`);
          return 1;
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["noisy"]);
    const noisy = one("noisy");
    expect(noisy.events.filter((e) => e.name === "hamilton.node.warning")).toHaveLength(100);
    expect(noisy.attributes["hamilton.node.warnings_dropped"]).toBe(4_900);
  });
});

describe("OpenTelemetryTracer recording cost", () => {
  it("bounds the work of recording by maxValueLength: a 2e6-number array into 10 nodes costs what a 2,000-number one does", async () => {
    const big = Array.from({ length: 2_000_000 }, (_, i) => i / 7);
    // Already longer than maxValueLength when written (about 38,000 characters): the same cut.
    const small = big.slice(0, 2_000);
    const modules: Record<string, (kw: { x: number[] }) => number[]> = {};
    for (let i = 0; i < 10; i++) modules[`n${i}`] = ({ x }) => x;
    const names = Object.keys(modules);
    const recording = new Builder()
      .withModules(modules)
      .withAdapters(new OpenTelemetryTracer({ recordInputs: true, recordOutputs: true }))
      .build();
    const time = async (x: number[]): Promise<number> => {
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        exporter.reset();
        const t0 = performance.now();
        await recording.execute(names as never, { inputs: { x } } as never);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    await time(small);
    await time(big);
    const withSmall = await time(small);
    const withBig = await time(big);
    // 10 node inputs, 10 node outputs, the run's inputs and results: 22 values of 2e6 numbers,
    // each cut at 4,096 characters as it is written.
    const n3 = one("n3");
    expect(String(n3.attributes["traceloop.entity.output"])).toHaveLength(4097);
    expect(
      String(n3.attributes["traceloop.entity.input"]).startsWith('{"args":[],"kwargs":{"x":[0,0.14285714285714285,'),
    ).toBe(true);
    // Bounded by the limit, not by the value: 1,000 times the numbers, about the same work (~1-4x
    // measured; a serializer that writes the whole value first takes seconds here, ~1,000x). 1 ms
    // floors the baseline; 50x leaves room for a busy CI machine.
    expect(withBig / Math.max(withSmall, 1)).toBeLessThan(50);
  });
});

describe("OpenTelemetryTracer and the engine's cache", () => {
  it("puts hamilton.cache on node spans: a hit still has its span, with its replayed warnings", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-cache-"));
    let runs = 0;
    const modules = {
      question: () => "why",
      answer: ({ question }: { question: string }, ctx: NodeContext) => {
        runs++;
        ctx.warn("guessed");
        return question.toUpperCase();
      },
    };
    const build = () =>
      new Builder().withModules(modules).withAdapters(new OpenTelemetryTracer()).withCache({ dir }).build();
    await build().execute(["answer"]);
    expect(one("answer").attributes["hamilton.cache"]).toBe("miss");
    exporter.reset();
    expect(await build().execute(["answer"])).toEqual({ answer: "WHY" });
    expect(runs).toBe(1);
    const hit = one("answer");
    expect(hit.attributes["hamilton.cache"]).toBe("hit");
    expect(one("question").attributes["hamilton.cache"]).toBe("hit");
    expect(hit.events.map((e) => e.attributes?.["hamilton.warning.message"])).toEqual(["guessed"]);
    expect(tree()).toEqual(["answer <- hamilton.run", "hamilton.run <- ROOT", "question <- hamilton.run"]);
    exporter.reset();
    await new Builder().withModules(modules).withAdapters(new OpenTelemetryTracer()).build().execute(["answer"]);
    expect("hamilton.cache" in one("answer").attributes).toBe(false);
  });
});
