import { describe, expect, it } from "vitest";
import { defineErrorMarker, errorOptions } from "./error-class.js";

const MARKER = defineErrorMarker<SampleError>("hamilton-ts.test.sample-error", "SampleError");

class SampleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
  }
  static isInstance(value: unknown): value is SampleError {
    return MARKER.isInstance(value);
  }
}

describe("defineErrorMarker", () => {
  it("names the error and marks it with a hidden, read-only property", () => {
    const error = new SampleError("X", "m");
    expect(error.name).toBe("SampleError");
    expect(String(error)).toBe("SampleError: m");
    expect(MARKER.name).toBe("SampleError");
    const symbol = Symbol.for("hamilton-ts.test.sample-error");
    const property = Object.getOwnPropertyDescriptor(error, symbol);
    expect(property).toEqual({ value: true, writable: false, enumerable: false, configurable: false });
    // Not in JSON, not in a spread of the error's own enumerable keys.
    expect(Object.keys(error)).not.toContain(symbol);
    expect(Object.getOwnPropertySymbols({ ...error })).not.toContain(symbol);
  });

  it("recognises errors of its key only, and never throws on odd values", () => {
    const other = defineErrorMarker<Error>("hamilton-ts.test.other-error", "OtherError");
    const error = new SampleError("X", "m");
    expect(SampleError.isInstance(error)).toBe(true);
    expect(other.isInstance(error)).toBe(false);
    for (const value of [null, undefined, 0, "SampleError", new Error("plain"), {}, () => undefined]) {
      expect(SampleError.isInstance(value)).toBe(false);
    }
    // A truthy marker that is not `true` is not a mark.
    expect(SampleError.isInstance({ [Symbol.for("hamilton-ts.test.sample-error")]: 1 })).toBe(false);
  });

  it("recognises errors made by another copy of the module (another class, the same key)", async () => {
    // The query string makes a second module instance: what a second installed copy is.
    const url = "./error-class.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./error-class.js");
    expect(copy.defineErrorMarker).not.toBe(defineErrorMarker);
    const copyMarker = copy.defineErrorMarker<Error>("hamilton-ts.test.sample-error", "SampleError");
    const fromCopy = new Error("from the other copy");
    copyMarker.mark(fromCopy);
    expect(fromCopy instanceof SampleError).toBe(false);
    expect(SampleError.isInstance(fromCopy)).toBe(true);
    expect(copyMarker.isInstance(new SampleError("X", "m"))).toBe(true);
  });
});

describe("errorOptions", () => {
  it("passes a cause, even undefined, and nothing when none was given", () => {
    const root = new Error("root");
    expect(new SampleError("X", "m", { cause: root }).cause).toBe(root);
    expect("cause" in new SampleError("X", "m", { cause: undefined })).toBe(true);
    expect("cause" in new SampleError("X", "m")).toBe(false);
    expect(errorOptions({})).toBeUndefined();
  });
});
