/**
 * Data versions for the cache: {@link fingerprint} turns a value into a SHA-256 over a canonical
 * encoding of it, the same in every process and run, or says it cannot.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { inspect, types } from "node:util";
import "./codecs-builtin.js";
import { registrationOf } from "./codec-registry.js";

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
  /** For an instance of a class with no registration: the class's name (for `registerFingerprint`/`registerCodec`). */
  readonly className?: string | undefined;
}

/**
 * The data version of a value: 64 hex digits of a SHA-256 over a canonical encoding, equal for
 * equal values in any process; or {@link Unfingerprintable}.
 *
 * - Primitives by value: `-0` differs from `0`, every `NaN` is the same; strings exactly (lone
 *   surrogates included); `undefined`, `null`, booleans, bigints.
 * - Arrays by length, elements in order and holes (a hole differs from `undefined`, a sparse
 *   array from a dense one with the same values), and their extra own enumerable keys
 *   (`match.index`, `rows.total = 3`); a long array with more holes than elements costs about its
 *   present elements (`new Array(1e8)` is instant); numbers are hashed as float64 bytes in blocks
 *   of 4,096, streamed (a 1e6-number array costs about a hash over 8 MB, and nothing is allocated
 *   up front).
 * - Plain objects by their own enumerable string keys, in any order; a null-prototype object
 *   (`Object.create(null)`) the same way but never equal to an `Object.prototype` one with the
 *   same keys. `Map`s by entries and `Set`s by elements, in any order.
 * - `Date` by its time; typed arrays, `DataView`, `ArrayBuffer` and `Buffer` by their kind and
 *   bytes (hashed directly: NaN payloads included); `RegExp` by source and flags.
 * - Instances of registered classes (`registerFingerprint`, else `registerCodec`'s `encode`) by
 *   the class's name and the data it gives; built in: `URL` (its `href`) and `Error` with its
 *   native subclasses (name, message, `cause`, own enumerable properties; not the stack).
 * - A cycle is encoded as a reference to the enclosing value it points back to.
 * - Refused: instances of other classes (subclasses of typed arrays and of `Error` included: a
 *   structured clone would not keep them), functions, symbols, proxies, boxed primitives,
 *   accessor properties (a getter is never run), nesting too deep for the stack.
 */
export function fingerprint(value: unknown): string | Unfingerprintable {
  return fingerprintForStore(value).version;
}

/**
 * {@link fingerprint}, and where the value holds a null-prototype object, if it does: the cache
 * does not store such a value, as a structured clone (`v8.serialize`) gives it `Object.prototype`.
 */
export function fingerprintForStore(value: unknown): StoreFingerprint {
  const visits = new Visits();
  const encoder = new Encoder(visits);
  try {
    encoder.value(value, "");
  } catch (error) {
    const { nullPrototypeAt, codecs, uncoded } = visits;
    if (error instanceof Refusal)
      return {
        version: { unfingerprintable: true, reason: error.message, className: error.className },
        nullPrototypeAt,
        codecs,
        uncoded,
      };
    if (error instanceof RangeError)
      return {
        version: { unfingerprintable: true, reason: "a value nested too deeply" },
        nullPrototypeAt,
        codecs,
        uncoded,
      };
    throw error;
  }
  return {
    version: encoder.digest(),
    nullPrototypeAt: visits.nullPrototypeAt,
    codecs: visits.codecs,
    uncoded: visits.uncoded,
  };
}

/** What {@link fingerprintForStore} found. */
export interface StoreFingerprint {
  readonly version: string | Unfingerprintable;
  /** Where the first null-prototype object is, if any (a structured clone would give it `Object.prototype`). */
  readonly nullPrototypeAt: string | undefined;
  /** Whether the value holds instances of classes with a codec (then it is stored through `toStorable`). */
  readonly codecs: boolean;
  /** The first instance of a class with a fingerprint but no codec: the value keys its dependents but cannot be stored. */
  readonly uncoded: { readonly className: string; readonly path: string } | undefined;
}

/** True when `result` is a fingerprint, not an {@link Unfingerprintable}. */
export function isFingerprint(result: string | Unfingerprintable): result is string {
  return typeof result === "string";
}

class Refusal extends Error {
  readonly className: string | undefined;
  constructor(message: string, className?: string) {
    super(message);
    this.className = className;
  }
}

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
  /** Where the first null-prototype object was met, if any (a structured clone loses its prototype). */
  nullPrototypeAt: string | undefined = undefined;
  /** Whether an instance of a class with a codec was met. */
  codecs = false;
  /** The first instance of a class with a fingerprint but no codec. */
  uncoded: { readonly className: string; readonly path: string } | undefined = undefined;

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

