import { appendFile, readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { OTLPTraceExporter as HttpExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from "./otlp-schema.js";
import { readTraceFile, tracesFile } from "./traces.js";

/** Makes a run span, a node span under it and an LLM span under the node, exported by `exporter`. */
async function emit(exporter: SpanExporter): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "ui-test" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("test");
  const run = tracer.startSpan("run-1");
  const runContext = trace.setSpan(context.active(), run);
  const node = tracer.startSpan("universalTruth", { attributes: { "hamilton.node": "universalTruth" } }, runContext);
  const llm = tracer.startSpan(
    "openai.chat",
    {
      kind: 2,
      attributes: {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        ok: true,
        ratio: 0.5,
        list: ["a", "b"],
      },
    },
    trace.setSpan(runContext, node),
  );
  llm.addEvent("first token", { n: 1 });
  llm.end();
  node.setStatus({ code: SpanStatusCode.ERROR, message: "<b>boom</b>" });
  node.end();
  run.end();
  await provider.forceFlush();
  await provider.shutdown();
  return run.spanContext().traceId;
}

function checkTrace(spans: readonly any[], traceId: string) {
  expect(spans.map((s) => s.name).sort()).toEqual(["openai.chat", "run-1", "universalTruth"]);
  const byName = new Map(spans.map((s) => [s.name, s]));
  const run = byName.get("run-1");
  const node = byName.get("universalTruth");
  const llm = byName.get("openai.chat");
  expect(run.traceId).toBe(traceId);
  expect(run.parentSpanId).toBeUndefined();
  expect(node.parentSpanId).toBe(run.spanId);
  expect(llm.parentSpanId).toBe(node.spanId);
  expect(llm.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(llm.kind).toBe(3); // SpanKind.CLIENT (2 in the API) is 3 in OTLP.
  expect(llm.attributes).toEqual({
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 12,
    ok: true,
    ratio: 0.5,
    list: ["a", "b"],
  });
  expect(llm.events).toEqual([expect.objectContaining({ name: "first token", attributes: { n: 1 } })]);
  expect(llm.resource["service.name"]).toBe("ui-test");
  expect(node.status).toEqual({ code: 2, message: "<b>boom</b>" });
  expect(run.startTime).toBeGreaterThan(1.7e12);
  expect(run.endTime).toBeGreaterThanOrEqual(run.startTime);
}

describe("POST /v1/traces", () => {
  it("takes the protobuf exporter's spans and the read API shows the trace", async () => {
    const ui = await serve();
    const traceId = await emit(new ProtoExporter({ url: `${ui.url}/v1/traces` }));
    const { status, body } = await fetch(`${ui.url}/api/traces/${traceId}`).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as any,
    }));
    expect(status).toBe(200);
    expect(body.traceId).toBe(traceId);
    checkTrace(body.spans, traceId);
  });

  it("takes the JSON exporter's spans, gzipped too, into the store's trace file", async () => {
    const ui = await serve();
    const plain = await emit(new HttpExporter({ url: `${ui.url}/v1/traces` }));
    const gzipped = await emit(new HttpExporter({ url: `${ui.url}/v1/traces`, compression: "gzip" as never }));
    const { spans } = await readTraceFile(tracesFile(ui.dir));
    checkTrace(
      spans.filter((s) => s.traceId === plain),
      plain,
    );
    checkTrace(
      spans.filter((s) => s.traceId === gzipped),
      gzipped,
    );
  });

  it("writes a protobuf request as the OTLP JSON line protobufjs's toObject and the spec give (64-bit values exact, ids hex, bytes base64)", async () => {
    const ui = await serve();
    const hex = (text: string) => Buffer.from(text, "hex");
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
          scopeSpans: [
            {
              scope: { name: "scope", version: "1" },
              spans: [
                {
                  traceId: hex("0102030405060708090a0b0c0d0e0f10"),
                  spanId: hex("0102030405060708"),
                  parentSpanId: hex("1112131415161718"),
                  name: "a",
                  kind: 3,
                  flags: 1,
                  startTimeUnixNano: "1796044825394123457",
                  endTimeUnixNano: "18446744073709551615",
                  attributes: [
                    { key: "small", value: { intValue: "-5" } },
                    { key: "min", value: { intValue: "-9223372036854775808" } },
                    { key: "above2^53", value: { intValue: "9007199254740993" } },
                    { key: "bytes", value: { bytesValue: hex("ff00ee") } },
                    { key: "list", value: { arrayValue: { values: [{ doubleValue: 1.5 }, { boolValue: false }] } } },
                    { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { stringValue: "" } }] } } },
                  ],
                  events: [{ timeUnixNano: "7", name: "e" }],
                  links: [{ traceId: hex("ffffffffffffffffffffffffffffffff"), spanId: hex("0000000000000001") }],
                  status: { code: 2, message: "m" },
                },
              ],
            },
          ],
        },
      ],
    };
    const body = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(request)).finish();
    const res = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: Buffer.from(body), // what fetch takes as a body under both the Node and the DOM typings
    });
    expect(res.status).toBe(200);
    await ui.close();
    const line = (await readFile(tracesFile(ui.dir), "utf8")).trim();
    expect(JSON.parse(line)).toEqual({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
          scopeSpans: [
            {
              scope: { name: "scope", version: "1" },
              spans: [
                {
                  traceId: "0102030405060708090a0b0c0d0e0f10",
                  spanId: "0102030405060708",
                  parentSpanId: "1112131415161718",
                  name: "a",
                  kind: 3,
                  startTimeUnixNano: "1796044825394123457",
                  endTimeUnixNano: "18446744073709551615",
                  attributes: [
                    { key: "small", value: { intValue: "-5" } },
                    { key: "min", value: { intValue: "-9223372036854775808" } },
                    { key: "above2^53", value: { intValue: "9007199254740993" } },
                    { key: "bytes", value: { bytesValue: "/wDu" } },
                    { key: "list", value: { arrayValue: { values: [{ doubleValue: 1.5 }, { boolValue: false }] } } },
                    { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { stringValue: "" } }] } } },
                  ],
                  events: [{ timeUnixNano: "7", name: "e" }],
                  links: [{ traceId: "ffffffffffffffffffffffffffffffff", spanId: "0000000000000001" }],
                  status: { message: "m", code: 2 },
                  flags: 1,
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("answers protobuf with protobuf, reports partial success, and refuses undecodable bodies with 400", async () => {
    const ui = await serve();
    const good = {
      traceId: Buffer.alloc(16, 1),
      spanId: Buffer.alloc(8, 2),
      name: "ok",
      startTimeUnixNano: "1",
      endTimeUnixNano: "2",
    };
    const bad = { traceId: Buffer.alloc(16, 0), spanId: Buffer.alloc(8, 3), name: "zero trace id" };
    const message = ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [good, bad] }] }] });
    const res = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
      body: gzipSync(ExportTraceServiceRequest.encode(message).finish()),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    const answer = ExportTraceServiceResponse.toObject(
      ExportTraceServiceResponse.decode(new Uint8Array(await res.arrayBuffer())),
      { longs: String },
    );
    expect(answer.partialSuccess).toMatchObject({ rejectedSpans: "1" });
    expect(answer.partialSuccess.errorMessage).toMatch(/traceId/);
    const { spans } = await readTraceFile(tracesFile(ui.dir));
    expect(spans.map((s) => [s.name, s.traceId])).toEqual([["ok", "01".repeat(16)]]);

    for (const [type, body] of [
      ["application/x-protobuf", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
      ["application/json", Buffer.from("{not json")],
      ["application/json", Buffer.from("[1]")],
    ] as const) {
      const refused = await fetch(`${ui.url}/v1/traces`, { method: "POST", headers: { "content-type": type }, body });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).error).toMatch(/POST \/v1\/traces: /);
    }
    const badGzip = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: "nope",
    });
    expect(badGzip.status).toBe(400);
    const wrongType = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(wrongType.status).toBe(415);
    // Nothing refused was written.
    expect((await readTraceFile(tracesFile(ui.dir))).spans).toHaveLength(1);
  });

  it("writes an export received after a torn last line on a line of its own (the torn line costs only itself)", async () => {
    const ui = await serve();
    // An app's exporter died mid-write.
    await appendFile(tracesFile(ui.dir), '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ab');
    const traceId = await emit(new HttpExporter({ url: `${ui.url}/v1/traces` }));
    const { spans, skippedLines } = await readTraceFile(tracesFile(ui.dir));
    expect(skippedLines).toBe(1);
    checkTrace(spans, traceId);
  });

  it("refuses malformed spans and structure, so one request cannot break the trace read API", async () => {
    const ui = await serve();
    const traceId = "ab".repeat(16);
    const span = (spanId: string, extra: Record<string, unknown> = {}) => ({
      traceId,
      spanId,
      name: `s-${spanId}`,
      startTimeUnixNano: "1000000",
      endTimeUnixNano: "2000000",
      ...extra,
    });
    const post = (body: unknown) =>
      fetch(`${ui.url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const res = await post({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                span("0000000000000001"),
                span("0000000000000002", { events: {} }),
                span("0000000000000003", { attributes: "x" }),
                span("0000000000000004", { status: 7 }),
              ],
            },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).partialSuccess).toMatchObject({ rejectedSpans: "3" });
    for (const [body, where] of [
      [{ resourceSpans: [{ scopeSpans: {} }] }, "resourceSpans[0].scopeSpans"],
      [{ resourceSpans: [5] }, "resourceSpans[0]"],
      [{ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, "resourceSpans[0].scopeSpans[0].spans"],
    ] as const) {
      const refused = await post(body);
      expect(refused.status, where).toBe(400);
      expect(((await refused.json()) as any).error).toContain(where);
    }
    const trace = await fetch(`${ui.url}/api/traces/${traceId}`);
    expect(trace.status).toBe(200);
    expect(((await trace.json()) as any).spans.map((s: any) => s.spanId)).toEqual(["0000000000000001"]);

    // A line written by another process with a malformed span: that span is skipped, and counted.
    await appendFile(
      tracesFile(ui.dir),
      `${JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span("0000000000000005", { events: {} })] }, { spans: {} }] }, { scopeSpans: {} }] })}\n`,
    );
    expect((await fetch(`${ui.url}/api/traces/${traceId}`)).status).toBe(200);
    const store = await fetch(`${ui.url}/api/store`);
    expect(store.status).toBe(200);
    expect(await store.json()).toMatchObject({ skippedTraceLines: 0, skippedTraceSpans: 1 });
  });
});
