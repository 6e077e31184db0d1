/**
 * Waterfalls (node runs, spans): one row per item with its name, status word, start offset and a
 * duration bar on a shared time axis. Virtualised: only the rows on screen exist.
 */
import { h } from "./dom.js";
import { formatDuration } from "./format.js";
import { VirtualList } from "./virtual-list.js";

/** One row of a waterfall. */
export interface WaterfallItem {
  /** A stable key (selection survives refreshes). */
  readonly key: string;
  /** The row's status as a word (a badge), in a column of its own so it is never cut. */
  readonly status: HTMLElement | string;
  /** The row's label: its parts are shown as text (cut with an ellipsis when long). */
  readonly label: readonly (string | HTMLElement)[];
  /** Indent level (a span's depth). */
  readonly depth: number;
  readonly start: number;
  /** End time; undefined while running (drawn to "now"). */
  readonly end: number | undefined;
  /** A status CSS class for the bar. */
  readonly barClass: string;
  /** A title (tooltip) for the row. */
  readonly title: string;
}

/** A virtualised waterfall. */
export class Waterfall {
  /** The element to put in the page. */
  readonly element: HTMLElement;
  private readonly list: VirtualList;
  private items: readonly WaterfallItem[] = [];
  private origin = 0;
  private span = 1;
  private selected: string | undefined;
  private readonly onSelect: (item: WaterfallItem) => void;
  private readonly axis: HTMLElement;

  constructor(className: string, onSelect: (item: WaterfallItem) => void) {
    this.onSelect = onSelect;
    this.list = new VirtualList({ rowHeight: 24, maxVisibleRows: 18, renderRow: (i) => this.row(i), className });
    this.axis = h("div", { class: "wf-axis muted" });
    this.element = h("div", { class: "waterfall" }, this.axis, this.list.element);
  }

  /** Sets the rows; `origin` is time zero of the axis. */
  setItems(items: readonly WaterfallItem[], origin: number): void {
    this.items = items;
    const now = Date.now();
    let end = origin;
    for (const it of items) end = Math.max(end, it.end ?? now);
    this.origin = origin;
    this.span = Math.max(1, end - origin);
    this.axis.textContent = `${items.length.toLocaleString("en-US")} rows · 0 → ${formatDuration(this.span)}`;
    this.list.setCount(items.length);
  }

  /** Highlights the row with `key` and scrolls to it. */
  select(key: string | undefined): void {
    this.selected = key;
    const index = key === undefined ? -1 : this.items.findIndex((it) => it.key === key);
    if (index >= 0) this.list.scrollTo(index);
    else this.list.refresh();
  }

  private row(i: number): HTMLElement {
    const it = this.items[i]!;
    const end = it.end ?? Date.now();
    const left = ((it.start - this.origin) / this.span) * 100;
    const width = Math.max(0.2, ((end - it.start) / this.span) * 100);
    const label = h("span", { class: "wf-label" }, ...it.label);
    label.style.paddingLeft = `${4 + it.depth * 14}px`;
    const bar = h("span", { class: `wf-bar ${it.barClass}` });
    bar.style.left = `${left.toFixed(3)}%`;
    bar.style.width = `${width.toFixed(3)}%`;
    const row = h(
      "div",
      { class: `wf-row${it.key === this.selected ? " selected" : ""}`, title: it.title, data: { key: it.key } },
      h("span", { class: "wf-status" }, it.status),
      label,
      h("span", { class: "wf-offset" }, `+${formatDuration(it.start - this.origin)}`),
      h("span", { class: "wf-track" }, bar),
      h("span", { class: "wf-duration" }, it.end === undefined ? "running" : formatDuration(end - it.start)),
    );
    row.tabIndex = 0;
    row.addEventListener("click", () => this.onSelect(it));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.onSelect(it);
      }
    });
    return row;
  }
}
