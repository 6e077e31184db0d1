import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";

describe("StoreError", () => {
  it("carries its code, name, message and cause", () => {
    const cause = new Error("ENOSPC");
    const error = new StoreError("WRITE_FAILED", "m", { cause });
    expect(error).toMatchObject({ name: "StoreError", code: "WRITE_FAILED", message: "m" });
    expect(error.cause).toBe(cause);
    expect("cause" in new StoreError("INVALID_LINE", "m")).toBe(false);
  });

  it("is recognised by another copy of the package, both ways, where instanceof is not", async () => {
    const url = "./errors.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
    expect(copy.StoreError).not.toBe(StoreError);
    const theirs = new copy.StoreError("RECORD_TOO_LARGE", "m");
    expect(theirs instanceof StoreError).toBe(false);
    expect(StoreError.isInstance(theirs)).toBe(true);
    expect(copy.StoreError.isInstance(new StoreError("INVALID_LINE", "m"))).toBe(true);
    expect(StoreError.isInstance(new Error("plain"))).toBe(false);
    expect(StoreError.isInstance(null)).toBe(false);
    // The mark is the registered symbol's, not a property anyone can forge by name.
    expect(StoreError.isInstance({ name: "StoreError", code: "WRITE_FAILED" })).toBe(false);
  });
});
