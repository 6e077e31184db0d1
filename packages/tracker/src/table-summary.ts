/**
 * Tables: an array of plain objects sharing keys (rows, as a JSON API or a CSV parser returns
 * them) summarised as Hamilton summarises a DataFrame — the row count, per column its type,
 * missing count, numeric statistics or most frequent values and distinct count, and the first
 * rows. Detection and the column scan are bounded (a sample of rows, `maxKeys` columns, the
 * summary's shared time budget); values are read as data properties only (getters never run);
 * secret-looking columns are redacted, and every preview goes through the shared redaction rule.
 *
 * @module
 */
import { isProxy } from "node:util/types";
import { isSecretKey } from "@hamilton-ts/lifecycle";
import { numericStats } from "./numeric-stats.js";
import type { TableColumn, ValueSummary } from "./records.js";
import type { SummaryLimits } from "./summarize.js";
import { headOf } from "@hamilton-ts/lifecycle/internal";

/** Rows read to decide whether an array is a table (its first ones). */
export const TABLE_DETECTION_ROWS = 50;
/** Rows kept as the table's `head` (as pandas' `head()`), at most `maxItems`. */
export const TABLE_HEAD_ROWS = 5;
/** Most frequent values kept per column, at most `maxItems`. */
export const TABLE_TOP_VALUES = 10;
/** Distinct values counted per column; past it, `distinct` is left out and no new value is counted. */
export const TABLE_MAX_DISTINCT = 1_000;
/** Share of the sampled rows' keys that must be shared keys (in more than half of the rows). */
const SHARED_KEY_COVERAGE = 0.8;
/** The clock is read once per this many rows scanned. */
const CLOCK_EVERY_ROWS = 64;
/** Characters of a string value kept to count it: the preview plus the redaction rule's look-ahead. */
const COUNTED_STRING_MARGIN = 256;

/** What the table summariser needs of the summariser that found the table. */
export interface TableHost {
  readonly limits: SummaryLimits;
  /** Estimated bytes of the summary built so far. */
  bytes: number;
  /** Summarises one value (a head cell), at `depth`. */
  value(value: unknown, depth: number): ValueSummary;
  /** True once the summary's time budget is spent (the first call starts the clock). */
  outOfTime(): boolean;
  /** A key as stored in a summary (long keys cut and redacted). */
  key(key: string): string;
  /** A value's preview: cut to `maxStringPreview`, redacted, a cut marked with `…`. */
  preview(text: string): string;
}

const REDACTED: ValueSummary = Object.freeze({ kind: "redacted" });
const HAS_OWN = Object.hasOwn;
// See summarize.ts: the getter of an own or inherited accessor, found without allocating a descriptor.
const LOOKUP_GETTER = (Object.prototype as { __lookupGetter__(key: string): unknown }).__lookupGetter__;
const DATE_TIME = Date.prototype.getTime;
const DATE_ISO = Date.prototype.toISOString;

/** A row: a plain object (an object literal, JSON, or a null-prototype object), never a proxy. */
function isRow(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || isProxy(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

/**
 * The columns of `rows` when it is a table, else undefined. A table has at least two rows; each of
 * its first {@link TABLE_DETECTION_ROWS} rows is a plain object; together they have at most
 * `maxKeys` distinct keys, and keys present in more than half of those rows (shared keys) make
 * up at least 80% of their keys. The columns are every key seen there, in first-seen order.
 */
export function tableColumns(rows: readonly unknown[], maxKeys: number): string[] | undefined {
  if (rows.length < 2) return undefined;
  const n = Math.min(rows.length, TABLE_DETECTION_ROWS);
  // Every row a plain object first (cheap), before any row's keys are listed (not always cheap).
  for (let i = 0; i < n; i++) if (!isRow(rows[i])) return undefined;
  const seen = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const keys = Object.keys(rows[i] as object);
    total += keys.length;
    for (const key of keys) {
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (seen.size > maxKeys) return undefined;
    }
  }
  let shared = 0;
  for (const count of seen.values()) if (count * 2 > n) shared += count;
  if (shared === 0 || shared < total * SHARED_KEY_COVERAGE) return undefined;
  return [...seen.keys()];
}

/** What one column holds, gathered row by row. */
class ColumnScan {
  missing = 0;
  /** The values' type so far; `mixed` once two differ. */
  type: string | undefined = undefined;
  /** Numbers (or a date column's times), while every value is a number (or a date). */
  numbers: number[] | undefined = [];
  /** Counts of the values (strings cut, dates as ISO text); undefined for object and array values. */
  readonly counts = new Map<string | number | boolean | bigint, number>();
  /** More than {@link TABLE_MAX_DISTINCT} distinct values were seen. */
  capped = false;
  /** Values that cannot be counted (objects, arrays, accessors) were seen. */
  uncounted = false;

  constructor(
    readonly name: string,
    readonly secret: boolean,
    readonly maxCounted: number,
  ) {}

  #note(type: string): void {
    if (this.type === undefined) this.type = type;
    else if (this.type !== type) {
      this.type = "mixed";
      this.numbers = undefined;
    }
  }

  #count(value: string | number | boolean | bigint): void {
    const count = this.counts.get(value);
    if (count !== undefined) this.counts.set(value, count + 1);
    else if (this.counts.size < TABLE_MAX_DISTINCT) this.counts.set(value, 1);
    else this.capped = true;
  }

  add(row: Record<string, unknown>): void {
    const name = this.name;
    if (!HAS_OWN(row, name)) {
      this.missing++;
      return;
    }
    // An own getter is named, never run (a getter that throws or has side effects stays harmless).
    if (LOOKUP_GETTER.call(row, name) !== undefined) {
      this.#note("accessor");
      this.uncounted = true;
      return;
    }
    const value = row[name];
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    switch (typeof value) {
      case "number":
        this.#note("number");
        if (this.secret) return;
        this.numbers?.push(value);
        this.#count(value);
        return;
      case "string":
        this.#note("string");
        if (!this.secret) this.#count(headOf(value, this.maxCounted));
        return;
      case "boolean":
      case "bigint":
        this.#note(typeof value);
        if (!this.secret) this.#count(value);
        return;
      case "object":
        if (!isProxy(value) && value instanceof Date) {
          this.#note("date");
          if (this.secret) return;
          const time = DATE_TIME.call(value);
          this.numbers?.push(time);
          this.#count(Number.isNaN(time) ? "Invalid Date" : DATE_ISO.call(value));
          return;
        }
        this.#note(Array.isArray(value) ? "array" : "object");
        this.uncounted = true;
        return;
      default:
        this.#note(typeof value);
        this.uncounted = true;
    }
  }

  /** The column's summary: statistics for numbers and dates, the most frequent values otherwise. */
  column(host: TableHost): TableColumn {
    const type = this.type ?? "empty";
    const name = host.key(this.name);
    host.bytes += name.length + 64;
    if (this.secret) return { name, type, missing: this.missing };
    // Distinct values are known only when every value was counted.
    const distinct = this.capped || this.uncounted ? undefined : this.counts.size;
    if ((type === "number" || type === "date") && this.numbers !== undefined) {
      host.bytes += 600;
      const stats = numericStats(this.numbers, Infinity);
      return { name, type, missing: this.missing, stats, ...(distinct !== undefined ? { distinct } : {}) };
    }
    const top = this.#top(host);
    return {
      name,
      type,
      missing: this.missing,
      ...(top.length > 0 ? { top } : {}),
      ...(distinct !== undefined ? { distinct } : {}),
    };
  }

  #top(host: TableHost): { value: string; count: number }[] {
    const keep = Math.min(TABLE_TOP_VALUES, Math.floor(host.limits.maxItems));
    if (keep <= 0 || this.counts.size === 0) return [];
    const entries = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, keep);
    return entries.map(([value, count]) => {
      const text = host.preview(String(value));
      host.bytes += text.length + 24;
      return { value: text, count };
    });
  }
}

