import { describe, expect, it } from "vitest";
import { BullMQError } from "./errors.js";
import { findUncloneable } from "@hamilton-ts/core";
import { decode, encode } from "./wire.js";

class Point {
  constructor(readonly x: number) {}
}

describe("values across processes", () => {
  it("round-trips what structured clone keeps: Date, Map, Set, typed arrays, BigInt, nested objects, errors", () => {
    const value = {
      when: new Date(5),
      map: new Map<unknown, unknown>([[1, { deep: [1n, "x"] }]]),
      set: new Set(["a"]),
      bytes: new Uint8Array([1, 2]),
      floats: new Float32Array([0.5]),
      big: 2n ** 70n,
      nested: { a: [null, undefined, true] },
      error: new TypeError("bad"),
      proto: Object.create(null) as object,
    };
    expect(findUncloneable(value)).toBeUndefined();
    const back = decode(encode(value, "node", "to a worker", "")) as typeof value;
    expect(back.when).toEqual(new Date(5));
    expect(back.map.get(1)).toEqual({ deep: [1n, "x"] });
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(back.big).toBe(2n ** 70n);
    expect(back.error).toBeInstanceOf(TypeError);
  });

  it("finds what would be flattened or refused, with where it is", () => {
    expect(findUncloneable({ a: [1, { p: new Point(1) }] })).toBe("an instance of Point at .a[1].p");
    expect(findUncloneable(new Map([["k", () => 1]]))).toBe("a function at <map value 0>");
    expect(findUncloneable({ s: Symbol("x") })).toBe("a symbol at .s");
    expect(findUncloneable(Promise.resolve(1))).toBe("an instance of Promise at the top");
    expect(findUncloneable(Buffer.from("x"))).toBe("an instance of Buffer at the top");
  });

  it("refuses such a value with a BullMQError naming whose it is and what to do", () => {
    expect(() => encode({ p: new Point(1) }, 'node "p" (task t[0])', "back to the coordinator", "Fix it.")).toThrow(
      BullMQError,
    );
    try {
      encode(new Point(1), 'node "p" (task t[0])', "back to the coordinator", "Fix it.");
    } catch (error) {
      expect((error as BullMQError).reason).toBe("UNSERIALIZABLE");
      expect((error as Error).message).toMatch(
        /^The value of node "p" \(task t\[0\]\) cannot be sent back to the coordinator: it holds an instance of Point at the top\..*Fix it\.$/,
      );
    }
  });
});
