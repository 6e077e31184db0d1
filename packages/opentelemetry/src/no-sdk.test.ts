// No OpenTelemetry SDK is registered in this file: the real API hands out its no-op tracer.
import { DiagLogLevel, diag, trace } from "@opentelemetry/api";
import { AlwaysOffSampler, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { Builder } from "@hamilton-ts/core";
import type { GraphExecutionEvent, NodeExecutionResultEvent, SharedAttributes } from "@hamilton-ts/lifecycle";
import { afterAll, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { SHARED_OTEL_SDK } from "./index.js";
import { OpenTelemetryTracer } from "./tracer.js";

const dataflow = { a: () => 1, b: ({ a }: { a: number }) => a + 1 };

const diagnostics: string[] = [];
diag.setLogger(
  {
    error: () => undefined,
    warn: (message: string) => void diagnostics.push(message),
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  },
  DiagLogLevel.WARN,
);
afterAll(() => diag.disable());

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  diagnostics.length = 0;
  warn?.mockRestore();
  warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

/** Runs `b` twice with `tracer`, keeping the shared attributes every node and run event ended with. */
async function twoRuns(tracer: OpenTelemetryTracer) {
  const nodes: SharedAttributes[] = [];
  const runs: SharedAttributes[] = [];
  const dr = new Builder()
    .withModules(dataflow)
    .withAdapters(tracer, {
      afterNodeExecution: (e: NodeExecutionResultEvent) => void nodes.push({ ...e.attributes }),
      afterGraphExecution: (e: GraphExecutionEvent) => void runs.push({ ...e.attributes }),
    })
    .build();
  const results = [await dr.execute(["b"]), await dr.execute(["b"])];
  return { results, nodes, runs };
}

describe("OpenTelemetryTracer without an OpenTelemetry SDK", () => {
  it("says once per tracer how to register an SDK, and marks every node and run event otel_sdk: none", async () => {
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false); // really no SDK
    const { results, nodes, runs } = await twoRuns(new OpenTelemetryTracer());
    expect(results).toEqual([{ b: 2 }, { b: 2 }]);
    expect(nodes).toEqual(Array.from({ length: 4 }, () => ({ otel_sdk: "none" })));
    expect(runs).toEqual([{ otel_sdk: "none" }, { otel_sdk: "none" }]);
    expect(SHARED_OTEL_SDK).toBe("otel_sdk");

    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toContain("no OpenTelemetry SDK is registered");
    for (const how of ["NodeTracerProvider(", ".register()", "NodeSDK(", ".start()", "initialize("])
      expect(message).toContain(how);
    expect(diagnostics).toEqual([message]);

    // Another tracer instance says it again (once for it).
    await twoRuns(new OpenTelemetryTracer());
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("does not take a sampled-out span of a real SDK for a missing SDK", async () => {
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    const { results, nodes, runs } = await twoRuns(new OpenTelemetryTracer({ tracer: provider.getTracer("off") }));
    expect(results).toEqual([{ b: 2 }, { b: 2 }]);
    for (const attributes of [...nodes, ...runs]) {
      expect(attributes[SHARED_OTEL_SDK]).toBeUndefined();
      expect(attributes.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(attributes.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(warn).not.toHaveBeenCalled();
    expect(diagnostics).toEqual([]);
    await provider.shutdown();
  });
});
