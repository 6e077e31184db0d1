import { describe, expect, it } from "vitest";
import { cellText, SHOWN_COLUMNS, SHOWN_ROWS, tableLayout } from "./table-layout.js";
import type { TableSummary, ValueSummary } from "./types.js";

const str = (s: string): ValueSummary => ({ kind: "string", length: s.length, preview: s, truncated: false });
const num = (n: number): ValueSummary => ({ kind: "primitive", type: "number", value: n });

const STATS = {
  count: 3,
  missing: 1,
  zeros: 0,
  min: 1,
  max: 3,
  mean: 2,
  std: 1,
  quantiles: null,
  histogram: [],
};

describe("tableLayout", () => {
  it("lays out columns with type, missing and figures, and the head rows as cells", () => {
    const v: TableSummary = {
      kind: "table",
      rows: 4,
      sampled: false,
      columns: [
        {
          name: "city",
          type: "string",
          missing: 0,
          top: [
            { value: "Oslo", count: 3 },
            { value: "Rome", count: 1 },
          ],
          distinct: 2,
        },
        { name: "temp", type: "number", missing: 1, stats: STATS },
      ],
      head: [{ city: str("Oslo"), temp: num(1.5) }, { city: str("Rome") }],
    };
    expect(tableLayout(v)).toEqual({
      heading: "table of 4 rows × 2 columns",
      columns: [
        { name: "city", type: "string", missing: "", figures: '"Oslo" ×3, "Rome" ×1 · 2 distinct' },
        { name: "temp", type: "number", missing: "1 missing", figures: "min 1 · mean 2 · max 3" },
      ],
      rows: [
        ["Oslo", "1.5"],
        ["Rome", ""],
      ],
      moreColumns: 0,
      moreRows: 2,
    });
  });

  it("is bounded in columns and rows, and says when figures come from a sample", () => {
    const columns = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, type: "number", missing: 0 }));
    const head = Array.from({ length: 30 }, () => Object.fromEntries(columns.map((c) => [c.name, num(1)])));
    const layout = tableLayout({ kind: "table", rows: 1000, sampled: true, columns, head });
    expect(layout.heading).toBe("table of 1,000 rows × 40 columns, figures from a sample of the rows");
    expect(layout.columns).toHaveLength(SHOWN_COLUMNS);
    expect(layout.rows).toHaveLength(SHOWN_ROWS);
    expect(layout.rows[0]).toHaveLength(SHOWN_COLUMNS);
    expect(layout.moreColumns).toBe(10);
    expect(layout.moreRows).toBe(1000 - SHOWN_ROWS);
  });

  it("shows a cell's value short, as text", () => {
    expect(cellText(str("x".repeat(100)))).toBe(`${"x".repeat(80)}…`);
    expect(cellText({ kind: "string", length: 500, preview: "abc", truncated: true })).toBe("abc…");
    expect(cellText({ kind: "primitive", type: "boolean", value: true })).toBe("true");
    expect(cellText({ kind: "date", value: "2024-01-01T00:00:00.000Z" })).toBe("2024-01-01T00:00:00.000Z");
    expect(cellText({ kind: "redacted" })).toBe("redacted");
    expect(cellText(undefined)).toBe("");
  });
});
