import { isGeneratorObject, isNativeError, isProxy } from "node:util/types";
import type { ErrorInfo, ValueSummary } from "./records.js";
import { numericStats, type NumberList } from "./numeric-stats.js";
import { summarizeTable, type TableHost } from "./table-summary.js";
import type { SizeMeter } from "./record-size.js";
import { isSecretKey, redactHead as sharedRedactHead } from "@hamilton-ts/lifecycle";
import { dataProperty, errorStack, typeName as sharedTypeName } from "@hamilton-ts/lifecycle/internal";

/** Bounds on what a summary holds and how long it may take. Every field has a default. */
export interface SummaryLimits {
  /** Characters of a string kept as its preview. Default 200. */
  readonly maxStringPreview: number;
  /** First items of an array or set summarised. Default 10. */
  readonly maxItems: number;
  /** First keys of an object or map summarised. Default 20. */
  readonly maxKeys: number;
  /**
   * The largest `size` an object's summary reports (its own enumerable keys are listed once, then
   * only the first `maxKeys` are read). Default 10,000.
   */
  readonly maxCountKeys: number;
  /** Levels of nesting summarised; deeper values become `{ kind: "truncated" }`. Default 3. */
  readonly maxDepth: number;
  /** Values of a numeric array the statistics cover (sorting is O(n log n)). Default 100,000. */
  readonly maxStatsItems: number;
  /**
   * Time one summary may take, in milliseconds; parts not reached become
   * `{ kind: "truncated", reason: "time" }`. The clock is read before every object, array and
   * string longer than 256 characters, so one summary overruns it by at most one such step
   * (listing one object's keys, the statistics of one numeric array, redacting one string's
   * preview) plus the short strings of one container. Default 5.
   */
  readonly timeBudgetMs: number;
  /** Characters of an error message kept. Default 2,000. */
  readonly maxErrorMessage: number;
  /** Characters of a stack trace kept. Default 10,000. */
  readonly maxStack: number;
}

/** The default {@link SummaryLimits}. */
export const DEFAULT_SUMMARY_LIMITS: SummaryLimits = Object.freeze({
  maxStringPreview: 200,
  maxItems: 10,
  maxKeys: 20,
  maxCountKeys: 10_000,
  maxDepth: 3,
  maxStatsItems: 100_000,
  timeBudgetMs: 5,
  maxErrorMessage: 2_000,
  maxStack: 10_000,
});

const REDACTED_SUMMARY: ValueSummary = Object.freeze({ kind: "redacted" });
const UNDEFINED_SUMMARY: ValueSummary = Object.freeze({ kind: "primitive", type: "undefined", value: null });
const NULL_SUMMARY: ValueSummary = Object.freeze({ kind: "primitive", type: "null", value: null });
const TRUE_SUMMARY: ValueSummary = Object.freeze({ kind: "primitive", type: "boolean", value: true });
const FALSE_SUMMARY: ValueSummary = Object.freeze({ kind: "primitive", type: "boolean", value: false });
const DEPTH_SUMMARY: ValueSummary = Object.freeze({ kind: "truncated", reason: "depth" });
const TIME_SUMMARY: ValueSummary = Object.freeze({ kind: "truncated", reason: "time" });

/** Strings longer than this read the clock before they are redacted (shorter ones are cheap). */
const CLOCKED_STRING_LENGTH = 256;

const BINARY_VIEWS = new Set([
  "Uint8Array",
  "Uint8ClampedArray",
  "Int8Array",
  "BigInt64Array",
  "BigUint64Array",
  "DataView",
]);

/**
 * The first `max` characters of a text, redacted by the shared rule (`@hamilton-ts/lifecycle`'s
 * `redactHead`: redacting first means a secret cut at the boundary is still caught, and only a
 * window a little longer than `max` is scanned). `truncated` says whether anything was cut. A
 * summary limit may be fractional or `Infinity` (the options allow any number ≥ 0): it counts as
 * its whole part, or as no limit.
 */
