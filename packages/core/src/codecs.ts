/**
 * Your own types in the cache: {@link registerFingerprint} (how an instance of a class is
 * fingerprinted) and {@link registerCodec} (how it is stored and read back), process-wide, with
 * the built-in ones (`URL`, `Error` and its native subclasses); and the two walks that carry
 * registered instances through a stored entry (`toStorable` before `v8.serialize`, `fromStored`
 * after `v8.deserialize`).
 *
 * @module
 */
import { type Codec, define, registrationNamed, registrationOf } from "./codec-registry.js";
import { HamiltonError } from "./errors.js";

export type { Codec } from "./codec-registry.js";

/** Options of {@link registerFingerprint} and {@link registerCodec}. */
export interface RegisterOptions {
  /**
   * The name the class is known by in fingerprints and stored entries; default the class's own
   * `name`. Two different classes need different names (an error says when they clash), and the
   * name must be the same in every process that shares a store.
   */
  readonly name?: string;
}

/** A class: anything `new` makes instances of (abstract ones too). */
// biome-ignore lint/suspicious/noExplicitAny: a class with any constructor parameters.
export type AnyClass<T> = abstract new (...args: any[]) => T;

/**
 * Says how to fingerprint instances of `Class` (exactly that class: a subclass needs its own): the
 * data `fingerprint(value)` returns is fingerprinted in its place, tagged with the class's name,
 * so a value holding instances can key its dependents. Without a {@link registerCodec} too, such a
 * value keys its dependents but is not itself stored. Process-wide; calling it again for the same
 * class replaces the function.
 *
 * @example
 * class Chunk { constructor(readonly text: string, readonly index: number) {} }
 * registerFingerprint(Chunk, (c) => [c.text, c.index]);
 */
export function registerFingerprint<T>(
  Class: AnyClass<T>,
  fingerprint: (value: T) => unknown,
  options?: RegisterOptions,
): void {
  const where = "registerFingerprint(Class, fingerprint)";
  if (typeof fingerprint !== "function")
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: fingerprint must be a function from an instance to data, e.g. registerFingerprint(${nameOf(Class)}, (v) => [v.id]), got ${typeof fingerprint}.`,
    );
  register(Class, options, where).fingerprint = fingerprint as (value: never) => unknown;
}

/**
 * Says how to store instances of `Class` (exactly that class: a subclass needs its own):
 * `encode(value)` becomes the stored data, `decode(data)` the instance a cache hit returns. The
 * encoded data also fingerprints the instance unless {@link registerFingerprint} says otherwise.
 * A codec that throws costs only the cache write (a warning names the class), never the node.
 * Process-wide; calling it again for the same class replaces the codec. Every process that reads
 * a shared store needs the same registrations (an entry whose class it does not know is a miss).
 *
 * @example
 * registerCodec(Chunk, { encode: (c) => [c.text, c.index], decode: ([text, index]) => new Chunk(text, index) });
 */
export function registerCodec<T, D>(Class: AnyClass<T>, codec: Codec<T, D>, options?: RegisterOptions): void {
  const where = "registerCodec(Class, { encode, decode })";
  if (
    codec === null ||
    typeof codec !== "object" ||
    typeof codec.encode !== "function" ||
    typeof codec.decode !== "function"
  )
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: the codec must be an object with encode and decode functions, e.g. ${codecCall(nameOf(Class))}.`,
    );
  register(Class, options, where).codec = { encode: codec.encode, decode: codec.decode } as Codec<never, unknown>;
}

function register(Class: unknown, options: RegisterOptions | undefined, where: string) {
  if (typeof Class !== "function" || typeof Class.prototype !== "object" || Class.prototype === null)
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: Class must be a class (its constructor), got ${Class === null ? "null" : typeof Class}.`,
    );
  const name = options?.name ?? nameOf(Class);
  if (typeof name !== "string" || name.length === 0)
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: the class has no name; pass one as the last argument, e.g. { name: "Chunk" }.`,
    );
  const prototype = Class.prototype as object;
  const known = registrationOf(prototype);
  if (known !== undefined) {
    if (known.name !== name)
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: this class is registered as "${known.name}" already; register it under one name (pass { name: "${known.name}" } or leave name out).`,
      );
    return known;
  }
  if (registrationNamed(name) !== undefined)
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: another class is registered as "${name}" already. Two classes need two names: pass { name: "<a unique name>" } as the last argument.`,
    );
  return define(prototype, name);
}

/** How a refusal message shows the two registrations for a class of this name. */
export function registrationHint(className: string): string {
  return (
    `registerFingerprint(${className}, (v) => …) lets what depends on it be cached, and ` +
    `${codecCall(className)} lets it be stored too (both from @hamilton-ts/core)`
  );
}

function codecCall(className: string): string {
  return `registerCodec(${className}, { encode: (v) => …, decode: (d) => … })`;
}

function nameOf(Class: unknown): string {
  if (typeof Class !== "function") return "MyClass";
  const name = Object.getOwnPropertyDescriptor(Class, "name")?.value;
  return typeof name === "string" && name.length > 0 ? name : "MyClass";
}

