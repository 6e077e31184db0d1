/**
 * Prints a trace as a tree — run → nodes → LLM calls — with durations, and for LLM calls the
 * model and token counts (OpenLLMetry's `gen_ai.*` attributes).
 */
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createStyle, formatDuration } from "./style.js";
import type { Style } from "./style.js";

/** The part of a span the tree needs; built from SDK spans or from OTLP JSON alike. */
export interface TreeSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** Start time, in milliseconds since the epoch (used for ordering siblings). */
  readonly startMs: number;
  readonly durationMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** True when the span's status is ERROR. */
  readonly error: boolean;
  readonly statusMessage: string | undefined;
}

const SPAN_STATUS_ERROR = 2;

/** Converts an SDK span. */
export function fromReadableSpan(span: ReadableSpan): TreeSpan {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    startMs: span.startTime[0] * 1e3 + span.startTime[1] / 1e6,
    durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
    attributes: span.attributes,
    error: span.status.code === SPAN_STATUS_ERROR,
    statusMessage: span.status.message,
  };
}

/**
 * Renders the spans of one trace as an indented tree, children in start order. Spans whose parent
 * is not among `spans` are roots.
 */
export function renderTraceTree(spans: readonly TreeSpan[], style: Style = createStyle(false)): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, TreeSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs || a.name.localeCompare(b.name));

  const lines: string[] = [];
  const walk = (span: TreeSpan, prefix: string, branch: string, isRoot: boolean): void => {
    lines.push(`${style.dim(prefix + branch)}${describe(span, style, isRoot)}`);
    const kids = children.get(span.spanId) ?? [];
    const childPrefix = isRoot ? "" : prefix + (branch === "└─ " ? "   " : "│  ");
    kids.forEach((kid, i) => {
      walk(kid, childPrefix, i === kids.length - 1 ? "└─ " : "├─ ", false);
    });
  };
  for (const root of children.get(undefined) ?? []) walk(root, "", "", true);
  return lines;
}

function describe(span: TreeSpan, style: Style, isRoot: boolean): string {
  const a = span.attributes;
  const isLlm = typeof a["gen_ai.request.model"] === "string" || typeof a["gen_ai.response.model"] === "string";
  const name = isRoot ? style.bold(span.name) : isLlm ? style.magenta(span.name) : style.cyan(span.name);
  const parts = [name, style.dim(formatDuration(span.durationMs))];
  if (isLlm) {
    const model = a["gen_ai.response.model"] ?? a["gen_ai.request.model"];
    const input = a["gen_ai.usage.input_tokens"] ?? a["gen_ai.usage.prompt_tokens"];
    const output = a["gen_ai.usage.output_tokens"] ?? a["gen_ai.usage.completion_tokens"];
    parts.push(`model ${String(model)}`);
    if (input !== undefined || output !== undefined)
      parts.push(`${String(input ?? "?")} in / ${String(output ?? "?")} out tokens`);
  }
  if (a["hamilton.cache"] === "hit") parts.push(style.dim("cache hit"));
  if (span.error) parts.push(style.red(`✗ ${span.statusMessage ?? "error"}`));
  return parts.join(style.dim("  ·  "));
}