export function redactHead(text: string, max: number): { readonly text: string; readonly truncated: boolean } {
  return sharedRedactHead(text, max === Infinity ? text.length : Math.floor(max));
}

/** {@link redactHead} as one string, a cut marked with `…`. */
function safeText(text: string, max: number): string {
  const head = redactHead(text, max);
  return head.truncated ? `${head.text}…` : head.text;
}

// The built-ins' own methods, so a value cannot replace them with its own (or with getters).
const MAP_ENTRIES = Map.prototype.entries;
const SET_VALUES = Set.prototype.values;
const MAP_SIZE = Object.getOwnPropertyDescriptor(Map.prototype, "size")!.get!;
const SET_SIZE = Object.getOwnPropertyDescriptor(Set.prototype, "size")!.get!;
const DATE_TIME = Date.prototype.getTime;
// Annex B, in every engine: the getter of an own or inherited accessor, found without allocating
// a descriptor (cheaper than Object.getOwnPropertyDescriptor on the common path, a data property).
const LOOKUP_GETTER = (Object.prototype as { __lookupGetter__(key: string): unknown }).__lookupGetter__;
const DATE_ISO = Date.prototype.toISOString;

/** Every async generator object inherits from it (its constructor is not a class with a name). */
const ASYNC_GENERATOR_PROTO = Object.getPrototypeOf(async function* () {}.prototype) as object;
const GENERATOR: ValueSummary = Object.freeze({ kind: "instance", type: "generator" });
const ASYNC_GENERATOR: ValueSummary = Object.freeze({ kind: "instance", type: "async generator" });

/** The class name of an object (see the shared `typeName`), `"anonymous class"` when it has none. */
function typeName(value: object): string {
  return sharedTypeName(value, "anonymous class");
}

function isErrorLike(value: object): value is Error {
  return value instanceof Error || isNativeError(value);
}

/** An error's `name`, read without running getters. */
function errorName(error: object): string {
  const name = dataProperty(error, "name");
  return typeof name === "string" && name.length > 0 ? name : typeName(error);
}

/** An error's own field (`message`, `stack`) as text, read without running getters. */
function errorText(error: object, key: string): string | undefined {
  const value = dataProperty(error, key);
  return typeof value === "string" ? value : value === undefined ? undefined : typeof value;
}

/** The summary of a property that is a getter/setter: it names the accessor and never runs it. */
function accessor(key: string, descriptor: PropertyDescriptor): ValueSummary {
  return { kind: "function", name: `${descriptor.get !== undefined ? "get" : "set"} ${key}` };
}

class Summarizer implements TableHost {
  #deadline = 0;
  /** Estimated bytes of the summary built so far. */
  bytes = 0;
  constructor(readonly limits: SummaryLimits) {}

  outOfTime(): boolean {
    return this.#outOfTime();
  }

  key(key: string): string {
    return this.#key(key);
  }

  preview(text: string): string {
    return safeText(text, this.limits.maxStringPreview);
  }

