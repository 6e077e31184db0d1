/**
 * How values cross processes: structured clone (`node:v8` serialize), checked first, because
 * `v8.serialize` silently turns a class instance into a plain object and a function fails with a
 * message that names no node.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { BullMQError } from "./errors.js";

const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const PLAIN_PROTOS = new Set<unknown>([
  Object.prototype,
  null,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Error.prototype,
  TypeError.prototype,
  RangeError.prototype,
  SyntaxError.prototype,
  ReferenceError.prototype,
  EvalError.prototype,
  URIError.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
]);

/** What in `value` cannot cross processes unchanged, with its path; undefined when all can. */
export function findUncloneable(value: unknown, path = "", seen = new Set<object>()): string | undefined {
  const type = typeof value;
  if (type === "function") return `a function at ${path || "the top"}`;
  if (type === "symbol") return `a symbol at ${path || "the top"}`;
  if (value === null || type !== "object") return undefined;
  const object = value as object;
  if (seen.has(object)) return undefined;
  seen.add(object);
  const proto = Object.getPrototypeOf(object) as unknown;
  const typed = ArrayBuffer.isView(object) && Object.getPrototypeOf(proto) === TYPED_ARRAY;
  if (!typed && !PLAIN_PROTOS.has(proto)) {
    const name = (proto as { constructor?: { name?: unknown } } | undefined)?.constructor?.name;
    return `an instance of ${typeof name === "string" && name !== "" ? name : "a class"} at ${path || "the top"}`;
  }
  if (object instanceof Map) {
    let i = 0;
    for (const [k, v] of object) {
      const found =
        findUncloneable(k, `${path}<map key ${i}>`, seen) ?? findUncloneable(v, `${path}<map value ${i}>`, seen);
      if (found !== undefined) return found;
      i++;
    }
    return undefined;
  }
  if (object instanceof Set) {
    let i = 0;
    for (const v of object) {
      const found = findUncloneable(v, `${path}<set item ${i++}>`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer || object instanceof Date || object instanceof RegExp)
    return undefined;
  for (const key of Object.keys(object)) {
    const found = findUncloneable(
      (object as Record<string, unknown>)[key],
      `${path}${Array.isArray(object) ? `[${key}]` : `.${key}`}`,
      seen,
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where a value goes, for the message of a value that cannot go. */
export type Direction = "to a worker" | "back to the coordinator";

/**
 * The value as base64 of its structured clone, or a `BullMQError` (`UNSERIALIZABLE`) naming whose
 * value it is (`node "page" (task url[3])`, `config value "client"`) and what to do.
 */
export function encode(value: unknown, subject: string, direction: Direction, fix: string): string {
  const found = findUncloneable(value);
  let failure: unknown;
  if (found === undefined) {
    try {
      return serialize(value).toString("base64");
    } catch (error) {
      failure = error;
    }
  }
  throw new BullMQError(
    "UNSERIALIZABLE",
    `The value of ${subject} cannot be sent ${direction}: it holds ${
      found ?? `something structured clone refuses (${failure instanceof Error ? failure.message : String(failure)})`
    }. Values cross processes by structured clone: plain objects, arrays, strings, numbers, BigInt, Date, Map, Set, ` +
      `typed arrays and errors survive; functions, class instances, promises and sockets do not. ${fix}`,
    failure === undefined ? {} : { cause: failure },
  );
}

/** What to do about a node's value that cannot cross. */
export function nodeFix(node: string): string {
  return (
    `Make "${node}" return plain data, or, for a client or connection, make it a node that reads only config ` +
    `(each worker then builds it itself).`
  );
}

/** What to do about a config value that cannot cross. */
export function configFix(key: string): string {
  return (
    `The coordinator's config travels with each task: keep "${key}" out of withConfig and build it in a node that ` +
    `reads only plain config (each worker then builds it itself).`
  );
}

/** The value from {@link encode}'s text. */
export function decode(text: string): unknown {
  return deserialize(Buffer.from(text, "base64"));
}
