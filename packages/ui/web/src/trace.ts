/**
 * The trace of a run: its spans as a waterfall in tree order (run → node → the LLM call under the
 * node that made it), and the selected span's attributes; LLM spans show model, tokens, prompt and
 * completion. A node's span links back to its node run.
 */
import { h, replace } from "./dom.js";
import { cut, formatDuration, formatNumber } from "./format.js";
import { nodeLink } from "./node-detail.js";
import type { AttributeValue, NodeRun, Span } from "./types.js";
import { Waterfall, type WaterfallItem } from "./waterfall.js";

/** Spans in tree order with their depth: each parent before its children, children by start time. */
export function spanTree(spans: readonly Span[]): { span: Span; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, Span[]>();
  for (const s of spans) {
    const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(s);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const out: { span: Span; depth: number }[] = [];
  const stack: { span: Span; depth: number }[] = (children.get(undefined) ?? [])
    .map((span) => ({ span, depth: 0 }))
    .reverse();
  while (stack.length > 0) {
    const item = stack.pop()!;
    out.push(item);
    const kids = children.get(item.span.spanId) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: item.depth + 1 });
  }
  return out;
}

function attr(span: Span, ...keys: string[]): AttributeValue | undefined {
  for (const k of keys) if (span.attributes[k] !== undefined) return span.attributes[k];
  return undefined;
}

function text(value: AttributeValue | undefined): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** True for a span of an LLM call (OpenTelemetry's `gen_ai.*` or OpenLLMetry's `llm.*` attributes). */
export function isLlmSpan(span: Span): boolean {
  return Object.keys(span.attributes).some((k) => k.startsWith("gen_ai.") || k.startsWith("llm."));
}

/** Messages of an LLM span: `gen_ai.input.messages`/`output.messages` (JSON), or `gen_ai.prompt.N.content`. */
function messages(span: Span, kind: "prompt" | "completion"): { role: string; content: string }[] {
  const json = attr(span, kind === "prompt" ? "gen_ai.input.messages" : "gen_ai.output.messages");
  if (typeof json === "string") {
    try {
      const parsed = JSON.parse(json) as unknown;
      if (Array.isArray(parsed)) {
        return parsed.map((m: { role?: unknown; parts?: unknown; content?: unknown }) => ({
          role: typeof m.role === "string" ? m.role : "",
          content: Array.isArray(m.parts)
            ? m.parts
                .map((p: { content?: unknown; text?: unknown }) => text((p.content ?? p.text ?? p) as AttributeValue))
                .join("\n")
            : text(m.content as AttributeValue),
        }));
      }
    } catch {
      return [{ role: "", content: json }];
    }
  }
  const out: { role: string; content: string }[] = [];
  const prefix = kind === "prompt" ? "gen_ai.prompt." : "gen_ai.completion.";
  for (let i = 0; i < 100; i++) {
    const content = span.attributes[`${prefix}${i}.content`];
    if (content === undefined) break;
    out.push({ role: text(span.attributes[`${prefix}${i}.role`]), content: text(content) });
  }
  return out;
}

