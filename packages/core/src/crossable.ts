/**
 * Whether a value can cross processes unchanged by structured clone: plain data only (objects,
 * arrays, primitives but symbols, `Date`, `RegExp`, `Map`, `Set`, typed arrays, `ArrayBuffer`,
 * errors). A function, a symbol or a class instance (an API client, a socket) cannot:
 * `v8.serialize` refuses the first and silently flattens the last into a plain object.
 *
 * @module
 */

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

/**
 * What in `value` cannot cross processes unchanged by structured clone, with its path (`"an
 * instance of Point at .a[1].p"`); undefined when everything can. For task executors that send
 * values to other processes: check first, because `v8.serialize` silently flattens class instances.
 */
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

/** Whether `value` (and everything in it) survives a structured clone unchanged. */
export function canCross(value: unknown): boolean {
  return findUncloneable(value) === undefined;
}
