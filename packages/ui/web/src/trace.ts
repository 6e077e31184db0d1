/**
 * The trace of a run: its spans as a waterfall in tree order (run → node → the LLM call under the
 * node that made it), and the selected span's attributes; LLM spans show model, tokens, prompt and
 * completion. A node's span links back to its node run.
 */
import { h, replace } from "./dom.js";
import { cut, formatDuration, formatNumber } from "./format.js";
import { nodeLink } from "./selection.js";
import { attributeText, isLlmSpan, llmFacts, llmMessages, nodeRunsBySpan, spanTree, traceOrigin } from "./span-tree.js";
import type { NodeRun, Span } from "./types.js";
import { Waterfall, type WaterfallItem } from "./waterfall.js";

function llmBlock(span: Span): HTMLElement {
  const box = h(
    "div",
    { class: "llm" },
    h("h4", null, "LLM call"),
    h("table", { class: "kv" }, ...llmFacts(span).map(([k, v]) => h("tr", null, h("th", null, k), h("td", null, v)))),
  );
  for (const [title, list] of [
    ["Prompt", llmMessages(span, "prompt")],
    ["Completion", llmMessages(span, "completion")],
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
    this.nodeBySpan = nodeRunsBySpan(nodeRuns);
    this.note.textContent = note;
    const tree = spanTree(spans);
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
    this.waterfall.setItems(items, traceOrigin(tree.map((t) => t.span)));
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
      table.append(h("tr", null, h("th", null, k), h("td", null, cut(attributeText(v), 4000))));
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
