/**
 * The process-wide registry of your own classes for the cache (what `registerFingerprint` and
 * `registerCodec` record), by prototype and by name. Kept apart from their checks so that the
 * fingerprint needs nothing else.
 *
 * @module
 */

/** How instances of a class are stored: `decode(encode(value))` is what a cache hit returns. */
export interface Codec<T, D = unknown> {
  /** The instance as data the cache can store: plain objects, arrays, primitives, `Date`, `Map`, `Set`, typed arrays, or other registered instances. */
  encode(value: T): D;
  /** The instance back from its data. */
  decode(data: D): T;
}

/** What is known about one class. */
export interface Registration {
  readonly name: string;
  readonly prototype: object;
  fingerprint: ((value: never) => unknown) | undefined;
  codec: Codec<never, unknown> | undefined;
}

const byPrototype = new Map<object, Registration>();
const byName = new Map<string, Registration>();

/** The registration of instances whose prototype is `prototype`, if any. */
export function registrationOf(prototype: object): Registration | undefined {
  return byPrototype.get(prototype);
}

/** The registration of the class known as `name`, if any. */
export function registrationNamed(name: string): Registration | undefined {
  return byName.get(name);
}

/** The registration of a class (its prototype) under `name`, made on first use; the caller checked the name is free. */
export function define(prototype: object, name: string): Registration {
  let registration = byPrototype.get(prototype);
  if (registration === undefined) {
    registration = { name, prototype, fingerprint: undefined, codec: undefined };
    byPrototype.set(prototype, registration);
    byName.set(name, registration);
  }
  return registration;
}
