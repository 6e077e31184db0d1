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

/** Whether `value` (and everything in it) survives a structured clone unchanged. */
export function canCross(value: unknown, seen = new Set<object>()): boolean {
  const type = typeof value;
  if (type === "function" || type === "symbol") return false;
  if (value === null || type !== "object") return true;
  const object = value as object;
  if (seen.has(object)) return true;
  seen.add(object);
  const proto = Object.getPrototypeOf(object) as unknown;
  const typed = ArrayBuffer.isView(object) && Object.getPrototypeOf(proto) === TYPED_ARRAY;
  if (!typed && !PLAIN_PROTOS.has(proto)) return false;
  if (object instanceof Map) {
    for (const [k, v] of object) if (!canCross(k, seen) || !canCross(v, seen)) return false;
    return true;
  }
  if (object instanceof Set) {
    for (const v of object) if (!canCross(v, seen)) return false;
    return true;
  }
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer || object instanceof Date || object instanceof RegExp)
    return true;
  for (const key of Object.keys(object)) {
    if (!canCross((object as Record<string, unknown>)[key], seen)) return false;
  }
  return true;
}
