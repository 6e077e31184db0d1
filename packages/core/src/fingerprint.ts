/**
 * Data versions for the cache: {@link fingerprint} turns a value into a SHA-256 over a canonical
 * encoding of it, the same in every process and run, or says it cannot.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { types } from "node:util";

/**
 * A value {@link fingerprint} refused: a class instance (an OpenAI client), a function, a symbol, a
 * proxy, an accessor property. `v8.serialize` would flatten such a value into a plain object and
 * a cache would then serve something the node never returned, so the refusal is explicit.
 */
export interface Unfingerprintable {
  /** Always `true`: tells this result from a fingerprint (a string). */
  readonly unfingerprintable: true;
  /** What was refused and where, e.g. `an instance of OpenAI at .client`. */
  readonly reason: string;
}

/**
 * The data version of a value: 64 hex digits of a SHA-256 over a canonical encoding, equal for
 * equal values in any process; or {@link Unfingerprintable}.
 *
 * - Primitives by value: `-0` differs from `0`, every `NaN` is the same; strings exactly (lone
 *   surrogates included); `undefined`, `null`, booleans, bigints.
 * - Arrays in order (a hole differs from `undefined`); plain objects (prototype `Object.prototype`
 *   or `null`) by their own enumerable string keys, in any order; `Map`s by entries and `Set`s by
 *   elements, in any order.
 * - `Date` by its time; typed arrays, `DataView`, `ArrayBuffer` and `Buffer` by their kind and
 *   bytes (hashed directly, as are arrays of numbers: a 1e6-number array costs about a hash over
 *   8 MB); `RegExp` by source and flags.
 * - A cycle is encoded as a reference to the enclosing value it points back to.
 * - Refused: class instances, functions, symbols, proxies, boxed primitives, accessor properties
 *   (a getter is never run), nesting too deep for the stack.
 */
export function fingerprint(value: unknown): string | Unfingerprintable {
  const encoder = new Encoder(new Visits());
  try {
    encoder.value(value, "");
  } catch (error) {
    if (error instanceof Refusal) return { unfingerprintable: true, reason: error.message };
    if (error instanceof RangeError) return { unfingerprintable: true, reason: "a value nested too deeply" };
    throw error;
  }
  return encoder.digest();
}

/** True when `result` is a fingerprint, not an {@link Unfingerprintable}. */
export function isFingerprint(result: string | Unfingerprintable): result is string {
  return typeof result === "string";
}

class Refusal extends Error {}

/**
 * Objects visited by one fingerprint. A value that shares parts is encoded once per place a part
 * appears (`[a, a]` with `a = [b, b]` …), which grows exponentially with the depth of the sharing:
 * past {@link MAX_REVISITS_PER_OBJECT} visits per distinct object (plus a floor) the value is
 * refused, so a hostile value costs a bounded time, while ordinary sharing (rows pointing at one
 * schema object) stays well within it.
 */
class Visits {
  readonly #seen = new Set<object>();
  #count = 0;

  visit(value: object, path: string): void {
    this.#seen.add(value);
    if (++this.#count > MIN_VISIT_BUDGET + MAX_REVISITS_PER_OBJECT * this.#seen.size) {
      throw new Refusal(
        `a value that shares its parts too much to fingerprint (over ${this.#count} visits of ${this.#seen.size} objects)${at(path)}`,
      );
    }
  }
}

/** Visits allowed per distinct object of a value, shared parts counted each time they appear. */
const MAX_REVISITS_PER_OBJECT = 16;
/** Visits always allowed, whatever the sharing. */
const MIN_VISIT_BUDGET = 100_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Arrays of at least this many numbers are hashed as float64 bytes. */
const NUMERIC_FAST_PATH = 16;
/** Text is flushed to the hash when it grows past this many characters. */
const FLUSH_AT = 1 << 16;

class Encoder {
  readonly #hash: Hash = createHash("sha256");
  readonly #visits: Visits;
  #text = "";
  /** The objects being encoded, outermost first: a cycle points back into this list. */
  readonly #stack: object[] = [];

  constructor(visits: Visits) {
    this.#visits = visits;
  }

  digest(): string {
    this.#flush();
    return this.#hash.digest("hex");
  }

