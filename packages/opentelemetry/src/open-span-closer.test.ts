import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Span } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ATTR_SPAN_ENDED_BY, ENDED_BY_OPEN_SPAN_CLOSER, OpenSpanCloser } from "./open-span-closer.js";
import { OpenTelemetryTracer } from "./tracer.js";
import { spanQueries } from "../test/span-queries.js";

// One real SDK for the file, with the closer registered before the exporting processor.
const exporter = new InMemorySpanExporter();
const closer = new OpenSpanCloser();
const provider = new NodeTracerProvider({ spanProcessors: [closer, new SimpleSpanProcessor(exporter)] });
provider.register();
const appTracer = trace.getTracer("app");

beforeEach(() => exporter.reset());
afterAll(() => provider.shutdown());

const { spans, one, parentName } = spanQueries(exporter);

describe("OpenSpanCloser", () => {
  it("ends the spans a failed node left open, deepest first, with the node's error, under the node", async () => {
    const dr = new Builder()
      .withModules({
        answer: async () => {
          const call = appTracer.startSpan("chat gpt-4o-mini", {
            attributes: { "gen_ai.request.model": "gpt-4o-mini" },
          });
          context.with(trace.setSpan(context.active(), call), () => appTracer.startSpan("http POST"));
          await Promise.resolve();
          throw new Error("500 The server had an error");
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    const error = await dr.execute(["answer"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);

    const chat = one("chat gpt-4o-mini");
    const http = one("http POST");
    expect(parentName(chat)).toBe("answer");
    expect(parentName(http)).toBe("chat gpt-4o-mini");
    for (const span of [chat, http]) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "500 The server had an error" });
      expect(span.attributes[ATTR_SPAN_ENDED_BY]).toBe(ENDED_BY_OPEN_SPAN_CLOSER);
      expect(span.attributes["error.type"]).toBe("Error");
    }
    expect(chat.attributes["gen_ai.request.model"]).toBe("gpt-4o-mini");
    // Deepest first: the grandchild ended (and was exported) before the child.
    const order = spans().map((s) => s.name);
    expect(order.indexOf("http POST")).toBeLessThan(order.indexOf("chat gpt-4o-mini"));
    expect(closer.openSpans).toBe(0);
  });

  it("ends a span left open under a node that succeeded, with its status unset", async () => {
    const dr = new Builder()
      .withModules({ quick: () => (appTracer.startSpan("background"), 42) })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    expect(await dr.execute(["quick"])).toEqual({ quick: 42 });
    const background = one("background");
    expect(parentName(background)).toBe("quick");
    expect(background.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(background.attributes[ATTR_SPAN_ENDED_BY]).toBe(ENDED_BY_OPEN_SPAN_CLOSER);
    expect(closer.openSpans).toBe(0);
  });

  it("never touches a span that ended normally, under a failed node either", async () => {
    const dr = new Builder()
      .withModules({
        careful: () => {
          const call = appTracer.startSpan("call");
          call.setStatus({ code: SpanStatusCode.OK });
          call.end();
          throw new Error("later failure");
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await expect(dr.execute(["careful"])).rejects.toThrow("later failure");
    const call = one("call");
    expect(call.status).toEqual({ code: SpanStatusCode.OK });
    expect(call.attributes[ATTR_SPAN_ENDED_BY]).toBeUndefined();
    expect(call.attributes["error.type"]).toBeUndefined();
    expect(call.endTime).not.toEqual(one("careful").endTime);
  });

  it("keeps the status of a span that recorded its own error", async () => {
    const dr = new Builder()
      .withModules({
        answer: () => {
          appTracer.startSpan("call").setStatus({ code: SpanStatusCode.ERROR, message: "its own words" });
          throw new Error("the node's words");
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await expect(dr.execute(["answer"])).rejects.toThrow("the node's words");
    expect(one("call").status).toEqual({ code: SpanStatusCode.ERROR, message: "its own words" });
    expect(one("call").attributes[ATTR_SPAN_ENDED_BY]).toBe(ENDED_BY_OPEN_SPAN_CLOSER);
  });

  it("leaves spans outside node spans alone, and a child started after its node ended", async () => {
    const outside = appTracer.startSpan("outside");
    const inside = context.with(trace.setSpan(context.active(), outside), () => appTracer.startSpan("inside"));
    let late: (() => Span) | undefined;
    const dr = new Builder()
      .withModules({ node: () => ((late = context.bind(context.active(), () => appTracer.startSpan("late"))), 1) })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["node"]);
    const lateSpan = late!();
    expect(closer.openSpans).toBe(0);
    expect(spans().map((s) => s.name)).not.toContain("late");
    expect(spans().map((s) => s.name)).not.toContain("inside");
    for (const span of [lateSpan, inside, outside]) span.end();
    expect(one("late").attributes[ATTR_SPAN_ENDED_BY]).toBeUndefined();
    expect(one("inside").attributes[ATTR_SPAN_ENDED_BY]).toBeUndefined();
  });

  it("keeps nothing for spans that ended: many spans under one node", async () => {
    let openWhileRunning = 0;
    const dr = new Builder()
      .withModules({
        busy: () => {
          for (let i = 0; i < 20_000; i++) appTracer.startSpan("step").end();
          for (let i = 0; i < 500; i++) appTracer.startSpan("leak");
          openWhileRunning = closer.openSpans;
          return "done";
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["busy"]);
    expect(openWhileRunning).toBe(500);
    expect(closer.openSpans).toBe(0);
    const leaks = spans().filter((s) => s.name === "leak");
    expect(leaks).toHaveLength(500);
    expect(leaks.every((s) => s.attributes[ATTR_SPAN_ENDED_BY] === ENDED_BY_OPEN_SPAN_CLOSER)).toBe(true);
    expect(spans().filter((s) => s.name === "step" && s.attributes[ATTR_SPAN_ENDED_BY] !== undefined)).toEqual([]);
  });
});

describe("OpenSpanCloser bounds", () => {
  it("tracks at most maxOpenSpans, counts and warns once about the rest", async () => {
    const small = new OpenSpanCloser({ maxOpenSpans: 3 });
    const memory = new InMemorySpanExporter();
    const local = new NodeTracerProvider({ spanProcessors: [small, new SimpleSpanProcessor(memory)] });
    const tracer = local.getTracer("bounded");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const dr = new Builder()
        .withModules({
          many: () => {
            for (let i = 0; i < 10; i++) tracer.startSpan(`open ${i}`);
            return 1;
          },
        })
        .withAdapters(new OpenTelemetryTracer({ tracer }))
        .build();
      await dr.execute(["many"]);
      expect(small.untracked).toBe(7);
      expect(small.openSpans).toBe(0);
      expect(
        memory
          .getFinishedSpans()
          .filter((s) => s.name.startsWith("open "))
          .map((s) => s.name),
      ).toEqual(["open 0", "open 1", "open 2"]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain("maxOpenSpans");
    } finally {
      warn.mockRestore();
      await local.shutdown();
    }
  });

  it("refuses a maxOpenSpans that is not a positive integer, naming it", () => {
    expect(() => new OpenSpanCloser({ maxOpenSpans: 0 })).toThrow(/`maxOpenSpans` must be a positive integer/);
    expect(() => new OpenSpanCloser({ maxOpenSpans: 1.5 })).toThrow(RangeError);
  });
});
