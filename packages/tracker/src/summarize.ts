import type { ErrorInfo, ValueSummary } from "./records.js";
import { numericStats, type NumberList } from "./numeric-stats.js";
import { isSecretKey, redactText } from "@hamilton-ts/lifecycle";

/** Bounds on what a summary holds and how long it may take. Every field has a default. */
export interface SummaryLimits {
  /** Characters of a string kept as its preview. Default 200. */
  readonly maxStringPreview: number;
  /** First items of an array or set summarised. Default 10. */
  readonly maxItems: number;
  /** First keys of an object or map summarised. Default 20. */
  readonly maxKeys: number;
  /** Keys counted for an object's `size` (counting stops there). Default 10,000. */
  readonly maxCountKeys: number;
  /** Levels of nesting summarised; deeper values become `{ kind: "truncated" }`. Default 3. */
  readonly maxDepth: number;
  /** Values of a numeric array the statistics cover (sorting is O(n log n)). Default 100,000. */
  readonly maxStatsItems: number;
  /**
   * Time one summary may take, in milliseconds; parts not reached become
   * `{ kind: "truncated", reason: "time" }`. Default 5.
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

const BINARY_VIEWS = new Set(["Uint8Array", "Uint8ClampedArray", "Int8Array", "BigInt64Array", "BigUint64Array", "DataView"]);

/**
 * The first `max` characters of a text, redacted: redacting first means a secret cut at the
 * boundary is still caught. Only a window a little longer than `max` is scanned, so huge texts
 * cost no more than short ones. `truncated` says whether anything was cut.
 */
export function redactHead(text: string, max: number): { readonly text: string; readonly truncated: boolean } {
  const redacted = redactText(text.length > max + 256 ? text.slice(0, max + 256) : text);
  if (text.length <= max && redacted.length <= max) return { text: redacted, truncated: false };
  return { text: redacted.slice(0, max), truncated: true };
}

/** {@link redactHead} as one string, a cut marked with `…`. */
function safeText(text: string, max: number): string {
  const head = redactHead(text, max);
  return head.truncated ? `${head.text}…` : head.text;
}

function typeName(value: object): string {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === "string" && name.length > 0 ? name : "anonymous class";
}

function isErrorLike(value: object): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
}

class Summarizer {
  #deadline = 0;
  constructor(readonly limits: SummaryLimits) {}