/**
 * Summarises `rows` as a table when it is one (see {@link tableColumns}), else undefined. The
 * columns' figures cover the first `maxStatsItems` rows, or fewer when the time budget runs out
 * (the clock is read every {@link CLOCK_EVERY_ROWS} rows): then `sampled` is true. A row past the
 * detection sample that is not a plain object counts as missing in every column; keys that no
 * sampled row had are not columns. `depth` is the array's own depth: its rows are one deeper, the
 * head's values two.
 */
export function summarizeTable(rows: readonly unknown[], depth: number, host: TableHost): ValueSummary | undefined {
  const { limits } = host;
  if (depth + 1 >= limits.maxDepth) return undefined;
  const names = tableColumns(rows, limits.maxKeys);
  if (names === undefined) return undefined;
  const maxCounted =
    limits.maxStringPreview === Infinity ? Infinity : Math.floor(limits.maxStringPreview) + COUNTED_STRING_MARGIN;
  const scans = names.map((name) => new ColumnScan(name, isSecretKey(name), maxCounted));
  const limit = Math.min(rows.length, limits.maxStatsItems);
  let scanned = 0;
  for (; scanned < limit; scanned++) {
    if (scanned % CLOCK_EVERY_ROWS === 0 && scanned > 0 && host.outOfTime()) break;
    const row = rows[scanned];
    if (isRow(row)) for (const scan of scans) scan.add(row);
    else for (const scan of scans) scan.missing++;
  }
  const columns = scans.map((scan) => scan.column(host));
  const headRows = Math.min(rows.length, TABLE_HEAD_ROWS, Math.floor(limits.maxItems));
  const head: Record<string, ValueSummary>[] = [];
  for (let i = 0; i < headRows; i++) head.push(headRow(rows[i], scans, columns, depth, host));
  return { kind: "table", rows: rows.length, columns, head, sampled: scanned < rows.length, sampledRows: scanned };
}

/** One row of the head: each column's value summarised, a missing key left out. */
function headRow(
  row: unknown,
  scans: readonly ColumnScan[],
  columns: readonly TableColumn[],
  depth: number,
  host: TableHost,
): Record<string, ValueSummary> {
  const out: Record<string, ValueSummary> = {};
  if (!isRow(row)) return out;
  for (let c = 0; c < scans.length; c++) {
    const { name: key, secret } = scans[c]!;
    if (!HAS_OWN(row, key)) continue;
    const stored = columns[c]!.name;
    host.bytes += stored.length + 4;
    let summary: ValueSummary;
    if (secret) summary = REDACTED;
    else if (LOOKUP_GETTER.call(row, key) !== undefined) {
      const descriptor = Object.getOwnPropertyDescriptor(row, key);
      summary = { kind: "function", name: `${descriptor?.get !== undefined ? "get" : "set"} ${stored}` };
    } else summary = host.value(row[key], depth + 2);
    if (stored === "__proto__")
      Object.defineProperty(out, stored, { value: summary, enumerable: true, writable: true, configurable: true });
    else out[stored] = summary;
  }
  return out;
}
