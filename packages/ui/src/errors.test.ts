import { describe, expect, it } from "vitest";
import { UiError } from "./errors.js";

describe("UiError", () => {
  it("carries its code, name, message and cause", () => {
    const cause = new Error("EADDRINUSE");
    const error = new UiError("LISTEN_FAILED", "m", { cause });
    expect(error).toMatchObject({ name: "UiError", code: "LISTEN_FAILED", message: "m" });
    expect(error.cause).toBe(cause);
    expect("cause" in new UiError("RUN_NOT_FOUND", "m")).toBe(false);
  });

  it("is recognised by another copy of the package, both ways, and no other package's error is", async () => {
    const url = "./errors.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
    expect(copy.UiError).not.toBe(UiError);
    const theirs = new copy.UiError("RUN_NOT_FOUND", "m");
    expect(theirs instanceof UiError).toBe(false);
    expect(UiError.isInstance(theirs)).toBe(true);
    expect(copy.UiError.isInstance(new UiError("INVALID_OPTION", "m"))).toBe(true);
    const trackers = Object.defineProperty(new Error("m"), Symbol.for("hamilton-ts.tracker.error"), { value: true });
    expect(UiError.isInstance(trackers)).toBe(false);
    expect(UiError.isInstance(new Error("plain"))).toBe(false);
  });
});
