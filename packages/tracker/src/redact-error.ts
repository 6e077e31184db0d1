import { isProxy } from "node:util/types";
import { isSecretKey, REDACTED } from "@hamilton-ts/lifecycle";
import { describeError, errorStack, redactAndCut, typeName } from "@hamilton-ts/lifecycle/internal";

/** Characters kept of a text field when an error is redacted (its stack: {@link MAX_STACK}). */
const MAX_TEXT = 2_000;
const MAX_STACK = 10_000;
/**
 * Nesting levels copied below the error: `cause` chains, an AggregateError's `errors`, an HTTP
 * client's `config.headers.Authorization`. Deeper values become `"[ClassName]"`.
 */
export const MAX_REDACTED_DEPTH = 5;
/** Own properties of an object (items of an array) copied; the others are left out. */
const MAX_ENTRIES = 100;
/** Values copied for one error, all levels together; past it, objects become `"[ClassName]"`. */
const MAX_VALUES = 2_000;

interface Walk {
  values: number;
  readonly path: Set<object>;
}

/**
 * A copy of a thrown value that is safe to log or hand out. Own data properties are copied
 * deeply (at most {@link MAX_REDACTED_DEPTH} levels, 100 entries per object, 2,000 values in
 * all): every string is redacted and bounded, a value under a secret-looking key (`isSecretKey`:
 * `Authorization`, `apiKey`, ...) becomes `"[REDACTED]"`, functions become `"[Function]"`,
 * getters are not run (left out), a cycle becomes `"[Circular]"`, a proxy `"[Proxy]"`. Errors
 * (the value itself, its `cause` chain, an AggregateError's `errors`, errors nested anywhere)
 * keep their prototype, so `instanceof`, `name`, `code`, `status`, `retryable` and
 * `TrackerError.isInstance` still work; other objects (an HTTP client's `config`, `response`)
 * become plain objects. A thrown string is redacted; a number, boolean, ... or a proxy thrown
 * itself is returned as is. The tracker applies it to every error it reports (`onError`) or
 * returns (`DeliveryReport.lastError`).
 */
export function redactError(error: unknown): unknown {
  if (typeof error === "object" && error !== null && isProxy(error)) return error;
  return copy(error, undefined, 0, { values: 0, path: new Set() });
}

function copy(value: unknown, key: string | undefined, depth: number, walk: Walk): unknown {
  if (key !== undefined && value !== undefined && value !== null && isSecretKey(key)) return REDACTED;
  if (typeof value === "string") return redactAndCut(value, key === "stack" ? MAX_STACK : MAX_TEXT);
  if (typeof value === "function") return "[Function]";
  if (typeof value !== "object" || value === null) return value;
  if (isProxy(value)) return "[Proxy]";
  if (walk.path.has(value)) return "[Circular]";
  const isError = value instanceof Error;
  if (depth > MAX_REDACTED_DEPTH || walk.values >= MAX_VALUES) return `[${typeName(value)}]`;
  walk.path.add(value);
  try {
    return Array.isArray(value) ? copyArray(value, depth, walk) : copyObject(value, isError, depth, walk);
  } catch {
    // A hostile object (a throwing trap somewhere inside): describe it, redacted.
    return isError ? new Error(describeError(value)) : `[${typeName(value)}]`;
  } finally {
    walk.path.delete(value);
  }
}

function copyArray(value: readonly unknown[], depth: number, walk: Walk): unknown[] {
  const length = Math.min(value.length, MAX_ENTRIES);
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    const descriptor = Object.getOwnPropertyDescriptor(value, i);
    walk.values++;
    out.push(
      descriptor !== undefined && "value" in descriptor
        ? copy(descriptor.value, String(i), depth + 1, walk)
        : undefined,
    );
  }
  return out;
}

/**
 * An error keeps its prototype and its properties' attributes (a `stack` stays non-enumerable);
 * any other object becomes a plain object of its enumerable own data properties.
 */
function copyObject(value: object, isError: boolean, depth: number, walk: Walk): object {
  const descriptors = Object.getOwnPropertyDescriptors(value) as Record<PropertyKey, PropertyDescriptor>;
  const kept: Record<PropertyKey, PropertyDescriptor> = {};
  let entries = 0;
  for (const key of Reflect.ownKeys(descriptors)) {
    const descriptor = descriptors[key as string]!;
    if (isError && key === "stack" && !("value" in descriptor)) {
      // V8's own stack accessor (Node 22, 24): its text, redacted, as the data property Node 20 has.
      const stack = errorStack(value);
      if (stack !== undefined) {
        walk.values++;
        kept.stack = {
          value: copy(stack, "stack", depth + 1, walk),
          writable: true,
          enumerable: false,
          configurable: true,
        };
      }
      continue;
    }
    if (!("value" in descriptor) || (!isError && !descriptor.enumerable)) continue;
    if (typeof key === "symbol") {
      // A marker (TrackerError.isInstance) is kept; objects under symbols are not walked.
      if (typeof descriptor.value !== "object" && typeof descriptor.value !== "function") kept[key] = descriptor;
      continue;
    }
    if (entries++ >= MAX_ENTRIES) break;
    walk.values++;
    descriptor.value = copy(descriptor.value, key, depth + 1, walk);
    kept[key] = isError
      ? descriptor
      : { value: descriptor.value, enumerable: true, writable: true, configurable: true };
  }
  return Object.create(isError ? (Object.getPrototypeOf(value) as object | null) : Object.prototype, kept) as object;
}
