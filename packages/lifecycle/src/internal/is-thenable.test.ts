import { describe, expect, it } from "vitest";
import { isThenable } from "./is-thenable.js";

describe("isThenable", () => {
  it("is true for promises, objects and functions with a then method", () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable({ then: () => undefined })).toBe(true);
    const fn = Object.assign(() => undefined, { then: () => undefined });
    expect(isThenable(fn)).toBe(true);
  });

  it("is false for values without a callable then", () => {
    for (const value of [null, undefined, 0, "then", {}, { then: 1 }, [], () => undefined]) {
      expect(isThenable(value)).toBe(false);
    }
  });

  it("lets a throwing then getter propagate (the caller decides what it means)", () => {
    const value = Object.defineProperty({}, "then", {
      get() {
        throw new Error("boom");
      },
    });
    expect(() => isThenable(value)).toThrow("boom");
  });
});
