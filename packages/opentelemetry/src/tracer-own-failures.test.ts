import { DiagLogLevel, context, diag, trace } from "@opentelemetry/api";
import type { Span, Tracer } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { AdapterSet } from "@hamilton-ts/lifecycle";
import type { NodeExecutionEvent } from "@hamilton-ts/lifecycle";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockInstance } from "vitest";
import { OpenTelemetryTracer } from "./tracer.js";

// "Instrumentation never breaks the app": a tracer provider or SDK that throws inside the tracer
// is reported, and the node or run goes on with its result unchanged.

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const real = provider.getTracer("real");

type SpanMethod = "setAttributes" | "setAttribute" | "end" | "recordException" | "setStatus" | "spanContext";

/** A span that delegates to a real one, except that the `broken` methods throw. */
function breakingSpan(inner: Span, broken: readonly SpanMethod[]): Span {
  const check = (method: SpanMethod): void => {
    if (broken.includes(method)) throw new Error(`broken SDK: ${method} password=hunter2`);
  };
  const span: Span = {
    spanContext: () => (check("spanContext"), inner.spanContext()),
    setAttribute: (k, v) => (check("setAttribute"), inner.setAttribute(k, v), span),
    setAttributes: (a) => (check("setAttributes"), inner.setAttributes(a), span),
    addEvent: (n, a, t) => (inner.addEvent(n, a, t), span),
    addLink: (l) => (inner.addLink(l), span),
    addLinks: (l) => (inner.addLinks(l), span),
    setStatus: (s) => (check("setStatus"), inner.setStatus(s), span),
    updateName: (n) => (inner.updateName(n), span),
    end: (t) => {
      check("end");
      inner.end(t);
    },
    isRecording: () => inner.isRecording(),
    recordException: (e, t) => {
      check("recordException");
      inner.recordException(e, t);
    },
  };
  return span;
}

/** A tracer over the real SDK: `startSpan` throws for the names `throwsOn` accepts; its spans break as told. */
function brokenTracer(options: { throwsOn?: (name: string) => boolean; broken?: readonly SpanMethod[] }): Tracer {
  return {
    startSpan(name, spanOptions, ctx) {
      if (options.throwsOn?.(name)) throw new Error(`broken tracer provider: cannot start ${name}`);
      return breakingSpan(real.startSpan(name, spanOptions, ctx), options.broken ?? []);
    },
    startActiveSpan: real.startActiveSpan.bind(real) as Tracer["startActiveSpan"],
  };
}

const diagErrors: unknown[][] = [];
let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  exporter.reset();
  diagErrors.length = 0;
  const record = (...args: unknown[]) => void diagErrors.push(args);
  const ignore = () => undefined;
  diag.setLogger({ error: record, warn: ignore, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.ERROR);
  warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  diag.disable();
  warn.mockRestore();
});
afterAll(() => provider.shutdown());

const finished = (): string[] => exporter.getFinishedSpans().map((s) => s.name);
const warnings = (): string[] => warn.mock.calls.map((call) => String(call[0]));

/** A graph for calling the tracer through an AdapterSet, without a driver. */
const plainGraph = new Builder().withModules({ a: () => 1 }).build().graph;

function driver(tracer: OpenTelemetryTracer) {
  let bRuns = 0;
  const dr = new Builder()
    .withModules({
      a: ({ x }: { x: number }) => x + 1,
      b: async ({ a }: { a: number }) => {
        bRuns++;
        await Promise.resolve();
        return a * 2;
      },
    })
    .withAdapters(tracer)
    .build();
  return { dr, runsOfB: () => bRuns };
}