function llmBlock(span: Span): HTMLElement {
  const facts: [string, string][] = [
    ["model", text(attr(span, "gen_ai.response.model", "gen_ai.request.model", "llm.request.model"))],
    [
      "input tokens",
      text(attr(span, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens")),
    ],
    [
      "output tokens",
      text(attr(span, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens")),
    ],
    ["total tokens", text(attr(span, "gen_ai.usage.total_tokens", "llm.usage.total_tokens"))],
  ];
  const box = h(
    "div",
    { class: "llm" },
    h("h4", null, "LLM call"),
    h(
      "table",
      { class: "kv" },
      ...facts.filter(([, v]) => v !== "").map(([k, v]) => h("tr", null, h("th", null, k), h("td", null, v))),
    ),
  );
  for (const [title, list] of [
    ["Prompt", messages(span, "prompt")],
    ["Completion", messages(span, "completion")],
  ] as const) {
    if (list.length === 0) continue;
    box.append(h("h4", null, title));
    for (const m of list)
      box.append(h("div", { class: "message" }, h("span", { class: "role" }, m.role), h("pre", null, m.content)));
  }
  return box;
}

/** The trace section of a run page. */
export class TraceView {
  /** The element to put in the page. */
  readonly element: HTMLElement;
  private readonly waterfall: Waterfall;
  private readonly detail: HTMLElement;
  private readonly note: HTMLElement;
  private spans = new Map<string, Span>();
  private nodeBySpan = new Map<string, NodeRun>();
  private selected: string | undefined;

  constructor() {
    this.note = h("p", { class: "muted" });
    this.waterfall = new Waterfall("trace-list", (item) => {
      location.hash = new URLSearchParams({ span: item.key }).toString();
    });
    this.detail = h("div", { class: "span-detail" });
    this.element = h("div", { class: "trace" }, this.note, this.waterfall.element, this.detail);
  }

  /** Shows the spans of a trace (none: says why). */
  setSpans(spans: readonly Span[], nodeRuns: readonly NodeRun[], note: string): void {
    this.spans = new Map(spans.map((s) => [s.spanId, s]));
    this.nodeBySpan = new Map();
    for (const r of nodeRuns) if (r.spanId !== undefined) this.nodeBySpan.set(r.spanId, r);
    this.note.textContent = note;
    const tree = spanTree(spans);
    const origin = tree.reduce((m, t) => Math.min(m, t.span.startTime), Number.POSITIVE_INFINITY);
    const items: WaterfallItem[] = tree.map(({ span, depth }) => {
      const node = this.nodeBySpan.get(span.spanId);
      const llm = isLlmSpan(span);
      const error = span.status.code === 2;
      return {
        key: span.spanId,
        depth,
        // A span's status is mostly unset: only "error" and an explicit "ok" are shown.
        status: error
          ? h("span", { class: "badge s-failure" }, "error")
          : span.status.code === 1
            ? h("span", { class: "badge s-success" }, "ok")
            : "",
        label: [
          h("span", { class: "wf-name" }, span.name),
          llm ? h("span", { class: "tag llm-tag" }, "LLM") : "",
          node !== undefined ? h("span", { class: "tag node-tag" }, "node") : "",
        ],
        start: span.startTime,
        end: span.endTime,
        barClass: error ? "s-failure" : llm ? "s-llm" : "s-span",
        title: `${span.name} · ${formatDuration(span.durationMs)}`,
      };
    });
    this.waterfall.setItems(items, Number.isFinite(origin) ? origin : 0);
    this.select(this.selected);
  }

  /** Selects a span: highlights its row and shows its attributes. */
  select(spanId: string | undefined): void {
    this.selected = spanId;
    this.waterfall.select(spanId);
    const span = spanId === undefined ? undefined : this.spans.get(spanId);
    if (span === undefined) {
      this.detail.replaceChildren(
        h(
          "p",
          { class: "muted" },
          spanId === undefined ? "Click a span for its attributes." : `No span ${spanId} in this trace.`,
        ),
      );
      return;
    }
    const node = this.nodeBySpan.get(span.spanId);
    const table = h("table", { class: "kv attributes" });
    for (const [k, v] of Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b))) {
      table.append(h("tr", null, h("th", null, k), h("td", null, cut(text(v), 4000))));
    }
    replace(
      this.detail,
      h("h3", null, span.name),
      h(
        "p",
        { class: "meta" },
        `span ${span.spanId}${span.parentSpanId ? ` · parent ${span.parentSpanId}` : ""} · ${formatDuration(span.durationMs)}`,
        span.status.message ? ` · ${span.status.message}` : "",
      ),
      node === undefined
        ? null
        : h(
            "p",
            null,
            h(
              "a",
              { class: "node-link", href: nodeLink(node.node, node.taskId, node.attempt) },
              `Its node run: ${node.node}${node.taskId ? ` [${node.taskId}]` : ""}`,
            ),
          ),
      isLlmSpan(span) ? llmBlock(span) : null,
      h("h4", null, `Attributes (${formatNumber(Object.keys(span.attributes).length)})`),
      table,
      span.events.length > 0
        ? h(
            "div",
            null,
            h("h4", null, "Events"),
            h(
              "ul",
              null,
              ...span.events.map((e) => h("li", null, e.name, " ", cut(JSON.stringify(e.attributes ?? {}), 400))),
            ),
          )
        : null,
    );
  }
}
