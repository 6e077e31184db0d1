import { describe, expect, it } from "vitest";
import { nodeRun } from "../test/records.js";
import {
  histogramBars,
  inputSummary,
  nestedInFull,
  numericHead,
  SHOWN_ITEMS,
  SHOWN_KEYS,
  shortSummary,
  shownEntries,
  shownItems,
  statsRows,
  stringPreview,
  summaryHeading,
} from "./summary-text.js";
import type { NumericStats, ValueSummary } from "./types.js";

type Of<K extends ValueSummary["kind"]> = Extract<ValueSummary, { kind: K }>;

const num = (value: number): ValueSummary => ({ kind: "primitive", type: "number", value });
const str = (preview: string, length = preview.length, truncated = false): Of<"string"> => ({
  kind: "string",
  length,
  preview,
  truncated,
});

const stats: NumericStats = {
  count: 1000,
  missing: 2,
  zeros: 0,
  min: 0.5,
  max: 10.25,
  mean: 5.123456,
  std: 2.5,
  quantiles: { "0.1": 1, "0.5": 5, "0.9": 9.75 },
  histogram: [
    { lo: 0.5, hi: 3.75, count: 100 },
    { lo: 3.75, hi: 7, count: 400 },
    { lo: 7, hi: 10.25, count: 0 },
  ],
};
const numbers: Of<"numeric_array"> = {
  kind: "numeric_array",
  type: "Float64Array",
  length: 1002,
  head: [0.5, 1.25, null],
  sampled: false,
  ...stats,
};

describe("numbers: statistics and histogram", () => {
  it("lists the statistics, then each quantile as a percentile", () => {
    expect(statsRows(stats)).toEqual([
      ["count", "1,000"],
      ["missing", "2"],
      ["zeros", "0"],
      ["min", "0.5"],
      ["max", "10.25"],
      ["mean", "5.123"],
      ["std", "2.5"],
      ["p10", "1"],
      ["p50", "5"],
      ["p90", "9.75"],
    ]);
  });

  it("shows statistics that are not known (an empty array) as dashes, and no quantiles", () => {
    const empty: NumericStats = { ...stats, count: 0, min: null, max: null, mean: null, std: null, quantiles: null };
    expect(statsRows(empty).slice(3)).toEqual([
      ["min", "–"],
      ["max", "–"],
      ["mean", "–"],
      ["std", "–"],
    ]);
  });

  it("draws each bin as tall as its count against the largest, side by side, titled with range and count", () => {
    const { bars, axis } = histogramBars(stats.histogram, 240, 80);
    expect(bars.map((b) => b.height)).toEqual([20, 80, 0]);
    expect(bars.map((b) => b.y)).toEqual([60, 0, 80]);
    expect(bars.map((b) => b.x)).toEqual([1, 81, 161]);
    expect(bars.every((b) => b.width === 78)).toBe(true);
    expect(bars[1]?.title).toBe("3.75 – 7: 400");
    expect(axis).toEqual(["0.5", "10.25"]);
  });

  it("draws an all-zero or empty histogram without dividing by zero", () => {
    const { bars } = histogramBars([{ lo: 0, hi: 0, count: 0 }], 240, 80);
    expect(bars[0]).toMatchObject({ height: 0, y: 80, width: 238 });
    expect(histogramBars([], 240, 80)).toEqual({ bars: [], axis: undefined });
  });

  it("heads and lists a numeric array: its type, length, whether the statistics are of the first values", () => {
    expect(summaryHeading(numbers)).toBe("Float64Array of 1,002 numbers");
    expect(summaryHeading({ ...numbers, sampled: true })).toBe(
      "Float64Array of 1,002 numbers (statistics of the first values)",
    );
    expect(numericHead(numbers)).toBe("first: 0.5, 1.25, –");
    expect(shortSummary(numbers)).toBe("Float64Array of 1,002 numbers, mean 5.123");
  });
});

describe("strings", () => {
  it("give their length and a preview, cut previews marked", () => {
    expect(summaryHeading(str("hello"))).toBe("string, 5 characters");
    const long = str("x".repeat(100), 12_000, true);
    expect(summaryHeading(long)).toBe("string, 12,000 characters (preview cut)");
    expect(stringPreview(long)).toBe(`${"x".repeat(100)}…`);
    expect(stringPreview(str("hello"))).toBe("hello");
  });

  it("in one line, quote a preview of at most 60 characters", () => {
    expect(shortSummary(str('say "hi"'))).toBe('string (8 chars) "say \\"hi\\""');
    expect(shortSummary(str("y".repeat(80), 80))).toBe(`string (80 chars) "${"y".repeat(60)}…"`);
  });
});

