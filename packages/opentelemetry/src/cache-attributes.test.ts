import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, collect, parallelize } from "@hamilton-ts/core";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { OpenTelemetryTracer } from "./tracer.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
beforeEach(() => exporter.reset());
afterAll(() => provider.shutdown());

/** The cache attributes of each node span, by span name. */
function cacheAttributes(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const span of exporter.getFinishedSpans() as ReadableSpan[]) {
    if (span.name === "hamilton.run") continue;
    out[span.name] = Object.fromEntries(
      Object.entries(span.attributes).filter(([k]) => k.startsWith("hamilton.cache")),
    );
  }
  return out;
}

const dataflow = {
  prompt: ({ topic }: { topic: string }) => `Tell me about ${topic}`,
  answer: ({ prompt }: { prompt: string }) => `${prompt.length} characters`,
};

describe("OpenTelemetryTracer: why the cache did what it did, on node spans", () => {
  it("a miss has its reason and detail and the key; a hit the key and the run it replayed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-cache-why-"));
    const runIds: string[] = [];
    const build = (modules: typeof dataflow = dataflow) =>
      new Builder()
        .withModules(modules)
        .withAdapters(new OpenTelemetryTracer(), { beforeGraphExecution: (e) => void runIds.push(e.runId) })
        .withCache({ dir })
        .build();
    await build().execute(["answer"], { inputs: { topic: "owls" } });
    const first = cacheAttributes();
    expect(first.prompt).toEqual({
      "hamilton.cache": "miss",
      "hamilton.cache.key": expect.stringMatching(/^[0-9a-f]{64}$/),
      "hamilton.cache.miss_reason": "new",
    });
    exporter.reset();
    await build().execute(["answer"], { inputs: { topic: "owls" } });
    expect(cacheAttributes().answer).toEqual({
      "hamilton.cache": "hit",
      "hamilton.cache.key": first.answer!["hamilton.cache.key"],
      "hamilton.cache.from_run": runIds[0],
    });
    exporter.reset();
    await build().execute(["answer"], { inputs: { topic: "penguins" } });
    expect(cacheAttributes().prompt).toMatchObject({
      "hamilton.cache.miss_reason": "dependency",
      "hamilton.cache.miss_detail": "topic",
    });
    exporter.reset();
    const edited = { ...dataflow, answer: ({ prompt }: { prompt: string }) => `${prompt.length} chars` };
    const dr = build(edited);
    await dr.execute(["answer"], { inputs: { topic: "penguins" } });
    const from = build().graph.node("answer")!.version;
    expect(cacheAttributes().answer).toMatchObject({
      "hamilton.cache": "miss",
      "hamilton.cache.miss_reason": "code",
      "hamilton.cache.miss_detail": `${from} -> ${dr.graph.node("answer")!.version}`,
    });
  });

  it("a fan-out item's span has its own task's reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-cache-why-"));
    const modules = {
      urls: parallelize(({ list }: { list: string[] }) => list),
      page: ({ urls }: { urls: string }) => `<${urls}>`,
      pages: collect(({ page }: { page: string[] }) => page.join(",")),
    };
    const build = () =>
      new Builder().withModules(modules).withAdapters(new OpenTelemetryTracer()).withCache({ dir }).build();
    await build().execute(["pages"], { inputs: { list: ["a", "b"] } });
    exporter.reset();
    await build().execute(["pages"], { inputs: { list: ["a", "c", "d"] } });
    const spans = cacheAttributes();
    expect(spans["page urls[0]"]!["hamilton.cache"]).toBe("hit");
    expect(spans["page urls[1]"]).toMatchObject({
      "hamilton.cache.miss_reason": "dependency",
      "hamilton.cache.miss_detail": "urls",
    });
    expect(spans["page urls[2]"]).toMatchObject({ "hamilton.cache.miss_reason": "new" });
    expect("hamilton.cache.miss_detail" in spans["page urls[2]"]!).toBe(false);
  });
});
