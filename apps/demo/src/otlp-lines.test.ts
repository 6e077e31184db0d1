import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonLinesFileExporter } from "./jsonl-exporter.js";
import { fromOtlpLines } from "./otlp-lines.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-otlp-lines-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("fromOtlpLines", () => {
  it("reads back what JsonLinesFileExporter wrote: ids, parents, names, attributes, status; skips other lines", async () => {
    const path = join(dir, "traces.jsonl");
    const exporter = new JsonLinesFileExporter(path);
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer("t");
    const root = tracer.startSpan("root");
    const child = tracer.startSpan(
      "child",
      { attributes: { "process.pid": 42, "hamilton.worker": "box:42", ok: true } },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.setStatus({ code: 2, message: "boom" });
    child.end();
    root.end();
    await exporter.forceFlush();
    const text = `${await readFile(path, "utf8")}not json\n`;
    const spans = fromOtlpLines(text);
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(["child", "root"]);
    expect(byName.get("child")!.parentSpanId).toBe(root.spanContext().spanId);
    expect(byName.get("child")!.traceId).toBe(root.spanContext().traceId);
    expect(byName.get("root")!.parentSpanId).toBeUndefined();
    expect(byName.get("child")!.attributes).toEqual({ "process.pid": 42, "hamilton.worker": "box:42", ok: true });
    expect(byName.get("child")!.error).toBe(true);
    expect(byName.get("child")!.statusMessage).toBe("boom");
    expect(byName.get("root")!.durationMs).toBeGreaterThanOrEqual(0);
    await provider.shutdown();
  });
});
