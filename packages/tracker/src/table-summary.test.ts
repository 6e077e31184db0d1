import { describe, expect, it } from "vitest";
import { resultSummaryBody } from "./hamilton-ui-payloads.js";
import type { TableColumn, ValueSummary } from "./records.js";
import { DEFAULT_SUMMARY_LIMITS, summarize } from "./summarize.js";
import { TABLE_DETECTION_ROWS, TABLE_MAX_DISTINCT } from "./table-summary.js";

type Table = Extract<ValueSummary, { kind: "table" }>;

/** The default limits without the time budget, so a busy machine changes no figure (the budget has a test of its own). */
const UNTIMED = { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: 1e9 };

function table(value: unknown, limits = UNTIMED): Table {
  const s = summarize(value, limits);
  expect(s.kind).toBe("table");
  return s as Table;
}
const column = (t: Table, name: string): TableColumn => t.columns.find((c) => c.name === name)!;

describe("table summaries", () => {
  it("summarises rows of numbers, strings, dates, booleans, missing values and mixed types", () => {
    const rows = [
      { city: "Oslo", temp: 1.5, at: new Date("2026-01-01T00:00:00Z"), sunny: true, note: "a" },
      { city: "Rome", temp: 12, at: new Date("2026-01-02T00:00:00Z"), sunny: false, note: 3 },
      { city: "Oslo", temp: null, at: new Date("2026-01-03T00:00:00Z"), sunny: true },
      { city: "Oslo", temp: 0, at: new Date("2026-01-04T00:00:00Z"), sunny: true, note: undefined },
    ];
    const t = table(rows);
    expect(t).toMatchObject({ rows: 4, sampled: false, sampledRows: 4 });
    expect(t.columns.map((c) => [c.name, c.type, c.missing])).toEqual([
      ["city", "string", 0],
      ["temp", "number", 1],
      ["at", "date", 0],
      ["sunny", "boolean", 0],
      ["note", "mixed", 2],
    ]);
    expect(column(t, "city")).toEqual({
      name: "city",
      type: "string",
      missing: 0,
      top: [
        { value: "Oslo", count: 3 },
        { value: "Rome", count: 1 },
      ],
      distinct: 2,
    });
    expect(column(t, "temp").stats).toMatchObject({ count: 3, missing: 0, zeros: 1, min: 0, max: 12, mean: 13.5 / 3 });
    expect(column(t, "temp").distinct).toBe(3);
    expect(column(t, "temp").top).toBeUndefined();
    expect(column(t, "at").stats).toMatchObject({
      count: 4,
      min: Date.parse("2026-01-01T00:00:00Z"),
      max: Date.parse("2026-01-04T00:00:00Z"),
    });
    expect(column(t, "sunny").top).toEqual([
      { value: "true", count: 3 },
      { value: "false", count: 1 },
    ]);
    expect(column(t, "note").top).toEqual([
      { value: "a", count: 1 },
      { value: "3", count: 1 },
    ]);
    // The head: the first rows, each value summarised as anywhere else; a missing key left out.
    expect(t.head).toHaveLength(4);
    expect(t.head[0]).toEqual({
      city: { kind: "string", length: 4, preview: "Oslo", truncated: false },
      temp: { kind: "primitive", type: "number", value: 1.5 },
      at: { kind: "date", value: "2026-01-01T00:00:00.000Z" },
      sunny: { kind: "primitive", type: "boolean", value: true },
      note: { kind: "string", length: 1, preview: "a", truncated: false },
    });
    expect(Object.keys(t.head[2]!)).not.toContain("note");
  });

  it("keeps the first five rows as the head, and nested values within the depth limit", () => {
    const rows = Array.from({ length: 8 }, (_, i) => ({ id: i, tags: ["x", "y"], meta: { deep: { deeper: 1 } } }));
    const t = table(rows);
    expect(t.head.map((row) => row.id)).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ kind: "primitive", type: "number", value: i })),
    );
    expect(column(t, "tags")).toEqual({ name: "tags", type: "array", missing: 0 });
    expect(t.head[0]!.meta).toEqual({
      kind: "object",
      type: "Object",
      size: 1,
      entries: { deep: { kind: "truncated", reason: "depth" } },
      truncated: false,
    });
  });

  it("is a table only for two or more plain-object rows that share most of their keys", () => {
    const not = (value: unknown, limits = UNTIMED) => expect(summarize(value, limits).kind).toBe("array");
    not([{ a: 1 }]); // one row
    not([{ a: 1 }, { b: 2 }, { c: 3 }]); // nothing shared
    not([{ a: 1 }, new Map([["a", 1]])]); // not a plain object
    not([{ a: 1 }, null]);
    not([{ a: 1 }, [1]]);
    not([{}, {}]); // no keys
    not([
      { a: 1, b: 2 },
      { a: 1, c: 3 },
      { a: 1, d: 4 },
    ]); // only a third of the keys shared
    not([Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])), { k0: 1 }]); // > maxKeys
    not([[{ a: 1 }, { a: 2 }]], { ...UNTIMED, maxDepth: 2 }); // its rows would be too deep
    expect(table([{ a: 1, b: 2 }, { a: 3 }, { a: 5, b: 6 }]).columns.map((c) => c.name)).toEqual(["a", "b"]);
    expect(table([Object.create(null, { a: { value: 1, enumerable: true } }), { a: 2 }]).rows).toBe(2);
  });

  it("counts a key missing from a row as missing, not what the prototype has under that name", () => {
    const t = table([{ toString: "x", a: 1 }, { a: 2 }, { toString: "y", a: 3 }]);
    expect(column(t, "toString")).toMatchObject({ type: "string", missing: 1, distinct: 2 });
    // JSON's own "__proto__" key is a column like any other, and pollutes nothing.
    const parsed = JSON.parse('[{"__proto__": "p", "a": 1}, {"__proto__": "q", "a": 2}]') as unknown;
    const u = table(parsed);
    expect(column(u, "__proto__")).toMatchObject({ type: "string", missing: 0 });
    expect(Object.getPrototypeOf(u.head[0]!)).toBe(Object.prototype);
    expect(Object.hasOwn(u.head[0]!, "__proto__")).toBe(true);
  });

  it("reads rows as data: a throwing getter is named, never run; a proxy row is missing, its traps never run", () => {
    let ran = 0;
    const hostile = {
      id: 2,
      get name(): string {
        ran++;
        throw new Error("getter ran");
      },
    };
    let trapped = 0;
    const proxy = new Proxy({ id: 9, name: "p" }, { get: () => (trapped++, "trap"), ownKeys: () => (trapped++, []) });
    const rows: unknown[] = [{ id: 1, name: "a" }, hostile];
    for (let i = 0; i < TABLE_DETECTION_ROWS; i++) rows.push({ id: 3 + i, name: "b" });
    rows.push(proxy);
    const t = table(rows);
    expect(ran).toBe(0);
    expect(trapped).toBe(0);
    expect(column(t, "name")).toMatchObject({ type: "mixed", missing: 1 });
    expect(column(t, "id")).toMatchObject({ type: "number", missing: 1 });
    expect(t.head[1]!.name).toEqual({ kind: "function", name: "get name" });
    // A proxy among the first rows: not a table, and still no trap runs.
    expect(summarize([proxy, { id: 1 }]).kind).toBe("array");
    expect(trapped).toBe(0);
  });

  it("redacts secret-looking columns and secrets inside values", () => {
    const rows = [
      {
        user: "ann",
        apiKey: "sk-proj-abcdefghijklmnopqrstuvwxyz123456",
        note: "token sk-proj-abcdefghijklmnopqrstuvwxyz123456",
      },
      { user: "bob", apiKey: "sk-proj-zyxwvutsrqponmlkjihgfedcba654321", note: "plain" },
    ];
    const t = table(rows);
    const text = JSON.stringify(t);
    expect(text).not.toContain("abcdefghijklmnopqrstuvwxyz");
    expect(text).not.toContain("zyxwvutsrqponmlkjihgfedcba");
    expect(column(t, "apiKey")).toEqual({ name: "apiKey", type: "string", missing: 0 });
    expect(t.head[0]!.apiKey).toEqual({ kind: "redacted" });
    expect(column(t, "note").top?.map((e) => e.value)).toContain("token [REDACTED]");
  });

  it("cuts long values and long column names like any preview", () => {
    const long = "x".repeat(1_000);
    const name = "n".repeat(500);
    const t = table([
      { [name]: long, v: 1 },
      { [name]: long, v: 2 },
    ]);
    const c = t.columns[0]!;
    expect(c.name).toBe(`${"n".repeat(200)}…`);
    expect(c.top).toEqual([{ value: `${"x".repeat(200)}…`, count: 2 }]);
    expect(Object.keys(t.head[0]!)).toEqual([c.name, "v"]);
  });

  it("bounds distinct counting: a column of unique values gives no distinct count past the cap", () => {
    const rows = Array.from({ length: TABLE_MAX_DISTINCT + 5 }, (_, i) => ({ id: `id-${i}`, group: i % 3 }));
    const t = table(rows);
    expect(column(t, "id").distinct).toBeUndefined();
    expect(column(t, "id").top).toHaveLength(10);
    expect(column(t, "group").distinct).toBe(3);
  });

  it("stays bounded on a huge array: figures from a sample, the size of a few rows", () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => ({ id: i, name: `row ${i % 100}`, ok: i % 2 === 0 }));
    const t = table(rows);
    expect(t).toMatchObject({ rows: 1_000_000, sampled: true });
    expect(t.sampledRows).toBeLessThanOrEqual(DEFAULT_SUMMARY_LIMITS.maxStatsItems);
    expect(JSON.stringify(t).length).toBeLessThan(10_000);
    // With no row limit, the time budget stops the scan: far fewer rows than there are.
    const timed = table(rows, { ...UNTIMED, maxStatsItems: Infinity, timeBudgetMs: 1 });
    expect(timed.sampled).toBe(true);
    expect(timed.sampledRows).toBeLessThan(1_000_000);
    expect(column(timed, "id").stats?.count).toBe(timed.sampledRows);
  });
});

