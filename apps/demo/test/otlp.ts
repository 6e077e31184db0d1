/**
 * Test helpers for OTLP JSON: reading the demo's trace file, and an OTLP/HTTP receiver on
 * 127.0.0.1 that accepts JSON (and counts protobuf bodies it cannot read).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as the tests read it from OTLP JSON. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly scope: string;
  readonly attributes: Record<string, unknown>;
  /** 0 unset, 1 OK, 2 ERROR. */
  readonly statusCode: number;
  readonly statusMessage: string | undefined;
  readonly events: readonly { name: string; attributes: Record<string, unknown> }[];
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportRequest {
  resourceSpans?: {
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: KeyValue[];
        status?: { code?: number; message?: string };
        events?: { name: string; attributes?: KeyValue[] }[];
      }[];
    }[];
  }[];
}

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attributes = (list: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));

/** Every span of an OTLP JSON `ExportTraceServiceRequest`. */
export function spansOf(request: ExportRequest): OtlpSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId || undefined,
        name: s.name,
        scope: ss.scope?.name ?? "",
        attributes: attributes(s.attributes),
        statusCode: s.status?.code ?? 0,
        statusMessage: s.status?.message,
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
      })),
    ),
  );
}

/** Every span in an OTLP JSON-lines file. */
export async function readTraceFile(path: string): Promise<OtlpSpan[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => spansOf(JSON.parse(line) as ExportRequest));
}

/** A running OTLP/HTTP receiver. */
export interface OtlpReceiver {
  /** The endpoint to give as `OTEL_EXPORTER_OTLP_ENDPOINT` (no path). */
  readonly endpoint: string;
  /** Spans received as JSON at `/v1/traces`. */
  readonly spans: OtlpSpan[];
  /** Every request: method, path, content type, authorization header and raw body. */
  readonly requests: {
    method: string;
    path: string;
    contentType: string;
    authorization: string | undefined;
    body: Buffer;
  }[];
  close(): Promise<void>;
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1 (a free port); with `failWith`, it answers every export with that HTTP status. */
export async function startOtlpReceiver(options: { failWith?: number } = {}): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const requests: OtlpReceiver["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      const contentType = String(req.headers["content-type"] ?? "");
      requests.push({
        method: req.method ?? "",
        path,
        contentType,
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks),
      });
      if (req.method !== "POST" || path !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      if (options.failWith !== undefined) {
        res
          .writeHead(options.failWith, { "content-type": "application/json" })
          .end(JSON.stringify({ code: 3, message: "rejected by the test" }));
        return;
      }
      if (contentType.includes("json")) {
        spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ExportRequest));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        // Protobuf: accepted (so an exporter does not retry) but not decoded; the test sees the content type.
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
