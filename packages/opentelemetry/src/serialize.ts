import { isSecretKey, REDACTED, redactText } from "@hamilton-ts/lifecycle";

/** A class instance's constructor name (`"Object"` when it has none). */
export function className(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name.length > 0 ? ctor.name : "Object";
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function replacer(key: string, value: unknown): unknown {
  if (key !== "" && isSecretKey(key)) return REDACTED;
  switch (typeof value) {
    case "string":
      return redactText(value);
    case "bigint":
      return value.toString();
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
    case "symbol":
      return value.toString();
    case "object":
      if (value === null || Array.isArray(value) || isPlainObject(value)) return value;
      if (value instanceof Error) return { name: value.name, message: value.message };
      if (value instanceof Map || value instanceof Set) return `[${className(value)} size=${value.size}]`;
      // A class instance (an API client, a connection…) is named, never walked: it can hold secrets.
      return `[${className(value)}]`;
    default:
      return value;
  }
}

/**
 * The default way the tracer turns a recorded value into an attribute string: JSON, with
 * bigints as strings, functions and class instances by name only (an OpenAI client holds its
 * API key), errors as `{name, message}`. Secrets are redacted by the rule every hamilton-ts
 * adapter shares (`isSecretKey` / `redactText` of `@hamilton-ts/lifecycle`): values of keys that
 * look like secrets (`apiKey`, `token`, `password`, `authorization`, `cookie`, …) become
 * `"[REDACTED]"`, and so do known key formats (`sk-…`, `Bearer …`) inside strings. A value JSON
 * cannot represent (a cycle) becomes `"[unserializable: <reason>]"`.
 */
export function toJsonAttribute(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? "null";
  } catch (error) {
    return `[unserializable: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}]`;
  }
}

/** Cuts a text to `max` characters, marking the cut with `…`. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
