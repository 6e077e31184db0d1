// No stale hits: pairs of values that must fingerprint differently (a collision would serve one's
// cached result for the other), and pairs that must fingerprint the same. Every pair is a test.
import { describe, expect, it } from "vitest";
import { registerFingerprint } from "./codecs.js";
import { fingerprint } from "./fingerprint.js";

class Celsius {
  constructor(readonly value: number) {}
}
class Fahrenheit {
  constructor(readonly value: number) {}
}
registerFingerprint(Celsius, (t) => ({ value: t.value }));
registerFingerprint(Fahrenheit, (t) => ({ value: t.value }));

/** A value with `leaf` `depth` levels down, alternating object, array, Map and Set. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let d = 0; d < depth; d++) {
    switch (d % 4) {
      case 0:
        value = { level: d, inner: value, sibling: "same" };
        break;
      case 1:
        value = [d, value, "same"];
        break;
      case 2:
        value = new Map<unknown, unknown>([
          ["level", d],
          ["inner", value],
        ]);
        break;
      default:
        value = new Set([d, value]);
    }
  }
  return value;
}

/** A Float64Array holding one NaN with the given bit pattern (high and low 32 bits). */
function nanWithBits(high: number, low: number): Float64Array {
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setUint32(0, high, true);
  bytes.setUint32(4, low, true);
  return new Float64Array(bytes.buffer);
}

/** An array of `length` with only the given indices present (the others are holes). */
function sparse(length: number, present: Record<number, unknown>): unknown[] {
  const out: unknown[] = new Array(length);
  for (const [index, value] of Object.entries(present)) out[Number(index)] = value;
  return out;
}

function print(f: string | object): string {
  return typeof f === "string" ? f : JSON.stringify(f);
}

function expectDifferent(a: unknown, b: unknown): void {
  const fa = fingerprint(a);
  const fb = fingerprint(b);
  expect(typeof fa, print(fa)).toBe("string");
  expect(typeof fb, print(fb)).toBe("string");
  expect(fa).not.toBe(fb);
}

function expectSame(a: unknown, b: unknown): void {
  const fa = fingerprint(a);
  expect(typeof fa, print(fa)).toBe("string");
  expect(fingerprint(b)).toBe(fa);
}