/** A codec that threw: what class, and the error (the cache write, or the hit, is given up). */
export class CodecFailure extends Error {
  readonly className: string;
  constructor(className: string, step: "encode" | "decode" | "unknown", cause: unknown) {
    super(
      step === "unknown"
        ? `the stored entry holds an instance of "${className}", which has no codec in this process (call registerCodec for it before the run)`
        : `the codec of ${className} threw in ${step}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.className = className;
  }
}

/** The key that marks a stored box; an object of the value's own with this key is escaped. */
const MARK = "\u0000hamilton-ts codec";

/**
 * A copy of `value` that `v8.serialize` keeps whole: every registered instance becomes a box
 * holding its class's name and its encoded data; plain objects, arrays (holes and extra keys
 * kept), `Map`s and `Set`s are copied; shared parts and cycles stay shared. Throws
 * {@link CodecFailure} when a codec throws.
 */
export function toStorable(value: unknown): unknown {
  return new Boxing().copy(value);
}

class Boxing {
  readonly #copies = new Map<object, unknown>();

  copy(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const known = this.#copies.get(value);
    if (known !== undefined) return known;
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      this.#copies.set(value, out);
      for (const key of Object.keys(value))
        (out as unknown as Record<string, unknown>)[key] = this.copy(
          (value as unknown as Record<string, unknown>)[key],
        );
      return out;
    }
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
      const source = value as Record<string, unknown>;
      if (Object.hasOwn(source, MARK)) {
        const escaped = { [MARK]: "escape", value: out };
        this.#copies.set(value, escaped);
        for (const key of Object.keys(source)) out[key] = this.copy(source[key]);
        return escaped;
      }
      this.#copies.set(value, out);
      for (const key of Object.keys(source)) out[key] = this.copy(source[key]);
      return out;
    }
    if (proto === Map.prototype) {
      const out = new Map<unknown, unknown>();
      this.#copies.set(value, out);
      for (const [k, v] of value as Map<unknown, unknown>) out.set(this.copy(k), this.copy(v));
      return out;
    }
    if (proto === Set.prototype) {
      const out = new Set<unknown>();
      this.#copies.set(value, out);
      for (const v of value as Set<unknown>) out.add(this.copy(v));
      return out;
    }
    const registration = proto === null ? undefined : registrationOf(proto);
    if (registration?.codec === undefined) return value; // Date, RegExp, typed arrays: v8 keeps them.
    const box: Record<string, unknown> = { [MARK]: "codec", name: registration.name, data: undefined };
    this.#copies.set(value, box);
    let data: unknown;
    try {
      data = registration.codec.encode(value as never);
    } catch (error) {
      throw new CodecFailure(registration.name, "encode", error);
    }
    box.data = this.copy(data);
    return box;
  }
}

/**
 * The value back from a deserialized copy made by {@link toStorable}, in place: boxes become
 * their class's instances (`decode`), escaped objects themselves. Throws {@link CodecFailure} when
 * a codec throws or a box names a class with no codec in this process.
 */
export function fromStored(value: unknown): unknown {
  return new Unboxing().revive(value);
}

class Unboxing {
  readonly #seen = new Map<object, unknown>();
  readonly #decoding = new Set<object>();

  revive(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const known = this.#seen.get(value);
    if (known !== undefined) return known;
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      this.#seen.set(value, value);
      const items = value as unknown as Record<string, unknown>;
      for (const key of Object.keys(value)) items[key] = this.revive(items[key]);
      return value;
    }
    if (proto === Object.prototype || proto === null) {
      const record = value as Record<string, unknown>;
      const mark = Object.hasOwn(record, MARK) ? record[MARK] : undefined;
      if (mark === "codec") return this.#decode(record);
      const target = mark === "escape" ? (record.value as Record<string, unknown>) : record;
      this.#seen.set(value, target);
      if (target !== record) this.#seen.set(target, target);
      for (const key of Object.keys(target)) target[key] = this.revive(target[key]);
      return target;
    }
    if (proto === Map.prototype) {
      this.#seen.set(value, value);
      const map = value as Map<unknown, unknown>;
      const entries = [...map];
      map.clear();
      for (const [k, v] of entries) map.set(this.revive(k), this.revive(v));
      return map;
    }
    if (proto === Set.prototype) {
      this.#seen.set(value, value);
      const set = value as Set<unknown>;
      const elements = [...set];
      set.clear();
      for (const v of elements) set.add(this.revive(v));
      return set;
    }
    return value;
  }

  #decode(box: Record<string, unknown>): unknown {
    const name = String(box.name);
    const registration = registrationNamed(name);
    if (registration?.codec === undefined) throw new CodecFailure(name, "unknown", undefined);
    if (this.#decoding.has(box))
      throw new CodecFailure(name, "decode", new Error("its encoded data refers back to the instance"));
    this.#decoding.add(box);
    const data = this.revive(box.data);
    let out: unknown;
    try {
      out = registration.codec.decode(data as never);
    } catch (error) {
      throw new CodecFailure(name, "decode", error);
    }
    this.#decoding.delete(box);
    this.#seen.set(box, out);
    return out;
  }
}