describe("OpenTelemetryTracer: its own failures never break the app", () => {
  it("runs every node, untraced, once, with its result, when startSpan throws; reports it", async () => {
    const { dr, runsOfB } = driver(new OpenTelemetryTracer({ tracer: brokenTracer({ throwsOn: () => true }) }));
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(runsOfB()).toBe(1);
    expect(finished()).toEqual([]);
    // Every failure goes to diag; console.warn once per hook.
    expect(diagErrors).toHaveLength(3); // the run, a, b
    expect(String(diagErrors[0]![0])).toContain("OpenTelemetryTracer failed in wrapGraphExecution");
    expect(diagErrors[0]![1]).toBeInstanceOf(Error);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[0]).toContain("OpenTelemetryTracer failed in wrapGraphExecution");
    expect(warnings()[1]).toContain("OpenTelemetryTracer failed in aroundNodeExecution");
    expect(warnings()[1]).toContain("broken tracer provider: cannot start a");
    // A second run warns no more, but still reports to diag.
    expect(await dr.execute(["b"], { inputs: { x: 2 } })).toEqual({ b: 6 });
    expect(warnings()).toHaveLength(2);
    expect(diagErrors).toHaveLength(6);
  });

  it("keeps node spans when only the run span cannot start", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ throwsOn: (name) => name === "hamilton.run" }) });
    const { dr } = driver(tracer);
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(finished().sort()).toEqual(["a", "b"]);
    expect(tracer.activeRuns).toBe(0);
  });

  it("ends a span whose attributes cannot be set, and runs the node outside it", async () => {
    const { dr, runsOfB } = driver(new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["setAttributes"] }) }));
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(runsOfB()).toBe(1);
    expect(finished().sort()).toEqual(["a", "b", "hamilton.run"]); // started, abandoned, ended
    expect(warnings()[0]).toContain("password=[REDACTED]");
    expect(warnings().join("\n")).not.toContain("hunter2");
  });

  it("returns the node's value when its span cannot end, a synchronous node staying synchronous", () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["end"] }) });
    const set = new AdapterSet([tracer]);
    let calls = 0;
    const out = set.runNode({ runId: "r", node: plainGraph.node("a")!, kwargs: {}, taskId: undefined }, () => {
      calls++;
      return 41;
    });
    expect(out).toBe(41); // a value, not a promise
    expect(calls).toBe(1);
    expect(diagErrors).toHaveLength(1);
  });

  it("passes the node's own error on when the span cannot record it, calling the node once", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["recordException"] }) });
    const set = new AdapterSet([tracer]);
    const boom = new Error("the node's own error");
    let calls = 0;
    const init = { runId: "r", node: plainGraph.node("a")!, kwargs: {}, taskId: undefined };
    expect(() =>
      set.runNode(init, () => {
        calls++;
        throw boom;
      }),
    ).toThrow(boom);
    await expect(
      Promise.resolve(
        set.runNode(init, async () => {
          calls++;
          await Promise.resolve();
          throw boom;
        }),
      ),
    ).rejects.toBe(boom);
    expect(calls).toBe(2);
    expect(diagErrors).toHaveLength(2);
  });

  it("fails a run with the node's error, not the tracer's, when the run span cannot record it", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["recordException", "end"] }) });
    const boom = new Error("node failed");
    const dr = new Builder()
      .withModules({
        a: () => {
          throw boom;
        },
      })
      .withAdapters(tracer)
      .build();
    const error = await dr.execute(["a"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).cause).toBe(boom);
    expect(tracer.activeRuns).toBe(0);
  });

  it("returns the run's results when the run span cannot record them or end", async () => {
    const tracer = new OpenTelemetryTracer({
      tracer: brokenTracer({ broken: ["setAttribute", "end"] }),
      recordOutputs: true,
    });
    const { dr } = driver(tracer);
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(tracer.activeRuns).toBe(0);
  });

  it("still ends (and so exports) the node and run spans when recording their outcome throws", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["setAttribute"] }), recordOutputs: true });
    const { dr } = driver(tracer);
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(finished().sort()).toEqual(["a", "b", "hamilton.run"]);
    const failing = new OpenTelemetryTracer({ tracer: brokenTracer({ broken: ["recordException"] }) });
    exporter.reset();
    const error = await new Builder()
      .withModules({
        a: () => {
          throw new Error("node failed");
        },
      })
      .withAdapters(failing)
      .build()
      .execute(["a"])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(finished().sort()).toEqual(["a", "hamilton.run"]);
  });

  it("runs untraced when graphSpanName or runAttributes throws", async () => {
    for (const options of [
      {
        graphSpanName: () => {
          throw new Error("bad name");
        },
      },
      {
        runAttributes: () => {
          throw new Error("bad attributes");
        },
      },
    ]) {
      const { dr } = driver(new OpenTelemetryTracer(options));
      expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    }
    expect(diagErrors.map((args) => String((args[1] as Error).message))).toEqual(["bad name", "bad attributes"]);
  });

  it("does the same in the promise form, wrapNodeExecution", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ throwsOn: () => true }) });
    const event = {
      runId: "r",
      node: plainGraph.node("a")!,
      kwargs: {},
      taskId: undefined,
      attempt: 1,
      attributes: {},
    };
    let calls = 0;
    const next = () => {
      calls++;
      return Promise.resolve(7);
    };
    await expect(tracer.wrapNodeExecution(event as NodeExecutionEvent, next)).resolves.toBe(7);
    expect(calls).toBe(1);
    expect(diagErrors).toHaveLength(1);
  });

  it("runs the node in the context it was called in when its span cannot start", async () => {
    const tracer = new OpenTelemetryTracer({ tracer: brokenTracer({ throwsOn: () => true }) });
    const outer = real.startSpan("outer");
    const set = new AdapterSet([tracer]);
    const seen = context.with(trace.setSpan(context.active(), outer), () =>
      set.runNode({ runId: "r", node: plainGraph.node("a")!, kwargs: {}, taskId: undefined }, () =>
        trace.getActiveSpan(),
      ),
    );
    outer.end();
    expect(seen).toBe(outer);
  });
});