describe("objects", () => {
  const object: Of<"object"> = {
    kind: "object",
    type: "Object",
    size: 2,
    entries: { a: num(1), b: str("two") },
    truncated: false,
  };

  it("head with their type and key count, and list their keys' summaries", () => {
    expect(summaryHeading(object)).toBe("Object with 2 keys");
    expect(shownEntries(object)).toEqual({ entries: Object.entries(object.entries), more: false });
    expect(shortSummary(object)).toBe("Object {a, b}");
    expect(summaryHeading({ ...object, type: "Map", size: 1234 })).toBe("Map with 1,234 keys");
  });

  it(`show at most ${SHOWN_KEYS} keys, and say when the tracker kept fewer than there were`, () => {
    const entries = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, num(i)]));
    const big: Of<"object"> = { ...object, size: 500, entries, truncated: true };
    const shown = shownEntries(big);
    expect(shown.entries).toHaveLength(SHOWN_KEYS);
    expect(shown.entries[0]?.[0]).toBe("k0");
    expect(shown.more).toBe(true);
  });
});

describe("arrays and sets", () => {
  const array: Of<"array"> = { kind: "array", length: 3, items: [num(1), str("b"), num(3)], truncated: false };

  it("head with their length and list their items", () => {
    expect(summaryHeading(array)).toBe("array of 3 items");
    expect(shortSummary(array)).toBe("array of 3");
    expect(shownItems(array)).toEqual({ items: array.items, more: false });
    const set: Of<"set"> = { kind: "set", size: 10_000, items: [num(1)], truncated: true };
    expect(summaryHeading(set)).toBe("Set of 10,000 items");
    expect(shortSummary(set)).toBe("Set of 10,000");
    expect(shownItems(set).more).toBe(true);
  });

  it(`show at most ${SHOWN_ITEMS} items, and say there are more only when there are`, () => {
    const exactly = Array.from({ length: SHOWN_ITEMS }, (_, i) => num(i));
    expect(shownItems({ kind: "array", length: SHOWN_ITEMS, items: exactly, truncated: false })).toEqual({
      items: exactly,
      more: false,
    });
    const items = Array.from({ length: 25 }, (_, i) => num(i));
    const shown = shownItems({ kind: "array", length: 25, items, truncated: false });
    expect(shown.items).toEqual(items.slice(0, SHOWN_ITEMS));
    expect(shown.more).toBe(true);
  });

  it("nest summaries in full two levels deep, then as one line", () => {
    // The result (depth 0) shows its items in full, and they theirs (depth 1); theirs in one line.
    expect([0, 1, 2, 3].map(nestedInFull)).toEqual([true, true, false, false]);
  });
});

describe("shortSummary of the other kinds", () => {
  it("says what each is in one line", () => {
    const cases: [ValueSummary | undefined, string][] = [
      [undefined, "–"],
      [num(42), "number 42"],
      [{ kind: "primitive", type: "bigint", value: "12345678901234567890" }, "bigint 12345678901234567890"],
      [{ kind: "primitive", type: "null", value: null }, "null null"],
      [{ kind: "date", value: "2026-12-07T06:00:00.000Z" }, "date 2026-12-07T06:00:00.000Z"],
      [{ kind: "date", value: null }, "date invalid"],
      [{ kind: "error", type: "TypeError", message: "m".repeat(70) }, `TypeError: ${"m".repeat(60)}…`],
      [{ kind: "binary", type: "Uint8Array", byteLength: 1_048_576 }, "Uint8Array, 1,048,576 bytes"],
      [{ kind: "function", name: "fetchDocs" }, "function fetchDocs"],
      [{ kind: "instance", type: "OpenAI" }, "OpenAI instance"],
      [{ kind: "instance", type: "generator" }, "generator instance"],
      [{ kind: "redacted" }, "redacted"],
      [{ kind: "disabled" }, "not recorded"],
      [{ kind: "observability_failure", message: "boom" }, "summary failed: boom"],
    ];
    for (const [summary, text] of cases) expect(shortSummary(summary)).toBe(text);
  });

  it("has no full-form heading for kinds shown as their one line", () => {
    expect(summaryHeading(num(1))).toBeUndefined();
    expect(summaryHeading({ kind: "redacted" })).toBeUndefined();
  });
});

describe("inputSummary", () => {
  const words: Of<"array"> = { kind: "array", length: 3, items: [str("a"), str("bb"), str("ccc")], truncated: false };
  const source = nodeRun("words", { result: words });

  it("gives a fan-out item the item of the list its task id names", () => {
    expect(inputSummary("words", source, nodeRun("upper", { taskId: "words[2]" }))).toBe(
      'item 2: string (3 chars) "ccc"',
    );
  });

  it("gives the whole summary when the task is not an item of that input, or the item was not kept", () => {
    expect(inputSummary("words", source, nodeRun("upper"))).toBe("array of 3");
    expect(inputSummary("words", source, undefined)).toBe("array of 3");
    expect(inputSummary("words", source, nodeRun("upper", { taskId: "other[1]" }))).toBe("array of 3");
    expect(inputSummary("words", source, nodeRun("upper", { taskId: "words[7]" }))).toBe("array of 3");
    expect(inputSummary("words", source, nodeRun("upper", { taskId: "words[x]" }))).toBe("array of 3");
    // `wordsX[0]` is not an item of `words`.
    expect(inputSummary("words", source, nodeRun("upper", { taskId: "wordsX[0]" }))).toBe("array of 3");
  });
});
