import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { context, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OtlpFileError } from "./errors.js";
import { JsonLinesFileExporter } from "./jsonl-exporter.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "otlp-file-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

interface OtlpLine {
  resourceSpans: {
    scopeSpans: {
      scope: { name: string };
      spans: { traceId: string; spanId: string; parentSpanId?: string; name: string }[];
    }[];
  }[];
}

describe("JsonLinesFileExporter", () => {
  it("appends one OTLP JSON request per export, creating the folder, with hex ids", async () => {
    const path = join(dir, "nested", "traces.jsonl");
    const exporter = new JsonLinesFileExporter(path);
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    const tracer = provider.getTracer("scope-a");
    const root = tracer.startSpan("root");
    tracer.startSpan("child", {}, trace.setSpan(context.active(), root)).end();
    root.end();
    await provider.forceFlush();
    tracer.startSpan("second batch").end();
    await provider.forceFlush();

    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines.at(-1)).toBe(""); // every line ends with a newline
    const requests = lines.slice(0, -1).map((line) => JSON.parse(line) as OtlpLine);
    expect(requests).toHaveLength(2);
    const spans = requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    expect(spans.map((s) => s.name)).toEqual(["child", "root", "second batch"]);
    expect(requests[0]!.resourceSpans[0]!.scopeSpans[0]!.scope.name).toBe("scope-a");
    const [childOut, rootOut] = spans;
    expect(rootOut!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(childOut!.parentSpanId).toBe(rootOut!.spanId);
    await provider.shutdown();
  });

  it("reports a failed export when the file cannot be written", async () => {
    const exporter = new JsonLinesFileExporter(join(dir, "traces.jsonl", "\0bad"));
    const tracer = new BasicTracerProvider().getTracer("t");
    const span = tracer.startSpan("s");
    span.end();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export([span as unknown as Parameters<JsonLinesFileExporter["export"]>[0][number]], resolve),
    );
    expect(result.code).toBe(1);
    expect(OtlpFileError.isInstance(result.error)).toBe(true);
    expect(result.error).toMatchObject({ code: "WRITE_FAILED", message: expect.stringContaining("cannot append to") });
    expect((result.error as Error).cause).toBeInstanceOf(Error);
  });

  it("refuses a missing path with what to give instead", () => {
    expect(() => new JsonLinesFileExporter("")).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("non-empty string") }),
    );
  });

  it("writes lines in the order of the exports, none interleaved, when many are in flight", async () => {
    const path = join(dir, "many.jsonl");
    const exporter = new JsonLinesFileExporter(path);
    const tracer = new BasicTracerProvider().getTracer("t");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const span = tracer.startSpan(`s${i}`);
        span.end();
        return new Promise<{ code: number }>((resolve) =>
          exporter.export([span as unknown as Parameters<JsonLinesFileExporter["export"]>[0][number]], resolve),
        );
      }),
    );
    expect(results.every((r) => r.code === 0)).toBe(true);
    const names = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as OtlpLine).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name);
    expect(names).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
  });

  it("starts on a fresh line after a torn last line, so the torn line costs only itself", async () => {
    const path = join(dir, "torn.jsonl");
    // Another process died mid-write.
    await appendFile(path, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ab');
    const exporter = new JsonLinesFileExporter(path);
    const span = new BasicTracerProvider().getTracer("t").startSpan("after the crash");
    span.end();
    const result = await new Promise<{ code: number }>((resolve) =>
      exporter.export([span as unknown as Parameters<JsonLinesFileExporter["export"]>[0][number]], resolve),
    );
    expect(result.code).toBe(0);
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines).toHaveLength(3);
    expect(() => JSON.parse(lines[0]!)).toThrow();
    expect((JSON.parse(lines[1]!) as OtlpLine).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name).toBe("after the crash");
  });

  it("refuses exports after shutdown", async () => {
    const exporter = new JsonLinesFileExporter(join(dir, "t.jsonl"));
    await exporter.shutdown();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export([], resolve));
    expect(result).toMatchObject({
      code: 1,
      error: { code: "SHUT_DOWN", message: expect.stringContaining("is shut down") },
    });
  });
});
