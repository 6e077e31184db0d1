/**
 * A list that renders only the rows on screen: a scroll box with a spacer as tall as every row, and
 * absolutely placed rows for the visible range (plus a margin). Ten thousand rows cost as much as
 * forty.
 */
import { h } from "./dom.js";

/** Options of {@link VirtualList}. */
export interface VirtualListOptions {
  /** The height of one row in pixels (every row has it). */
  readonly rowHeight: number;
  /** The most rows to show before the box scrolls. */
  readonly maxVisibleRows: number;
  /** Makes the element of row `index`. */
  readonly renderRow: (index: number) => HTMLElement;
  /** An extra class on the scroll box. */
  readonly className?: string;
}

/** A virtualised list. Put {@link element} in the page, then call {@link setCount}. */
export class VirtualList {
  /** The scroll box. */
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private count = 0;
  private frame = 0;
  private readonly options: VirtualListOptions;

  constructor(options: VirtualListOptions) {
    this.options = options;
    this.spacer = h("div", { class: "vl-spacer" });
    this.element = h("div", { class: `vl ${options.className ?? ""}` }, this.spacer);
    this.element.addEventListener("scroll", () => this.schedule(), { passive: true });
  }

  /** Sets the number of rows and draws again (keeping the scroll position). */
  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.options.rowHeight}px`;
    this.element.style.height = `${Math.min(count, this.options.maxVisibleRows) * this.options.rowHeight + 2}px`;
    this.draw();
  }

  /** Draws the visible rows again (after the data behind them changed). */
  refresh(): void {
    this.draw();
  }

  /** Scrolls so that row `index` is visible. */
  scrollTo(index: number): void {
    const top = index * this.options.rowHeight;
    const box = this.element;
    if (top < box.scrollTop || top + this.options.rowHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
    this.draw();
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { rowHeight, maxVisibleRows, renderRow } = this.options;
    const view = this.element.clientHeight || maxVisibleRows * rowHeight;
    const first = Math.max(0, Math.floor(this.element.scrollTop / rowHeight) - 5);
    const last = Math.min(this.count, Math.ceil((this.element.scrollTop + view) / rowHeight) + 5);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = renderRow(i);
      row.classList.add("vl-row");
      row.style.top = `${i * rowHeight}px`;
      row.style.height = `${rowHeight}px`;
      rows.push(row);
    }
    this.spacer.replaceChildren(...rows);
  }
}
