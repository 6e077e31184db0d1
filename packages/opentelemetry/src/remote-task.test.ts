import { deserialize, serialize } from "node:v8";
import { ROOT_CONTEXT, context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, collect, parallelize } from "@hamilton-ts/core";
import type { FanOutTask, TaskExecutor } from "@hamilton-ts/core";
import { afterAll, describe, expect, it } from "vitest";
import { ATTR_HOST_NAME, ATTR_PROCESS_PID, ATTR_WORKER } from "./attribute-names.js";
import { OpenTelemetryTracer } from "./tracer.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
afterAll(() => provider.shutdown());

const dataflow = {
  url: parallelize(({ urls }: { urls: string[] }) => urls),
  page: async ({ url }: { url: string }) => {
    // A span the node's own code starts (as an OpenAI instrumentation would) nests under it.
    await trace.getTracer("app").startActiveSpan("llm call", async (span) => span.end());
    return url.toUpperCase();
  },
  pages: collect(({ page }: { page: string[] }) => page),
};

describe("OpenTelemetryTracer across a task executor", () => {
  it("puts the worker's node spans under the coordinator's run span, saying which worker made them", async () => {
    // The worker's tracer is another instance: it knows the run only from the task's run context.
    const worker = new Builder().withModules(dataflow).withAdapters(new OpenTelemetryTracer()).build();
    const executor: TaskExecutor = {
      async runTask(task, signal) {
        const copy = deserialize(serialize(task)) as FanOutTask;
        // As in another process: nothing of the coordinator's context is active.
        return context.with(ROOT_CONTEXT, () => worker.runTask(copy, { signal, worker: "box-7:4242" }));
      },
    };
    const dr = new Builder()
      .withModules(dataflow)
      .withAdapters(new OpenTelemetryTracer())
      .withTaskExecutor(executor)
      .build();
    expect(await dr.execute(["pages"], { inputs: { urls: ["a", "b"] } })).toEqual({ pages: ["A", "B"] });
    const spans = exporter.getFinishedSpans();
    const run = spans.find((s) => s.name === "hamilton.run")!;
    const byName = (name: string): ReadableSpan => spans.find((s) => s.name === name)!;
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([run.spanContext().traceId]));
    for (const name of ["page url[0]", "page url[1]"]) {
      const span = byName(name);
      expect(span.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
      expect(span.attributes[ATTR_WORKER]).toBe("box-7:4242");
      expect(span.attributes[ATTR_HOST_NAME]).toBe("box-7");
      expect(span.attributes[ATTR_PROCESS_PID]).toBe(4242);
    }
    const llm = spans.filter((s) => s.name === "llm call");
    expect(llm.map((s) => s.parentSpanContext?.spanId).sort()).toEqual(
      [byName("page url[0]").spanContext().spanId, byName("page url[1]").spanContext().spanId].sort(),
    );
    // The coordinator's own collect span has no worker attributes.
    expect(byName("pages").attributes[ATTR_WORKER]).toBeUndefined();
  });
});