describe("values that must fingerprint differently", () => {
  describe("a difference nested at depth 1..50", () => {
    for (let depth = 1; depth <= 50; depth++) {
      it(`at depth ${depth}`, () => expectDifferent(nested(depth, 1), nested(depth, 2)));
    }
  });

  const pairs: [string, () => unknown, () => unknown][] = [
    ["-0 and 0", () => -0, () => 0],
    ["-0 and 0 in an array", () => [1, -0], () => [1, 0]],
    [
      "-0 and 0 in a long array of numbers (hashed as float64 bytes)",
      () => [...Array(20).fill(1), -0],
      () => [...Array(20).fill(1), 0],
    ],
    [
      "NaN with another payload and the canonical NaN (Float64Array views)",
      () => nanWithBits(0x00000001, 0x7ff80000),
      () => nanWithBits(0x00000000, 0x7ff80000),
    ],
    [
      "a signalling NaN and a quiet NaN (Float64Array views)",
      () => nanWithBits(0x00000001, 0x7ff00000),
      () => nanWithBits(0x00000000, 0x7ff80000),
    ],
    ["NaN and undefined", () => Number.NaN, () => undefined],
    ["NaN and the string NaN", () => Number.NaN, () => "NaN"],
    ["a sparse and a dense array ([, 1] and [undefined, 1])", () => sparse(2, { 1: 1 }), () => [undefined, 1]],
    ["a hole at the end and none", () => sparse(2, { 0: 1 }), () => [1]],
    ["two holes and one", () => sparse(3, { 2: 1 }), () => sparse(2, { 1: 1 })],
    [
      "a long sparse and a long dense array",
      () => {
        const a: unknown[] = new Array(5000);
        a[4999] = 1;
        return a;
      },
      () => {
        const a: unknown[] = new Array(5000).fill(undefined);
        a[4999] = 1;
        return a;
      },
    ],
    ["a Map and an object with the same entries", () => new Map([["a", 1]]), () => ({ a: 1 })],
    ["a Map and an array of its entries", () => new Map([["a", 1]]), () => [["a", 1]]],
    ["an object and an array of its entries", () => ({ a: 1 }), () => [["a", 1]]],
    [
      "an object and a null-prototype object with the same keys",
      () => ({ a: 1 }),
      () => Object.assign(Object.create(null), { a: 1 }),
    ],
    ["a Set and an array with the same elements", () => new Set([1, 2]), () => [1, 2]],
    ["a Set and a Map", () => new Set([["a", 1]]), () => new Map([["a", 1]])],
    ["a Date and its number", () => new Date(5), () => 5],
    ["a Date and its ISO string", () => new Date(5), () => new Date(5).toISOString()],
    ["a number and its string", () => 1, () => "1"],
    ["a bigint and a number", () => 1n, () => 1],
    ["null and undefined", () => null, () => undefined],
    ["true and 1", () => true, () => 1],
    ["a RegExp and its source", () => /a/g, () => "a"],
    ["RegExps with other flags", () => /a/g, () => /a/i],
    ["strings split at another place", () => ["ab", "c"], () => ["a", "bc"]],
    ["a string holding a separator and two strings", () => ["a;b"], () => ["a", "b"]],
    ["a string that looks like an encoded number and the number", () => ["n1;"], () => [1]],
    ["a string that looks like an encoded string", () => ["s1:a"], () => [["a"]]],
    ["a string that looks like undefined", () => "u", () => undefined],
    ["keys that look like separators", () => ({ "a;s1:b": 1 }), () => ({ a: { b: 1 } })],
    ["a NUL in a key and nested keys", () => ({ "a\0b": 1 }), () => ({ a: { b: 1 } })],
    ["a key with a dot and nested keys", () => ({ "a.b": 1 }), () => ({ a: { b: 1 } })],
    ["a lone surrogate and the replacement character", () => "\uD800", () => "\uFFFD"],
    ["two lone surrogates and a pair", () => ["\uD83D", "\uDE00"], () => ["\uD83D\uDE00"]],
    ["Int8Array and Uint8Array with the same bytes", () => new Int8Array([1, 2]), () => new Uint8Array([1, 2])],
    [
      "Uint8Array and Uint8ClampedArray with the same bytes",
      () => new Uint8Array([1, 2]),
      () => new Uint8ClampedArray([1, 2]),
    ],
    ["Int32Array and Uint32Array with the same bytes", () => new Int32Array([7]), () => new Uint32Array([7])],
    [
      "Float32Array and Int32Array with the same bytes",
      () => new Float32Array([1]),
      () => new Int32Array(new Float32Array([1]).buffer),
    ],
    [
      "Float64Array and BigInt64Array with the same bytes",
      () => new Float64Array([1]),
      () => new BigInt64Array(new Float64Array([1]).buffer),
    ],
    ["Int16Array and Uint16Array with the same bytes", () => new Int16Array([3]), () => new Uint16Array([3])],
    ["a Buffer and a Uint8Array with the same bytes", () => Buffer.from([1, 2]), () => new Uint8Array([1, 2])],
    [
      "a DataView and a Uint8Array with the same bytes",
      () => new DataView(new Uint8Array([1, 2]).buffer),
      () => new Uint8Array([1, 2]),
    ],
    [
      "an ArrayBuffer and a Uint8Array with the same bytes",
      () => new Uint8Array([1, 2]).buffer,
      () => new Uint8Array([1, 2]),
    ],
    ["a typed array and an array of its numbers", () => new Uint8Array([1, 2]), () => [1, 2]],
    [
      "views of other parts of one buffer",
      () => new Uint8Array([1, 2, 3]).subarray(0, 2),
      () => new Uint8Array([1, 2, 3]).subarray(1, 3),
    ],
    ["instances of two registered classes with the same fields", () => new Celsius(20), () => new Fahrenheit(20)],
    ["a registered instance and its fingerprint data", () => new Celsius(20), () => ({ value: 20 })],
    ["two instances with other fields", () => new Celsius(20), () => new Celsius(21)],
    ["an Error and a TypeError with one message", () => new Error("x"), () => new TypeError("x")],
    ["URLs", () => new URL("https://a.example/x"), () => new URL("https://a.example/y")],
    ["an array with an extra key and without", () => Object.assign([1], { total: 1 }), () => [1]],
    [
      "a cycle and a one-level copy",
      () => {
        const a: unknown[] = [];
        a.push(a);
        return a;
      },
      () => [[]],
    ],
    ["an empty object and an empty array", () => ({}), () => []],
    ["an empty Map and an empty Set", () => new Map(), () => new Set()],
    ["a Set holding two equal objects and one", () => new Set([{ a: 1 }, { a: 1 }]), () => new Set([{ a: 1 }])],
    ["Map entries whose keys and values swap", () => new Map([["a", "b"]]), () => new Map([["b", "a"]])],
  ];
  for (const [name, a, b] of pairs) it(name, () => expectDifferent(a(), b()));
});

describe("values that must fingerprint the same", () => {
  // Hamilton hashes dicts order-insensitively; objects do the same here. Maps and Sets too: they
  // are used as lookup tables far more than as sequences, and a cache that missed on a Map built
  // in another order would miss for no reason. A node whose result depends on the order of a Map
  // or Set it receives should receive an array instead.
  const pairs: [string, () => unknown, () => unknown][] = [
    ["object key order", () => ({ a: 1, b: { c: 2, d: 3 } }), () => ({ b: { d: 3, c: 2 }, a: 1 })],
    [
      "Map insertion order",
      () =>
        new Map([
          ["a", 1],
          ["b", 2],
        ]),
      () =>
        new Map([
          ["b", 2],
          ["a", 1],
        ]),
    ],
    ["Set insertion order", () => new Set([1, "x", { k: 1 }]), () => new Set([{ k: 1 }, "x", 1])],
    ["a Map key -0 and 0 (a Map keeps -0 as 0)", () => new Map([[-0, "a"]]), () => new Map([[0, "a"]])],
    ["every NaN (numbers have no observable payload)", () => Number.NaN, () => 0 / 0],
    ["a copy of a registered instance", () => new Celsius(20), () => new Celsius(20)],
    ["an Error made elsewhere (the stack is left out)", () => new Error("x"), () => [new Error("x")][0]],
    [
      "a shared part and two copies of it",
      () => {
        const p = { a: 1 };
        return [p, p];
      },
      () => [{ a: 1 }, { a: 1 }],
    ],
  ];
  for (const [name, a, b] of pairs) it(name, () => expectSame(a(), b()));
});

describe("values that must be refused rather than confused", () => {
  class Bytes extends Uint8Array {}
  const refused: [string, () => unknown][] = [
    ["a subclass of a typed array (a structured clone would make it a plain Uint8Array)", () => new Bytes([1, 2])],
    ["a subclass of Error of your own", () => new (class MyError extends Error {})("x")],
    [
      "an instance of an unregistered class",
      () =>
        new (class Point {
          x = 1;
        })(),
    ],
  ];
  for (const [name, make] of refused)
    it(name, () => expect(fingerprint(make())).toMatchObject({ unfingerprintable: true }));
});
