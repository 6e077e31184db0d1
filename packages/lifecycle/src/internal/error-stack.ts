import { dataProperty } from "./data-property.js";

/**
 * V8's own `stack` accessor. From Node 21 on (V8 11.x+), an error's `stack` is an own accessor
 * property installed when the error is made, not a data property; the getter is one native
 * function shared by every error (and by `Error.captureStackTrace` targets).
 */
const NATIVE_STACK_GETTER: ((this: object) => unknown) | undefined = Object.getOwnPropertyDescriptor(
  new Error(),
  "stack",
)?.get;

/** True when `key` is an accessor on `value` or its first prototypes (its getter is not run). */
function isAccessor(value: object, key: string): boolean {
  let current: object | null = value;
  for (let level = 0; current !== null && level < 8; level++) {
    const descriptor = Object.getOwnPropertyDescriptor(current, key);
    if (descriptor !== undefined) return !("value" in descriptor);
    current = Object.getPrototypeOf(current) as object | null;
  }
  return false;
}

/**
 * An error's stack trace as text, on every Node version, without running user code: a data
 * `stack` (Node 20) is read as it is; V8's native `stack` accessor (Node 22, 24) is called, since
 * it only formats the captured frames. Neither is read when the error's `name` or `message` is a
 * getter (the first formatting reads both). Any other getter is never run: undefined.
 */
export function errorStack(error: object): string | undefined {
  // V8 formats a stack when it is first read (on Node 20 too, behind what looks like a data
  // property), and the formatting reads `name` and `message`.
  if (isAccessor(error, "name") || isAccessor(error, "message")) return undefined;
  const own = Object.getOwnPropertyDescriptor(error, "stack");
  if (own !== undefined && !("value" in own)) {
    if (own.get === undefined || own.get !== NATIVE_STACK_GETTER) return undefined;
    try {
      const value = own.get.call(error);
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const value = own === undefined ? dataProperty(error, "stack") : own.value;
  return typeof value === "string" ? value : undefined;
}

/**
 * Replaces an error's stack with `text` as a plain own data property (writable, not enumerable,
 * as V8 makes it), whether the stack was data or V8's native accessor. Returns false (and
 * changes nothing) when the stack is another getter or the error is frozen.
 */
export function setErrorStack(error: object, text: string): boolean {
  const own = Object.getOwnPropertyDescriptor(error, "stack");
  if (own !== undefined && !("value" in own) && own.get !== NATIVE_STACK_GETTER) return false;
  if (own !== undefined && "value" in own && !own.writable && !own.configurable) return false;
  try {
    return Reflect.defineProperty(error, "stack", {
      value: text,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  } catch {
    return false;
  }
}
