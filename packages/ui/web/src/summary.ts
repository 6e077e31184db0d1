/** Showing the tracker's value summaries: one line, or in full (statistics, histogram, items, keys). */
import { h, svg } from "./dom.js";
import { cut, formatNumber } from "./format.js";
import type { NumericStats, ValueSummary } from "./types.js";

/** A one-line description of a summary, for tables. */
export function shortSummary(v: ValueSummary | undefined): string {
  if (v === undefined) return "–";
  switch (v.kind) {
    case "primitive":
      return `${v.type} ${String(v.value)}`;
    case "string":
      return `string (${formatNumber(v.length)} chars) ${JSON.stringify(cut(v.preview, 60))}`;
    case "array":
      return `array of ${formatNumber(v.length)}`;
    case "numeric_array":
      return `${v.type} of ${formatNumber(v.length)} numbers, mean ${formatNumber(v.mean)}`;
    case "object":
      return `${v.type} {${cut(Object.keys(v.entries).join(", "), 60)}}`;
    case "set":
      return `Set of ${formatNumber(v.size)}`;
    case "date":
      return `date ${v.value ?? "invalid"}`;
    case "error":
      return `${v.type}: ${cut(v.message, 60)}`;
    case "binary":
      return `${v.type}, ${formatNumber(v.byteLength)} bytes`;
    case "function":
      return `function ${v.name}`;
    case "instance":
      return `${v.type} instance`;
    case "redacted":
      return "redacted";
    case "truncated":
      return `not summarised (${v.reason})`;
    case "disabled":
      return "not recorded";
    case "observability_failure":
      return `summary failed: ${cut(v.message, 60)}`;
  }
}

function stats(v: NumericStats): HTMLElement {
  const rows: [string, string][] = [
    ["count", formatNumber(v.count)],
    ["missing", formatNumber(v.missing)],
    ["zeros", formatNumber(v.zeros)],
    ["min", formatNumber(v.min)],
    ["max", formatNumber(v.max)],
    ["mean", formatNumber(v.mean)],
    ["std", formatNumber(v.std)],
  ];
  for (const [q, value] of Object.entries(v.quantiles ?? {})) rows.push([`p${Number(q) * 100}`, formatNumber(value)]);
  return h(
    "table",
    { class: "kv stats" },
    ...rows.map(([k, val]) => h("tr", null, h("th", null, k), h("td", null, val))),
  );
}

/** A histogram of numeric statistics as an SVG bar chart, each bar titled with its range and count. */
export function histogram(bins: NumericStats["histogram"]): SVGSVGElement {
  const width = 240;
  const height = 80;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const w = width / Math.max(1, bins.length);
  const chart = svg("svg", { class: "histogram", width, height: height + 14, viewBox: `0 0 ${width} ${height + 14}` });
  bins.forEach((b, i) => {
    const bh = (b.count / max) * height;
    const rect = svg("rect", { x: i * w + 1, y: height - bh, width: Math.max(1, w - 2), height: bh, class: "bar" });
    rect.append(svg("title", {}, `${formatNumber(b.lo)} – ${formatNumber(b.hi)}: ${formatNumber(b.count)}`));
    chart.append(rect);
  });
  const first = bins[0];
  const last = bins[bins.length - 1];
  if (first !== undefined && last !== undefined) {
    chart.append(svg("text", { x: 0, y: height + 12, class: "axis" }, formatNumber(first.lo)));
    chart.append(svg("text", { x: width, y: height + 12, class: "axis end" }, formatNumber(last.hi)));
  }
  return chart;
}

/** A summary in full, nested summaries to `depth` levels. */
export function fullSummary(v: ValueSummary | undefined, depth = 0): HTMLElement {
  if (v === undefined) return h("span", { class: "muted" }, "no result recorded");
  const box = h("div", { class: `summary k-${v.kind}` });
  switch (v.kind) {
    case "string":
      box.append(
        h(
          "div",
          { class: "muted" },
          `string, ${formatNumber(v.length)} characters${v.truncated ? " (preview cut)" : ""}`,
        ),
        h("pre", { class: "preview" }, v.preview + (v.truncated ? "…" : "")),
      );
      break;
    case "numeric_array":
      box.append(
        h(
          "div",
          { class: "muted" },
          `${v.type} of ${formatNumber(v.length)} numbers${v.sampled ? " (statistics of the first values)" : ""}`,
        ),
        h("div", { class: "stats-row" }, stats(v), v.histogram.length > 0 ? histogram(v.histogram) : null),
        h("div", { class: "muted" }, `first: ${v.head.map((n) => formatNumber(n)).join(", ")}`),
      );
      break;
    case "array":
    case "set": {
      const size = v.kind === "array" ? v.length : v.size;
      box.append(
        h("div", { class: "muted" }, `${v.kind === "array" ? "array" : "Set"} of ${formatNumber(size)} items`),
      );
      if (v.items.length > 0) {
        const list = h("ol", { class: "items" });
        for (const item of v.items.slice(0, 20))
          list.append(h("li", null, depth < 2 ? fullSummary(item, depth + 1) : shortSummary(item)));
        box.append(list);
        if (v.truncated || v.items.length > 20) box.append(h("div", { class: "muted" }, "…"));
      }
      break;
    }
    case "object": {
      box.append(h("div", { class: "muted" }, `${v.type} with ${formatNumber(v.size)} keys`));
      const table = h("table", { class: "kv" });
      for (const [key, value] of Object.entries(v.entries).slice(0, 50)) {
        table.append(
          h(
            "tr",
            null,
            h("th", null, key),
            h("td", null, depth < 2 ? fullSummary(value, depth + 1) : shortSummary(value)),
          ),
        );
      }
      box.append(table);
      if (v.truncated) box.append(h("div", { class: "muted" }, "… more keys not recorded"));
      break;
    }
    default:
      box.append(shortSummary(v));
  }
  return box;
}