  #outOfTime(): boolean {
    if (this.#deadline === 0) {
      this.#deadline = performance.now() + this.limits.timeBudgetMs;
      return false;
    }
    return performance.now() > this.#deadline;
  }

  /** A key as stored in a summary: long keys are cut (and redacted) like string previews. */
  #key(key: string): string {
    if (key.length <= this.limits.maxStringPreview) return key;
    this.bytes += this.limits.maxStringPreview;
    return safeText(key, this.limits.maxStringPreview);
  }

  value(value: unknown, depth: number): ValueSummary {
    this.bytes += 32;
    switch (typeof value) {
      case "number":
        return { kind: "primitive", type: "number", value: Number.isFinite(value) ? value : String(value) };
      case "string":
        return this.string(value);
      case "boolean":
        return value ? TRUE_SUMMARY : FALSE_SUMMARY;
      case "undefined":
        return UNDEFINED_SUMMARY;
      case "bigint": {
        const text = safeText(value.toString(), this.limits.maxStringPreview);
        this.bytes += text.length;
        return { kind: "primitive", type: "bigint", value: text };
      }
      case "symbol": {
        const text = safeText(value.description ?? "", this.limits.maxStringPreview);
        this.bytes += text.length;
        return { kind: "primitive", type: "symbol", value: text };
      }
      case "function": {
        const name = isProxy(value) ? undefined : dataProperty(value, "name");
        const text =
          typeof name === "string" && name.length > 0 ? safeText(name, this.limits.maxStringPreview) : "anonymous";
        this.bytes += text.length;
        return { kind: "function", name: text };
      }
      default:
        if (value === null) return NULL_SUMMARY;
        return this.object(value as object, depth);
    }
  }

  string(value: string): ValueSummary {
    // Short strings cost little to redact: only longer ones read the clock.
    if (value.length > CLOCKED_STRING_LENGTH && this.#outOfTime()) return TIME_SUMMARY;
    const { text: preview, truncated } = redactHead(value, this.limits.maxStringPreview);
    this.bytes += preview.length + 32;
    return { kind: "string", length: value.length, preview, truncated };
  }

  object(value: object, depth: number): ValueSummary {
    if (depth >= this.limits.maxDepth) return DEPTH_SUMMARY;
    if (this.#outOfTime()) return TIME_SUMMARY;
    // A proxy's traps are code: none of them is run (not even getPrototypeOf).
    if (isProxy(value)) return { kind: "instance", type: "Proxy" };
    if (Array.isArray(value)) return this.array(value, depth);
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === Object.prototype || proto === null)
      return this.plain(value, proto === null ? "null-prototype" : "Object", depth);
    if (ArrayBuffer.isView(value)) {
      const type = typeName(value);
      if (BINARY_VIEWS.has(type) || Buffer.isBuffer(value)) {
        return { kind: "binary", type: Buffer.isBuffer(value) ? "Buffer" : type, byteLength: value.byteLength };
      }
      return this.numeric(value as unknown as NumberList, type);
    }
    if (value instanceof ArrayBuffer) return { kind: "binary", type: "ArrayBuffer", byteLength: value.byteLength };
    if (value instanceof Date) {
      const time = DATE_TIME.call(value);
      return { kind: "date", value: Number.isNaN(time) ? null : DATE_ISO.call(value) };
    }
    if (isErrorLike(value)) {
      const message = safeText(errorText(value, "message") ?? "", this.limits.maxErrorMessage);
      this.bytes += message.length + 32;
      return { kind: "error", type: errorName(value), message };
    }
    if (value instanceof Map) return this.map(value, depth);
    if (value instanceof Set) return this.set(value, depth);
    // A generator (a fan-out source, say) has no class name: say what it is. Never iterated.
    if (isGeneratorObject(value))
      return Object.prototype.isPrototypeOf.call(ASYNC_GENERATOR_PROTO, value) ? ASYNC_GENERATOR : GENERATOR;
    // A class instance: its type name only. Its fields may hold credentials (an OpenAI client
    // keeps its API key), and serialising arbitrary objects is neither bounded nor safe.
    return { kind: "instance", type: typeName(value) };
  }

  array(value: readonly unknown[], depth: number): ValueSummary {
    if (value.length > 0 && this.#isNumeric(value)) return this.numeric(value, "Array");
    // Rows (plain objects sharing keys) are a table: see table-summary.ts for when.
    const table = summarizeTable(value, depth, this);
    if (table !== undefined) return table;
    const n = Math.min(value.length, this.limits.maxItems);
    const items: ValueSummary[] = new Array<ValueSummary>(n);
    for (let i = 0; i < n; i++) items[i] = this.value(value[i], depth + 1);
    return { kind: "array", length: value.length, items, truncated: value.length > n };
  }

  #isNumeric(value: readonly unknown[]): boolean {
    const n = Math.min(value.length, this.limits.maxStatsItems);
    let numbers = 0;
    for (let i = 0; i < n; i++) {
      const v = value[i];
      if (typeof v === "number") numbers++;
      else if (v !== null && v !== undefined) return false;
    }
    return numbers > 0;
  }

  numeric(value: NumberList, type: string): ValueSummary {
    if (this.#outOfTime()) return TIME_SUMMARY;
    const headLength = Math.min(value.length, this.limits.maxItems);
    const head: (number | null)[] = new Array<number | null>(headLength);
    for (let i = 0; i < headLength; i++) {
      const v = value[i];
      head[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
    }
    this.bytes += 600 + headLength * 12;
    return {
      kind: "numeric_array",
      type,
      length: value.length,
      head,
      sampled: value.length > this.limits.maxStatsItems,
      ...numericStats(value, this.limits.maxStatsItems),
    };
  }

  plain(value: object, type: string, depth: number): ValueSummary {
    const entries: Record<string, ValueSummary> = {};
    // Own enumerable keys, listed once (a for…in would list every key, inherited ones too, before
    // the first); only the first maxKeys are read, as data properties: getters are never run.
    const keys = Object.keys(value);
    const n = Math.min(keys.length, this.limits.maxKeys);
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const stored = this.#key(key);
      this.bytes += stored.length + 4;
      let summary: ValueSummary;
      if (isSecretKey(key)) summary = REDACTED_SUMMARY;
      else if (LOOKUP_GETTER.call(value, key) === undefined) {
        // The own key has no getter: reading it runs no code (a setter-only accessor reads as undefined).
        summary = this.value((value as Record<string, unknown>)[key], depth + 1);
      } else summary = accessor(stored, Object.getOwnPropertyDescriptor(value, key) ?? {});
      define(entries, stored, summary);
    }
    return {
      kind: "object",
      type,
      size: Math.min(keys.length, this.limits.maxCountKeys),
      entries,
      truncated: keys.length > n,
    };
  }

  map(value: Map<unknown, unknown>, depth: number): ValueSummary {
    const entries: Record<string, ValueSummary> = {};
    const total = MAP_SIZE.call(value) as number;
    let size = 0;
    for (const [k, v] of MAP_ENTRIES.call(value)) {
      if (size >= this.limits.maxKeys) break;
      const key = this.#key(
        typeof k === "object" && k !== null ? `[${typeName(k)}]` : typeof k === "function" ? "[Function]" : String(k),
      );
      this.bytes += key.length + 4;
      define(entries, key, isSecretKey(key) ? REDACTED_SUMMARY : this.value(v, depth + 1));
      size++;
    }
    return { kind: "object", type: "Map", size: total, entries, truncated: total > size };
  }

  set(value: Set<unknown>, depth: number): ValueSummary {
    const items: ValueSummary[] = [];
    const total = SET_SIZE.call(value) as number;
    for (const v of SET_VALUES.call(value)) {
      if (items.length >= this.limits.maxItems) break;
      items.push(this.value(v, depth + 1));
    }
    return { kind: "set", size: total, items, truncated: total > items.length };
  }
}

