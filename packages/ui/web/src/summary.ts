/** Showing the tracker's value summaries: one line, or in full (statistics, histogram, items, keys). */
import { h, svg } from "./dom.js";
import {
  histogramBars,
  nestedInFull,
  numericHead,
  shortSummary,
  shownEntries,
  shownItems,
  statsRows,
  stringPreview,
  summaryHeading,
} from "./summary-text.js";
import { tableLayout } from "./table-layout.js";
import type { NumericStats, TableSummary, ValueSummary } from "./types.js";

function stats(v: NumericStats): HTMLElement {
  return h(
    "table",
    { class: "kv stats" },
    ...statsRows(v).map(([k, val]) => h("tr", null, h("th", null, k), h("td", null, val))),
  );
}

/** A histogram of numeric statistics as an SVG bar chart, each bar titled with its range and count. */
export function histogram(bins: NumericStats["histogram"]): SVGSVGElement {
  const width = 240;
  const height = 80;
  const chart = svg("svg", { class: "histogram", width, height: height + 14, viewBox: `0 0 ${width} ${height + 14}` });
  const { bars, axis } = histogramBars(bins, width, height);
  for (const b of bars) {
    const rect = svg("rect", { x: b.x, y: b.y, width: b.width, height: b.height, class: "bar" });
    rect.append(svg("title", {}, b.title));
    chart.append(rect);
  }
  if (axis !== undefined) {
    chart.append(svg("text", { x: 0, y: height + 12, class: "axis" }, axis[0]));
    chart.append(svg("text", { x: width, y: height + 12, class: "axis end" }, axis[1]));
  }
  return chart;
}

/**
 * A table summary as a table: a header row per column (name, type, missing, statistics or most
 * frequent values), then the first rows; bounded (see `table-layout.ts`).
 */
export function tableView(v: TableSummary): HTMLElement {
  const layout = tableLayout(v);
  const head = h(
    "tr",
    null,
    ...layout.columns.map((c) =>
      h(
        "th",
        { title: [c.type, c.missing, c.figures].filter((t) => t !== "").join(" · ") },
        h("div", { class: "col-name" }, c.name),
        h("div", { class: "col-facts" }, c.type + (c.missing ? ` · ${c.missing}` : "")),
        c.figures ? h("div", { class: "col-facts" }, c.figures) : null,
      ),
    ),
  );
  const body = h("tbody", null, ...layout.rows.map((row) => h("tr", null, ...row.map((cell) => h("td", null, cell)))));
  const notes: string[] = [];
  if (layout.moreRows > 0) notes.push(`${layout.moreRows.toLocaleString("en-US")} more rows not shown`);
  if (layout.moreColumns > 0) notes.push(`${layout.moreColumns.toLocaleString("en-US")} more columns not shown`);
  return h(
    "div",
    { class: "summary k-table" },
    h("div", { class: "muted" }, layout.heading),
    h("div", { class: "table-wrap" }, h("table", { class: "data" }, h("thead", null, head), body)),
    notes.length > 0 ? h("div", { class: "muted" }, notes.join(" · ")) : null,
  );
}

/** A summary in full, nested summaries to `depth` levels. */
export function fullSummary(v: ValueSummary | undefined, depth = 0): HTMLElement {
  if (v === undefined) return h("span", { class: "muted" }, "no result recorded");
  if (v.kind === "table") return tableView(v);
  const box = h("div", { class: `summary k-${v.kind}` });
  const nested = (item: ValueSummary) => (nestedInFull(depth) ? fullSummary(item, depth + 1) : shortSummary(item));
  switch (v.kind) {
    case "string":
      box.append(h("div", { class: "muted" }, summaryHeading(v)), h("pre", { class: "preview" }, stringPreview(v)));
      break;
    case "numeric_array":
      box.append(
        h("div", { class: "muted" }, summaryHeading(v)),
        h("div", { class: "stats-row" }, stats(v), v.histogram.length > 0 ? histogram(v.histogram) : null),
        h("div", { class: "muted" }, numericHead(v)),
      );
      break;
    case "array":
    case "set": {
      box.append(h("div", { class: "muted" }, summaryHeading(v)));
      const { items, more } = shownItems(v);
      if (items.length > 0) {
        const list = h("ol", { class: "items" });
        for (const item of items) list.append(h("li", null, nested(item)));
        box.append(list);
        if (more) box.append(h("div", { class: "muted" }, "…"));
      }
      break;
    }
    case "object": {
      box.append(h("div", { class: "muted" }, summaryHeading(v)));
      const { entries, more } = shownEntries(v);
      const table = h("table", { class: "kv" });
      for (const [key, value] of entries) {
        table.append(h("tr", null, h("th", null, key), h("td", null, nested(value))));
      }
      box.append(table);
      if (more) box.append(h("div", { class: "muted" }, "… more keys not recorded"));
      break;
    }
    default:
      box.append(shortSummary(v));
  }
  return box;
}
