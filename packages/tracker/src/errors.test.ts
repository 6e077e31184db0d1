import { describe, expect, it } from "vitest";
import { describeError } from "@hamilton-ts/lifecycle/internal";
import { isRetryable, TrackerError } from "./errors.js";

describe("TrackerError", () => {
  it("carries a code, retryable (default true), status and cause", () => {
    const cause = new Error("root");
    const error = new TrackerError("HTTP_ERROR", "m", { status: 502, cause });
    expect(error).toMatchObject({
      name: "TrackerError",
      code: "HTTP_ERROR",
      retryable: true,
      status: 502,
      message: "m",
    });
    expect(error.cause).toBe(cause);
    expect("cause" in new TrackerError("HTTP_ERROR", "m")).toBe(false);
    expect(new TrackerError("UNAUTHORIZED", "m", { retryable: false }).retryable).toBe(false);
  });

  it("is recognised across package copies by its marker, not by instanceof", () => {
    expect(TrackerError.isInstance(new TrackerError("SINK_TIMEOUT", "m"))).toBe(true);
    const copy = Object.defineProperty(new Error("other copy"), Symbol.for("hamilton-ts.tracker.error"), {
      value: true,
    });
    expect(TrackerError.isInstance(copy)).toBe(true);
    expect(TrackerError.isInstance(new Error("plain"))).toBe(false);
    expect(TrackerError.isInstance(null)).toBe(false);
  });

  it("is recognised by another copy of the package, both ways, where instanceof is not", async () => {
    const url = "./errors.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
    expect(copy.TrackerError).not.toBe(TrackerError);
    const theirs = new copy.TrackerError("SINK_TIMEOUT", "m", { retryable: false });
    expect(theirs instanceof TrackerError).toBe(false);
    expect(TrackerError.isInstance(theirs)).toBe(true);
    expect(copy.TrackerError.isInstance(new TrackerError("HTTP_ERROR", "m"))).toBe(true);
    expect(theirs).toMatchObject({ name: "TrackerError", code: "SINK_TIMEOUT", retryable: false });
  });
});

describe("isRetryable", () => {
  it("is false only for errors that say retryable: false", () => {
    expect(isRetryable(new Error("x"))).toBe(true);
    expect(isRetryable("string")).toBe(true);
    expect(isRetryable({ retryable: false })).toBe(false);
    expect(isRetryable(new TrackerError("HTTP_ERROR", "m", { retryable: false }))).toBe(false);
  });
});

describe("describeError", () => {
  it("names errors and stringifies anything else", () => {
    expect(describeError(new RangeError("r"))).toBe("RangeError: r");
    expect(describeError(42)).toBe("42");
  });
});
