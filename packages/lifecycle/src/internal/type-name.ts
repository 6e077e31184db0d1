import { dataProperty } from "./data-property.js";

/**
 * The name of the class an object is an instance of: its prototype's `constructor.name`, read
 * from data properties only (no getter runs, an own `constructor` field of the object itself is
 * not looked at). `"Object"` for a plain object, `"Map"` for a map, `"TypeError"` for a type error.
 *
 * When there is no usable name — a null prototype, an anonymous class, a `constructor` or `name`
 * that is an accessor or not a non-empty string, a proxy whose traps throw — it returns
 * `fallback`. Callers differ there, hence the parameter: a serializer writes `[Object]`
 * (the default), the tracker's summaries say `"anonymous class"`, an adapter's name falls back to
 * its position (pass `""` and test for it).
 *
 * For a value that is not an object: `"null"` for null, else its `typeof` (`"string"`,
 * `"function"`, ...). Functions are described by `typeof`, not as instances of `Function`.
 */
export function typeName(value: unknown, fallback = "Object"): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  try {
    const proto = Object.getPrototypeOf(value) as object | null;
    const ctor = proto === null ? undefined : dataProperty(proto, "constructor");
    const name = typeof ctor === "function" ? dataProperty(ctor, "name") : undefined;
    return typeof name === "string" && name.length > 0 ? name : fallback;
  } catch {
    return fallback; // a proxy whose getPrototypeOf or getOwnPropertyDescriptor trap throws
  }
}
