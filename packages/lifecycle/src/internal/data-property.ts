/** How far up the prototype chain {@link dataProperty} looks. */
const MAX_LEVELS = 8;

/**
 * The value of a data property found on `value` or its first prototypes (at most 8 levels),
 * never running a getter: an accessor reads as undefined. Throws only what a proxy's
 * `getOwnPropertyDescriptor` or `getPrototypeOf` trap throws.
 */
export function dataProperty(value: object, key: PropertyKey): unknown {
  let current: object | null = value;
  for (let level = 0; current !== null && level < MAX_LEVELS; level++) {
    const descriptor = Object.getOwnPropertyDescriptor(current, key);
    if (descriptor !== undefined) return "value" in descriptor ? descriptor.value : undefined;
    current = Object.getPrototypeOf(current) as object | null;
  }
  return undefined;
}
