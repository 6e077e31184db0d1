/** Reads OTLP JSON lines (what `JsonLinesFileExporter` writes) back as tree spans. */
import type { TreeSpan } from "./trace-tree.js";

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startTimeUnixNano: string | number;
  readonly endTimeUnixNano: string | number;
  readonly attributes?: readonly { readonly key: string; readonly value: OtlpValue }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}

interface OtlpLine {
  readonly resourceSpans?: readonly {
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

function attributeValue(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

/** Every span of every line; lines that are not OTLP JSON are skipped. */
export function fromOtlpLines(text: string): TreeSpan[] {
  const out: TreeSpan[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let parsed: OtlpLine;
    try {
      parsed = JSON.parse(line) as OtlpLine;
    } catch {
      continue;
    }
    for (const resource of parsed.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const startMs = Number(BigInt(span.startTimeUnixNano) / 1000n) / 1e3;
          const endMs = Number(BigInt(span.endTimeUnixNano) / 1000n) / 1e3;
          out.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            startMs,
            durationMs: endMs - startMs,
            attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, attributeValue(a.value)])),
            error: span.status?.code === 2,
            statusMessage: span.status?.message,
          });
        }
      }
    }
  }
  return out;
}