/** An array's elements are encoded in blocks of this many indices. */
const BLOCK = 4096;
/** A block of at least this many present numbers (all of a block) is hashed as float64 bytes. */
const MIN_NUMERIC_BLOCK = 16;
/** The numbers of the block being read; one, reused: a block is hashed before anything nests. */
const SCRATCH = new Float64Array(BLOCK);
/** Arrays up to this length look for extra keys with `Object.keys`; longer ones without listing their indices. */
const SMALL_ARRAY = 1024;
/** A longer array with more holes than elements past this many holes is walked by its present indices. */
const SPARSE_AFTER = 1024;
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
    else if (ArrayBuffer.isView(value) && NATIVE_VIEWS.has(Object.getPrototypeOf(value))) {
      this.#put(`b${viewKind(value)}:${value.byteLength};`);
      this.#bytes(value);
    } else if (value instanceof ArrayBuffer && Object.getPrototypeOf(value) === ArrayBuffer.prototype) {
      this.#put(`B${value.byteLength};`);
      this.#bytes(value);
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype) this.#plain(value as Record<string, unknown>, "o", path);
      else if (proto === null) {
        this.#visits.nullPrototypeAt ??= path;
        this.#plain(value as Record<string, unknown>, "O", path);
      } else if (proto === Map.prototype) this.#map(value as Map<unknown, unknown>, path);
      else if (proto === Set.prototype) this.#set(value as Set<unknown>, path);
      else if (proto === Date.prototype) this.#put(`D${numberText((value as Date).getTime())};`);
      else if (proto === RegExp.prototype) {
        this.#put("R");
        this.#string((value as RegExp).source);
        this.#string((value as RegExp).flags);
      } else this.#registered(value, proto, path);
    }
    this.#stack.pop();
  }

  /**
   * An instance of a registered class: `K`, the class's name, then the data its fingerprint
   * function (else its codec's `encode`) returns. An instance of a class with neither is refused,
   * naming the class.
   */
  #registered(value: object, proto: object | null, path: string): void {
    const registration = proto === null ? undefined : registrationOf(proto);
    const via = registration?.fingerprint ?? registration?.codec?.encode;
    if (registration === undefined || via === undefined) {
      const described = describeInstance(value);
      const className = described.startsWith("an instance of ") ? described.slice(15) : undefined;
      throw new Refusal(`${described}${at(path)}`, className === "a class" ? undefined : className);
    }
    if (registration.codec !== undefined) this.#visits.codecs = true;
    else this.#visits.uncoded ??= { className: registration.name, path };
    let data: unknown;
    try {
      data = via(value as never);
    } catch (error) {
      throw new Refusal(
        `an instance of ${registration.name}${at(path)} whose ${registration.fingerprint !== undefined ? "fingerprint function" : "codec's encode"} threw (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    this.#put("K");
    this.#string(registration.name);
    this.value(data, `${path}<${registration.name}>`);
  }

  /**
   * `a<length>;`, then the elements in blocks of {@link BLOCK} indices: a whole block of present,
   * non-NaN numbers as `f<count>;` and its float64 bytes, anything else element by element, each
   * run of holes as `h<run>;`; then the extra (non-index) own enumerable keys, sorted, as
   * `x<count>;` and key/value pairs. The encoding depends only on the array's length, its present
   * indices, their values and its extra keys — not on how they were found: a long array with
   * more holes than elements is walked through its present indices only ({@link presentKeys}).
   */
  #array(value: unknown[], path: string): void {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw new Refusal(`${describeInstance(value)}${at(path)}`);
    const length = value.length;
    this.#put(`a${length};`);
    const walk = new ArrayWalk();
    let keys: string[] | undefined;
    let next = 0;
    let k = 0;
    while (next < length) {
      if (keys === undefined) {
        if (walk.absent > SPARSE_AFTER && walk.absent > walk.present) {
          keys = Object.keys(value);
          k = firstIndexFrom(keys, next, length);
          continue;
        }
        const end = Math.min(next + BLOCK, length);
        this.#block(value, next, end, walk, path);
        next = end;
        continue;
      }
      // Through the present indices: whole blocks as above, the others element by element.
      if (k >= keys.length || !isIndex(keys[k]!, length)) break;
      const index = Number(keys[k]);
      walk.holes += index - next;
      const end = Math.min(index + BLOCK, length);
      const last = k + (end - index) - 1;
      if (index % BLOCK === 0 && last < keys.length && keys[last] === String(end - 1)) {
        this.#block(value, index, end, walk, path);
        k = last + 1;
        next = end;
      } else {
        this.#element(value, index, walk, path);
        k++;
        next = index + 1;
      }
    }
    walk.holes += length - next;
    this.#flushHoles(walk);
    let extras: string[] | undefined;
    if (keys !== undefined) extras = keys.slice(k);
    else if (length <= SMALL_ARRAY) {
      // A short array's keys are cheap: more of them than elements means extra keys.
      const all = Object.keys(value);
      if (all.length > walk.present) extras = all;
    } else if (mayHaveExtraKeys(value)) extras = Object.keys(value);
    if (extras !== undefined) this.#extras(value, extras, length, path);
  }

  /** Indices `start` to `end` (at most one block), all read in order. */
  #block(value: unknown[], start: number, end: number, walk: ArrayWalk, path: string): void {
    const numbers = SCRATCH;
    let i = start;
    for (; i < end; i++) {
      const n = value[i];
      // A NaN's bits are not canonical, and a hole reads as undefined: both go element by element.
      if (typeof n !== "number" || Number.isNaN(n)) break;
      numbers[i - start] = n;
    }
    const count = i - start;
    if (count > 0) this.#flushHoles(walk);
    walk.present += count;
    if (i === end && count >= MIN_NUMERIC_BLOCK) {
      this.#put(`f${count};`);
      this.#bytes(numbers.subarray(0, count));
      return;
    }
    for (let j = 0; j < count; j++) this.#put(`n${numberText(numbers[j]!)};`);
    for (; i < end; i++) this.#element(value, i, walk, path);
  }

  /** One index: a hole (counted into the current run), or its value; an accessor is refused. */
  #element(value: unknown[], index: number, walk: ArrayWalk, path: string): void {
    const descriptor = Object.getOwnPropertyDescriptor(value, index);
    if (descriptor === undefined) {
      walk.holes++;
      walk.absent++;
      return;
    }
    if (descriptor.get !== undefined || descriptor.set !== undefined)
      throw new Refusal(`an accessor property${at(`${path}[${index}]`)}`);
    this.#flushHoles(walk);
    walk.present++;
    this.value(descriptor.value, `${path}[${index}]`);
  }

  #flushHoles(walk: ArrayWalk): void {
    if (walk.holes > 0) {
      this.#put(`h${walk.holes};`);
      walk.holes = 0;
    }
  }

  /** An array's own enumerable keys that are not indices (`match.index`, `rows.total`), sorted. */
  #extras(value: unknown[], keys: readonly string[], length: number, path: string): void {
    const extras = keys.filter((key) => !isIndex(key, length)).sort();
    if (extras.length === 0) return;
    this.#put(`x${extras.length};`);
    this.#properties(value, extras, path);
  }

  /** A plain object (tag `o`) or a null-prototype one (tag `O`): its own enumerable keys, sorted. */
  #plain(value: Record<string, unknown>, tag: "o" | "O", path: string): void {
    const keys = Object.keys(value).sort();
    this.#put(`${tag}${keys.length};`);
    this.#properties(value, keys, path);
  }

  /** Each key and its data property's value, in the order given; an accessor or a vanished key is refused. */
  #properties(value: object, keys: readonly string[], path: string): void {
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

/** The prototypes of the typed arrays, `DataView` and `Buffer`: a subclass of one is a class instance like any other. */
const NATIVE_VIEWS: ReadonlySet<unknown> = new Set<unknown>([
  Int8Array.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
  DataView.prototype,
  Buffer.prototype,
  (globalThis as { Float16Array?: { prototype: unknown } }).Float16Array?.prototype,
]);

function numberText(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
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

/** Counts of one array's walk: the current run of holes, and elements and holes seen so far. */
class ArrayWalk {
  holes = 0;
  present = 0;
  absent = 0;
}

/** True when `key` is an index of an array of `length` (a canonical integer below it). */
function isIndex(key: string, length: number): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  const n = Number(key);
  return n < length && String(n) === key;
}

/** The position in `keys` (indices ascending, then the rest) of the first index at or after `from`. */
function firstIndexFrom(keys: readonly string[], from: number, length: number): number {
  let k = 0;
  while (k < keys.length && isIndex(keys[k]!, length) && Number(keys[k]) < from) k++;
  return k;
}

const INSPECT_KEYS_ONLY = {
  depth: 0,
  maxArrayLength: 0,
  maxStringLength: 0,
  customInspect: false,
  getters: false,
  showHidden: false,
  showProxy: false,
  breakLength: Number.POSITIVE_INFINITY,
} as const;

/**
 * Whether a long array may have own enumerable keys besides its indices, without listing its
 * indices (`Object.keys` of a 1e7-element array makes 1e7 strings): `util.inspect` with no
 * elements shown lists only the other keys. A false "maybe" (a symbol key, a future format)
 * costs only the slow path, `Object.keys`.
 */
function mayHaveExtraKeys(value: unknown[]): boolean {
  // inspect would read an own `Symbol.toStringTag` (a getter would run): symbols take the slow path.
  if (Object.getOwnPropertySymbols(value).length > 0) return true;
  const n = value.length;
  return inspect(value, INSPECT_KEYS_ONLY) !== (n === 0 ? "[]" : `[ ... ${n} more item${n > 1 ? "s" : ""} ]`);
}
