/**
 * A trace's spans as the page reads them, before any drawing: the tree order (run → node → the LLM
 * call under the node that made it), which spans are LLM calls and what they say (model, tokens,
 * prompt, completion), and which node run a span belongs to. No DOM: `trace.ts` draws it,
 * `span-tree.test.ts` runs it under Node.
 */
import type { AttributeValue, NodeRun, Span } from "./types.js";

/** One span in tree order, with its depth (0 for a root). */
export interface SpanTreeItem {
  readonly span: Span;
  readonly depth: number;
}

/**
 * Spans in tree order with their depth: each parent before its children, children by start time.
 * A span whose parent is not in the trace (an orphan: the parent not exported yet, or another
 * service's) is a root. Every span is listed once: spans whose parents form a cycle (a span its own
 * parent, from a broken exporter) follow the tree as roots, in start order.
 */
export function spanTree(spans: readonly Span[]): SpanTreeItem[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, Span[]>();
  for (const s of spans) {
    const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(s);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const out: SpanTreeItem[] = [];
  const listed = new Set<Span>();
  const walk = (roots: readonly Span[]) => {
    const stack: SpanTreeItem[] = roots.map((span) => ({ span, depth: 0 })).reverse();
    while (stack.length > 0) {
      const item = stack.pop()!;
      if (listed.has(item.span)) continue;
      listed.add(item.span);
      out.push(item);
      const kids = children.get(item.span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: item.depth + 1 });
    }
  };
  walk(children.get(undefined) ?? []);
  if (out.length < spans.length) {
    walk([...spans].filter((s) => !listed.has(s)).sort((a, b) => a.startTime - b.startTime));
  }
  return out;
}

/** The earliest start of the spans: time zero of the waterfall (0 when there are none). */
export function traceOrigin(spans: readonly Span[]): number {
  const origin = spans.reduce((m, s) => Math.min(m, s.startTime), Number.POSITIVE_INFINITY);
  return Number.isFinite(origin) ? origin : 0;
}

/** The node runs that name a span (`spanId`), by span id: the links from a span to its node run. */
export function nodeRunsBySpan(nodeRuns: readonly NodeRun[]): Map<string, NodeRun> {
  const out = new Map<string, NodeRun>();
  for (const r of nodeRuns) if (r.spanId !== undefined) out.set(r.spanId, r);
  return out;
}

function attr(span: Span, ...keys: string[]): AttributeValue | undefined {
  for (const k of keys) if (span.attributes[k] !== undefined) return span.attributes[k];
  return undefined;
}

/** An attribute value as text: a string as it is, anything else as JSON, nothing as `""`. */
export function attributeText(value: AttributeValue | undefined): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** True for a span of an LLM call (OpenTelemetry's `gen_ai.*` or OpenLLMetry's `llm.*` attributes). */
export function isLlmSpan(span: Span): boolean {
  return Object.keys(span.attributes).some((k) => k.startsWith("gen_ai.") || k.startsWith("llm."));
}

/** One message of an LLM call. */
export interface LlmMessage {
  readonly role: string;
  readonly content: string;
}

/**
 * Messages of an LLM span: `gen_ai.input.messages`/`output.messages` (JSON; a value that is not
 * JSON is one message as it is), or `gen_ai.prompt.N.content` (OpenLLMetry), up to 100.
 */
export function llmMessages(span: Span, kind: "prompt" | "completion"): LlmMessage[] {
  const json = attr(span, kind === "prompt" ? "gen_ai.input.messages" : "gen_ai.output.messages");
  if (typeof json === "string") {
    try {
      const parsed = JSON.parse(json) as unknown;
      if (Array.isArray(parsed)) {
        return parsed.map((m: { role?: unknown; parts?: unknown; content?: unknown }) => ({
          role: typeof m.role === "string" ? m.role : "",
          content: Array.isArray(m.parts)
            ? m.parts
                .map((p: { content?: unknown; text?: unknown }) =>
                  attributeText((p.content ?? p.text ?? p) as AttributeValue),
                )
                .join("\n")
            : attributeText(m.content as AttributeValue),
        }));
      }
    } catch {
      return [{ role: "", content: json }];
    }
  }
  const out: LlmMessage[] = [];
  const prefix = kind === "prompt" ? "gen_ai.prompt." : "gen_ai.completion.";
  for (let i = 0; i < 100; i++) {
    const content = span.attributes[`${prefix}${i}.content`];
    if (content === undefined) break;
    out.push({ role: attributeText(span.attributes[`${prefix}${i}.role`]), content: attributeText(content) });
  }
  return out;
}

/**
 * The facts of an LLM call that were recorded, in order (model, input, output and total tokens),
 * each from the first attribute that has it: the current `gen_ai.*` names, their older spellings,
 * then OpenLLMetry's `llm.*`.
 */
export function llmFacts(span: Span): [string, string][] {
  const facts: [string, string][] = [
    ["model", attributeText(attr(span, "gen_ai.response.model", "gen_ai.request.model", "llm.request.model"))],
    [
      "input tokens",
      attributeText(attr(span, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens")),
    ],
    [
      "output tokens",
      attributeText(
        attr(span, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens"),
      ),
    ],
    ["total tokens", attributeText(attr(span, "gen_ai.usage.total_tokens", "llm.usage.total_tokens"))],
  ];
  return facts.filter(([, v]) => v !== "");
}
