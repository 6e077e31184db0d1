import { describe, expect, it } from "vitest";
import { recordClass } from "./record-class.js";

describe("recordClass", () => {
  it("makes records that read as plain objects", () => {
    const Attributes = recordClass();
    const record = new Attributes();
    record.a = 1;
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(record.constructor).toBe(Object);
    expect(record).toEqual({ a: 1 });
    expect(JSON.stringify(record)).toBe('{"a":1}');
    expect(Object.keys(new Attributes())).toEqual([]);
  });

  it("returns a new constructor on each call (each gets its own hidden-class root)", () => {
    expect(recordClass()).not.toBe(recordClass());
  });
});
