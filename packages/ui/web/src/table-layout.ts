/**
 * A `table` value summary laid out for the page, bounded: the columns' facts (type, missing,
 * statistics or most frequent values) and the first rows as cells of text. No DOM: `summary.ts`
 * draws it, `table-layout.test.ts` runs it under Node.
 */
import { cut, formatNumber } from "./format.js";
import { shortSummary } from "./summary-text.js";
import type { TableColumn, TableSummary, ValueSummary } from "./types.js";

/** The most columns shown. */
export const SHOWN_COLUMNS = 30;
/** The most rows of the head shown. */
export const SHOWN_ROWS = 20;
/** The most frequent values shown per column. */
const SHOWN_TOP = 3;
/** The longest cell text. */
const CELL_CHARS = 80;

/** One column's facts, as text. */
export interface ColumnFacts {
  readonly name: string;
  readonly type: string;
  /** `3 missing`, or `""` for none. */
  readonly missing: string;
  /** Numbers: `min 1 · mean 2.5 · max 4`; others: the most frequent values (`"a" ×3, "b" ×1`). */
  readonly figures: string;
}

/** A table summary laid out: a heading, each shown column's facts, the head rows' cells. */
export interface TableLayout {
  /** `table of 50 rows × 4 columns` (with `, figures from a sample of the rows` when sampled). */
  readonly heading: string;
  readonly columns: readonly ColumnFacts[];
  /** One array of cell texts per head row, in the order of {@link columns}. */
  readonly rows: readonly (readonly string[])[];
  /** Columns not shown. */
  readonly moreColumns: number;
  /** Rows of the table not among the rows shown. */
  readonly moreRows: number;
}

/** A value in a table cell: short (a string's text itself, a number as it is). */
export function cellText(v: ValueSummary | undefined): string {
  if (v === undefined) return "";
  switch (v.kind) {
    case "string":
      return cut(v.preview, CELL_CHARS) + (v.truncated && v.preview.length <= CELL_CHARS ? "…" : "");
    case "primitive":
      return v.type === "number" && typeof v.value === "number" ? formatNumber(v.value) : String(v.value);
    case "date":
      return v.value ?? "invalid date";
    default:
      return cut(shortSummary(v), CELL_CHARS);
  }
}

function figures(c: TableColumn): string {
  if (c.stats !== undefined) {
    const s = c.stats;
    return `min ${formatNumber(s.min)} · mean ${formatNumber(s.mean)} · max ${formatNumber(s.max)}`;
  }
  const parts: string[] = [];
  if (c.top !== undefined && c.top.length > 0) {
    parts.push(
      c.top
        .slice(0, SHOWN_TOP)
        .map((t) => `${JSON.stringify(cut(t.value, 40))} ×${formatNumber(t.count)}`)
        .join(", "),
    );
  }
  if (c.distinct !== undefined) parts.push(`${formatNumber(c.distinct)} distinct`);
  return parts.join(" · ");
}

/** Lays a table summary out for the page, at most {@link SHOWN_COLUMNS} columns and {@link SHOWN_ROWS} rows. */
export function tableLayout(v: TableSummary): TableLayout {
  const shown = v.columns.slice(0, SHOWN_COLUMNS);
  const head = v.head.slice(0, SHOWN_ROWS);
  return {
    heading: `table of ${formatNumber(v.rows)} rows × ${formatNumber(v.columns.length)} columns${v.sampled ? ", figures from a sample of the rows" : ""}`,
    columns: shown.map((c) => ({
      name: c.name,
      type: c.type,
      missing: c.missing > 0 ? `${formatNumber(c.missing)} missing` : "",
      figures: figures(c),
    })),
    rows: head.map((row) => shown.map((c) => cellText(Object.hasOwn(row, c.name) ? row[c.name] : undefined))),
    moreColumns: Math.max(0, v.columns.length - shown.length),
    moreRows: Math.max(0, v.rows - head.length),
  };
}
