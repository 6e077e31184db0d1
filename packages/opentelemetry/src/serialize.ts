import { isSecretKey, REDACTED, redactHead, redactText } from "@hamilton-ts/lifecycle";
import { headOf, typeName } from "@hamilton-ts/lifecycle/internal";

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Nesting deeper than this is written as `"[too deep]"` (JSON itself would overflow the stack). */
const MAX_DEPTH = 200;

/** Thrown inside the walk to report a value JSON cannot hold; caught by {@link serializeBounded}. */
class Unserializable extends Error {}

/**
 * Writes JSON into parts until `limit` characters are written, then stops: every later write
 * returns at once, so the work done is bounded by the limit, not by the size of the value.
 */
class BoundedJsonWriter {
  readonly #parts: string[] = [];
  #length = 0;
  readonly #limit: number;
  /** The objects and arrays being written, to detect cycles. */
  readonly #ancestors = new Set<object>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True once `limit` characters are written: the caller stops walking. */
  get full(): boolean {
    return this.#length >= this.#limit;
  }

  text(): string {
    const text = this.#parts.join("");
    return headOf(text, this.#limit);
  }

  #raw(text: string): void {
    this.#parts.push(text);
    this.#length += text.length;
  }

  /** A string as a JSON string: redacted, and cut first to what can still be written. */
  #string(text: string): void {
    const room = this.#limit - this.#length;
    this.#raw(JSON.stringify(Number.isFinite(room) ? redactHead(text, room).text : redactText(text)));
  }

  /** Writes a value as `JSON.stringify` would, with the tracer's rules (undefined here: `null`). */
  value(value: unknown, depth: number): void {
    if (this.full) return;
    switch (typeof value) {
      case "string":
        return this.#string(value);
      case "number":
        return this.#raw(Number.isFinite(value) ? String(value) : "null");
      case "boolean":
        return this.#raw(value ? "true" : "false");
      case "bigint":
        return this.#raw(`"${value.toString()}"`);
      case "function":
        return this.#string(`[Function ${value.name || "anonymous"}]`);
      case "symbol":
        return this.#string(value.toString());
      case "undefined":
        return this.#raw("null");
      default:
        break;
    }
    if (value === null) return this.#raw("null");
    const object = value as object;
    if (depth >= MAX_DEPTH) return this.#string("[too deep]");
    if (Array.isArray(object)) return this.#array(object, depth);
    if (isPlainObject(object)) return this.#object(object as Record<string, unknown>, depth);
    if (object instanceof Date) {
      const time = object.getTime();
      return Number.isFinite(time) ? this.#string(new Date(time).toISOString()) : this.#raw("null");
    }
    if (object instanceof Error) {
      return this.#object({ name: String(object.name), message: String(object.message) }, depth);
    }
    if (object instanceof Map || object instanceof Set)
      return this.#string(`[${typeName(object)} size=${object.size}]`);
    // A class instance (an API client, a connection, a URL, a Buffer…) is named, never walked and
    // its toJSON never called: it can hold secrets.
    return this.#string(`[${typeName(object)}]`);
  }

  #enter(object: object): void {
    if (this.#ancestors.has(object)) throw new Unserializable("Converting circular structure to JSON");
    this.#ancestors.add(object);
  }

  #array(array: readonly unknown[], depth: number): void {
    this.#enter(array);
    this.#raw("[");
    for (let i = 0; i < array.length && !this.full; i++) {
      if (i > 0) this.#raw(",");
      this.value(array[i], depth + 1);
    }
    this.#raw("]");
    this.#ancestors.delete(array);
  }

  #object(object: Record<string, unknown>, depth: number): void {
    this.#enter(object);
    this.#raw("{");
    let first = true;
    for (const key of Object.keys(object)) {
      if (this.full) break;
      // Own data properties only: a getter is code, and is not run.
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      if (descriptor === undefined || !("value" in descriptor)) continue;
      const item = descriptor.value as unknown;
      if (item === undefined) continue; // as JSON: an undefined property is left out
      if (!first) this.#raw(",");
      first = false;
      this.#string(key);
      this.#raw(":");
      if (isSecretKey(key)) this.#string(REDACTED);
      else this.value(item, depth + 1);
    }
    this.#raw("}");
    this.#ancestors.delete(object);
  }
}

/**
 * {@link toJsonAttribute} that stops once `limit` characters are written and returns at most
 * `limit` characters: the work is bounded by the limit, whatever the size of the value (a
 * 2,000,000-number array costs what its first few hundred numbers cost).
 */
export function serializeBounded(value: unknown, limit: number): string {
  const writer = new BoundedJsonWriter(limit);
  try {
    writer.value(value, 0);
    return writer.text();
  } catch (error) {
    const reason = error instanceof Error ? String(error.message).split("\n")[0]! : String(error);
    return `[unserializable: ${redactHead(reason, 200).text}]`;
  }
}

/**
 * The default way the tracer turns a recorded value into an attribute string: JSON, with
 * bigints as strings, functions and class instances by name only (an OpenAI client holds its
 * API key; a `URL` its password; a `Buffer` its bytes) — their `toJSON` is not called, except a
 * `Date`'s, written as its ISO string — errors as `{name, message}`, and own data properties only
 * (getters are not run). Secrets are redacted by the rule every hamilton-ts adapter shares
 * (`isSecretKey` / `redactText` of `@hamilton-ts/lifecycle`): values of keys that look like
 * secrets (`apiKey`, `token`, `password`, `authorization`, `cookie`, …) become `"[REDACTED]"`, and
 * so do known key formats (`sk-…`, `Bearer …`), URL passwords and values after secret names
 * inside strings. A value JSON cannot represent (a cycle) becomes `"[unserializable: <reason>]"`.
 * Nesting deeper than 200 levels is written as `"[too deep]"`.
 */
export function toJsonAttribute(value: unknown): string {
  return serializeBounded(value, Number.POSITIVE_INFINITY);
}

/** Cuts a text to `max` characters, marking the cut with `…`. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${headOf(text, max)}…`;
}