describe("table summaries sent to a Hamilton UI", () => {
  it("are a dagworks_describe/3 summary: a column per key, typed as the Python SDK types a DataFrame's", () => {
    const t = table([
      { city: "Oslo", temp: 1, at: new Date("2026-01-01T00:00:00Z"), sunny: true, tags: ["a"] },
      { city: "Rome", temp: 3, at: new Date("2026-01-03T00:00:00Z"), sunny: false, tags: [] },
      { city: "Oslo", temp: Number.NaN, at: new Date("2026-01-05T00:00:00Z"), sunny: true },
    ]);
    const body = resultSummaryBody(t, "cities");
    expect(body.type).toBe("dagworks_describe");
    expect(body.schema_version).toBe(3);
    const value = body.value as Record<string, Record<string, unknown>>;
    expect(Object.keys(value)).toEqual(["city", "temp", "at", "sunny", "tags"]);
    expect(value.city).toEqual({
      name: "city",
      pos: 0,
      data_type: "string",
      count: 3,
      missing: 0,
      base_data_type: "category",
      domain: { Oslo: 2, Rome: 1 },
      top_value: "Oslo",
      top_freq: 2,
      unique: 2,
    });
    expect(value.temp).toMatchObject({
      pos: 1,
      base_data_type: "numeric",
      count: 3,
      missing: 1,
      min: 1,
      max: 3,
      mean: 2,
      quantiles: { "0.5": 2 },
    });
    expect(Object.keys(value.temp!.histogram as object)).toHaveLength(10);
    expect(value.at).toMatchObject({
      base_data_type: "datetime",
      data_type: "Date",
      min: "2026-01-01T00:00:00.000Z",
      max: "2026-01-05T00:00:00.000Z",
      mean: "2026-01-03T00:00:00.000Z",
      quantiles: { "0.5": "2026-01-03T00:00:00.000Z" },
    });
    expect(value.sunny).toMatchObject({ base_data_type: "boolean", zeros: 1, count: 3 });
    expect(value.tags).toEqual({
      name: "tags",
      pos: 4,
      data_type: "array",
      count: 3,
      missing: 1,
      base_data_type: "unhandled",
    });
  });
});