/** Sets `record[key]`, as an own property even for `__proto__`. */
function define(record: Record<string, ValueSummary>, key: string, value: ValueSummary): void {
  if (key === "__proto__")
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

function failure(error: unknown): ValueSummary {
  let message: string;
  try {
    message =
      typeof error === "object" && error !== null && !isProxy(error) && isErrorLike(error)
        ? `${errorName(error)}: ${errorText(error, "message") ?? ""}`
        : typeof error === "object" && error !== null
          ? "a thrown object"
          : String(error);
  } catch {
    message = "unknown error";
  }
  return { kind: "observability_failure", message: safeText(message, 500) };
}

/**
 * Summarises any value, within `limits`. Never throws: a value that cannot be summarised gives
 * `{ kind: "observability_failure" }`. Only data is read: getters are named, never run (`{ kind:
 * "function", name: "get x" }`), a proxy is `{ kind: "instance", type: "Proxy" }`. Secret-looking
 * keys are redacted at every level; when `name` (the value's own key: an input or node name)
 * looks like a secret, the whole value is.
 */
export function summarize(value: unknown, limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS, name?: string): ValueSummary {
  return summarizeMetered(value, limits, name, undefined);
}

/**
 * {@link summarize}, adding the summary's estimated size to `meter.bytes` when it is more than a
 * primitive (the fast paths add nothing: their size is the caller's constant).
 */
export function summarizeMetered(
  value: unknown,
  limits: SummaryLimits,
  name: string | undefined,
  meter: SizeMeter | undefined,
): ValueSummary {
  if (name !== undefined && isSecretKey(name)) return REDACTED_SUMMARY;
  // Fast paths for the common results: no summariser object, no clock.
  switch (typeof value) {
    case "number":
      if (Number.isFinite(value)) return { kind: "primitive", type: "number", value };
      break;
    case "boolean":
      return value ? TRUE_SUMMARY : FALSE_SUMMARY;
    case "undefined":
      return UNDEFINED_SUMMARY;
  }
  const summarizer = new Summarizer(limits);
  let summary: ValueSummary;
  try {
    summary = summarizer.value(value, 0);
  } catch (error) {
    summary = failure(error);
  }
  if (meter !== undefined) meter.bytes += summarizer.bytes;
  return summary;
}

/**
 * Summarises each entry of a record (inputs, config); secret-looking keys are redacted. Entries
 * are read as data properties: a getter is named, never run.
 */
export function summarizeRecord(
  record: Readonly<Record<string, unknown>>,
  limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS,
  skip?: (key: string, value: unknown) => boolean,
): Record<string, ValueSummary> {
  const out: Record<string, ValueSummary> = {};
  try {
    if (isProxy(record))
      return { __observability_failure__: { kind: "observability_failure", message: "a Proxy: not read" } };
    for (const key of Object.keys(record)) {
      const descriptor = Object.getOwnPropertyDescriptor(record, key);
      if (descriptor === undefined) continue;
      if (!("value" in descriptor)) {
        define(out, key, isSecretKey(key) ? REDACTED_SUMMARY : accessor(key, descriptor));
        continue;
      }
      const value: unknown = descriptor.value;
      if (skip?.(key, value)) continue;
      define(out, key, summarize(value, limits, key));
    }
  } catch (error) {
    out.__observability_failure__ = failure(error);
  }
  return out;
}

/**
 * Describes a thrown value safely: type, message and stack bounded and redacted, one level of
 * `cause`. Reads data properties only (no getter runs). Never throws.
 */
export function errorInfo(error: unknown, limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS, depth = 0): ErrorInfo {
  try {
    if (typeof error === "object" && error !== null && !isProxy(error) && isErrorLike(error)) {
      const cause = dataProperty(error, "cause");
      const stack = errorStack(error);
      return {
        type: errorName(error),
        message: safeText(errorText(error, "message") ?? "", limits.maxErrorMessage),
        stack: stack === undefined ? undefined : safeText(stack, limits.maxStack),
        cause: cause !== undefined && depth < 1 ? errorInfo(cause, limits, depth + 1) : undefined,
      };
    }
    const type =
      error === null ? "null" : typeof error === "object" ? (isProxy(error) ? "Proxy" : typeName(error)) : typeof error;
    const message = typeof error === "object" && error !== null ? `a thrown ${type}` : String(error);
    return { type, message: safeText(message, limits.maxErrorMessage), stack: undefined, cause: undefined };
  } catch (failureError) {
    return {
      type: "unknown",
      message: safeText(`the error could not be described (${String(failureError)})`, limits.maxErrorMessage),
      stack: undefined,
      cause: undefined,
    };
  }
}