  #outOfTime(): boolean {
    if (this.#deadline === 0) {
      this.#deadline = performance.now() + this.limits.timeBudgetMs;
      return false;
    }
    return performance.now() > this.#deadline;
  }

  value(value: unknown, depth: number): ValueSummary {
    switch (typeof value) {
      case "number":
        return { kind: "primitive", type: "number", value: Number.isFinite(value) ? value : String(value) };
      case "string":
        return this.string(value);
      case "boolean":
        return value ? TRUE_SUMMARY : FALSE_SUMMARY;
      case "undefined":
        return UNDEFINED_SUMMARY;
      case "bigint":
        return { kind: "primitive", type: "bigint", value: value.toString() };
      case "symbol":
        return { kind: "primitive", type: "symbol", value: value.description ?? "" };
      case "function":
        return { kind: "function", name: value.name || "anonymous" };
      default:
        if (value === null) return NULL_SUMMARY;
        return this.object(value as object, depth);
    }
  }

  string(value: string): ValueSummary {
    const { text: preview, truncated } = redactHead(value, this.limits.maxStringPreview);
    return { kind: "string", length: value.length, preview, truncated };
  }

  object(value: object, depth: number): ValueSummary {
    if (depth >= this.limits.maxDepth) return DEPTH_SUMMARY;
    if (this.#outOfTime()) return TIME_SUMMARY;
    if (Array.isArray(value)) return this.array(value, depth);
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === Object.prototype || proto === null) return this.plain(value, proto === null ? "null-prototype" : "Object", depth);
    if (ArrayBuffer.isView(value)) {
      const type = typeName(value);
      if (BINARY_VIEWS.has(type) || typeof Buffer !== "undefined" && Buffer.isBuffer(value)) {
        return { kind: "binary", type: Buffer.isBuffer(value) ? "Buffer" : type, byteLength: value.byteLength };
      }
      return this.numeric(value as unknown as NumberList, type);
    }
    if (value instanceof ArrayBuffer) return { kind: "binary", type: "ArrayBuffer", byteLength: value.byteLength };
    if (value instanceof Date) {
      const time = value.getTime();
      return { kind: "date", value: Number.isNaN(time) ? null : value.toISOString() };
    }
    if (isErrorLike(value)) {
      return {
        kind: "error",
        type: typeof value.name === "string" ? value.name : typeName(value),
        message: safeText(String(value.message), this.limits.maxErrorMessage),
      };
    }
    if (value instanceof Map) return this.map(value, depth);
    if (value instanceof Set) return this.set(value, depth);
    // A class instance: its type name only. Its fields may hold credentials (an OpenAI client
    // keeps its API key), and serialising arbitrary objects is neither bounded nor safe.
    return { kind: "instance", type: typeName(value) };
  }

  array(value: readonly unknown[], depth: number): ValueSummary {
    if (value.length > 0 && this.#isNumeric(value)) return this.numeric(value, "Array");
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
    const headLength = Math.min(value.length, this.limits.maxItems);
    const head: (number | null)[] = new Array<number | null>(headLength);
    for (let i = 0; i < headLength; i++) {
      const v = value[i];
      head[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
    }
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
    const record = value as Record<string, unknown>;
    let size = 0;
    for (const key in record) {
      if (size < this.limits.maxKeys) {
        entries[key] = isSecretKey(key) ? REDACTED_SUMMARY : this.value(record[key], depth + 1);
      }
      if (++size >= this.limits.maxCountKeys) break;
    }
    return { kind: "object", type, size, entries, truncated: size > this.limits.maxKeys };
  }

  map(value: Map<unknown, unknown>, depth: number): ValueSummary {
    const entries: Record<string, ValueSummary> = {};
    let size = 0;
    for (const [k, v] of value) {
      if (size >= this.limits.maxKeys) break;
      const key = typeof k === "object" && k !== null ? `[${typeName(k)}]` : String(k);
      entries[key] = isSecretKey(key) ? REDACTED_SUMMARY : this.value(v, depth + 1);
      size++;
    }
    return { kind: "object", type: "Map", size: value.size, entries, truncated: value.size > size };
  }

  set(value: Set<unknown>, depth: number): ValueSummary {
    const items: ValueSummary[] = [];
    for (const v of value) {
      if (items.length >= this.limits.maxItems) break;
      items.push(this.value(v, depth + 1));
    }
    return { kind: "set", size: value.size, items, truncated: value.size > items.length };
  }
}

function failure(error: unknown): ValueSummary {
  let message: string;
  try {
    message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    message = "unknown error";
  }
  return { kind: "observability_failure", message: safeText(message, 500) };
}

/**
 * Summarises any value, within `limits`. Never throws: a value that cannot be summarised (a
 * throwing getter, a hostile proxy) gives `{ kind: "observability_failure" }`. Secret-looking keys
 * are redacted at every level; when `name` (the value's own key: an input or node name) looks like
 * a secret, the whole value is.
 */
export function summarize(value: unknown, limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS, name?: string): ValueSummary {
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
  try {
    return new Summarizer(limits).value(value, 0);
  } catch (error) {
    return failure(error);
  }
}

/** Summarises each entry of a record (inputs, config); secret-looking keys are redacted. */
export function summarizeRecord(
  record: Readonly<Record<string, unknown>>,
  limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS,
  skip?: (key: string, value: unknown) => boolean,
): Record<string, ValueSummary> {
  const out: Record<string, ValueSummary> = {};
  try {
    for (const key of Object.keys(record)) {
      let value: unknown;
      try {
        value = record[key];
      } catch (error) {
        out[key] = failure(error);
        continue;
      }
      if (skip?.(key, value)) continue;
      out[key] = summarize(value, limits, key);
    }
  } catch (error) {
    out["__observability_failure__"] = failure(error);
  }
  return out;
}

/**
 * Describes a thrown value safely: type, message and stack bounded and redacted, one level of
 * `cause`. Never throws.
 */
export function errorInfo(error: unknown, limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS, depth = 0): ErrorInfo {
  try {
    if (typeof error === "object" && error !== null && isErrorLike(error)) {
      const cause = (error as { cause?: unknown }).cause;
      return {
        type: typeof error.name === "string" && error.name.length > 0 ? error.name : typeName(error),
        message: safeText(String(error.message), limits.maxErrorMessage),
        stack: typeof error.stack === "string" ? safeText(error.stack, limits.maxStack) : undefined,
        cause: cause !== undefined && depth < 1 ? errorInfo(cause, limits, depth + 1) : undefined,
      };
    }
    const type = error === null ? "null" : typeof error === "object" ? typeName(error) : typeof error;
    const message = typeof error === "object" && error !== null ? `a thrown ${type}` : String(error);
    return { type, message: safeText(message, limits.maxErrorMessage), stack: undefined, cause: undefined };
  } catch (failureError) {
    return { type: "unknown", message: `the error could not be described (${String(failureError)})`, stack: undefined, cause: undefined };
  }
}