  #flush(): void {
    if (this.#text.length > 0) {
      this.#hash.update(this.#text, "utf8");
      this.#text = "";
    }
  }

  #put(text: string): void {
    this.#text += text;
    if (this.#text.length > FLUSH_AT) this.#flush();
  }

  #bytes(view: ArrayBufferView | ArrayBuffer): void {
    this.#flush();
    this.#hash.update(
      view instanceof ArrayBuffer
        ? new Uint8Array(view)
        : new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
    );
  }

  /** A string, length-prefixed; one with lone surrogates is hashed as UTF-16 so none is lost. */
  #string(text: string): void {
    if (!LONE_SURROGATE.test(text)) {
      this.#put(`s${text.length}:`);
      if (text.length > FLUSH_AT) {
        this.#flush();
        this.#hash.update(text, "utf8");
      } else this.#put(text);
    } else {
      this.#put(`w${text.length}:`);
      this.#flush();
      this.#hash.update(Buffer.from(text, "utf16le"));
    }
  }

  value(value: unknown, path: string): void {
    switch (typeof value) {
      case "undefined":
        return this.#put("u");
      case "boolean":
        return this.#put(value ? "T" : "F");
      case "number":
        return this.#put(`n${numberText(value)};`);
      case "bigint":
        return this.#put(`i${value};`);
      case "string":
        return this.#string(value);
      case "symbol":
        throw new Refusal(`a symbol${at(path)}`);
      case "function":
        throw new Refusal(`a function${at(path)}`);
    }
    if (value === null) return this.#put("N");
    this.#object(value as object, path);
  }

  #object(value: object, path: string): void {
    const back = this.#stack.indexOf(value);
    if (back !== -1) return this.#put(`c${back};`);
    if (types.isProxy(value)) throw new Refusal(`a proxy${at(path)}`);
    this.#visits.visit(value, path);
    this.#stack.push(value);
    if (Array.isArray(value)) this.#array(value, path);
    else if (ArrayBuffer.isView(value)) {
      this.#put(`b${viewKind(value)}:${value.byteLength};`);
      this.#bytes(value);
    } else if (value instanceof ArrayBuffer && Object.getPrototypeOf(value) === ArrayBuffer.prototype) {
      this.#put(`B${value.byteLength};`);
      this.#bytes(value);
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) this.#plain(value as Record<string, unknown>, path);
      else if (proto === Map.prototype) this.#map(value as Map<unknown, unknown>, path);
      else if (proto === Set.prototype) this.#set(value as Set<unknown>, path);
      else if (proto === Date.prototype) this.#put(`D${numberText((value as Date).getTime())};`);
      else if (proto === RegExp.prototype) {
        this.#put("R");
        this.#string((value as RegExp).source);
        this.#string((value as RegExp).flags);
      } else throw new Refusal(`${describeInstance(value)}${at(path)}`);
    }
    this.#stack.pop();
  }

  #array(value: unknown[], path: string): void {
    const length = value.length;
    if (length >= NUMERIC_FAST_PATH && Object.getPrototypeOf(value) === Array.prototype) {
      const numbers = numericBytes(value);
      if (numbers !== undefined) {
        this.#put(`A${length};`);
        this.#bytes(numbers);
        return;
      }
    }
    if (Object.getPrototypeOf(value) !== Array.prototype) throw new Refusal(`${describeInstance(value)}${at(path)}`);
    this.#put(`a${length};`);
    for (let i = 0; i < length; i++) {
      const descriptor = Object.getOwnPropertyDescriptor(value, i);
      if (descriptor === undefined) this.#put("h");
      else if (descriptor.get !== undefined || descriptor.set !== undefined)
        throw new Refusal(`an accessor property${at(`${path}[${i}]`)}`);
      else this.value(descriptor.value, `${path}[${i}]`);
    }
  }

  #plain(value: Record<string, unknown>, path: string): void {
    const keys = Object.keys(value).sort();
    this.#put(`o${keys.length};`);
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      const where = `${path}.${key}`;
      if (descriptor === undefined) throw new Refusal(`a property that vanished${at(where)}`);
      if (descriptor.get !== undefined || descriptor.set !== undefined)
        throw new Refusal(`an accessor property${at(where)}`);
      this.#string(key);
      this.value(descriptor.value, where);
    }
  }

  /** Entries in any order: each entry is fingerprinted on its own and the sorted list is encoded. */
  #map(value: Map<unknown, unknown>, path: string): void {
    const entries: string[] = [];
    for (const [key, entry] of value) entries.push(this.#nested([key, entry], `${path}<entry>`));
    entries.sort();
    this.#put(`m${entries.length};${entries.join("")}`);
  }

  #set(value: Set<unknown>, path: string): void {
    const elements: string[] = [];
    for (const element of value) elements.push(this.#nested(element, `${path}<element>`));
    elements.sort();
    this.#put(`S${elements.length};${elements.join("")}`);
  }

  /** A fingerprint of a part, sharing this encoder's stack so cycles through it are still found. */
  #nested(value: unknown, path: string): string {
    const inner = new Encoder(this.#visits);
    inner.#stack.push(...this.#stack);
    inner.value(value, path);
    return inner.digest();
  }
}

function numberText(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

/** The array's numbers as float64 bytes; `undefined` if any element is not a number, a NaN or a hole. */
function numericBytes(value: unknown[]): Float64Array | undefined {
  const length = value.length;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const n = value[i];
    // A NaN's bits are not canonical, and a hole reads as undefined: both take the general path.
    if (typeof n !== "number" || Number.isNaN(n)) return undefined;
    out[i] = n;
  }
  return out;
}

function viewKind(view: ArrayBufferView): string {
  if (Buffer.isBuffer(view)) return "Buffer";
  return Object.prototype.toString.call(view).slice(8, -1);
}

function describeInstance(value: object): string {
  if (types.isBoxedPrimitive(value)) return "a boxed primitive";
  let name: unknown;
  try {
    const proto = Object.getPrototypeOf(value) as { constructor?: unknown } | null;
    const ctor = proto === null ? undefined : Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
    name = typeof ctor === "function" ? Object.getOwnPropertyDescriptor(ctor, "name")?.value : undefined;
  } catch {
    name = undefined;
  }
  return typeof name === "string" && name.length > 0 ? `an instance of ${name}` : "an instance of a class";
}

function at(path: string): string {
  return path === "" ? "" : ` at ${path}`;
}
