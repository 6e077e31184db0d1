import { describe, expect, it } from "vitest";
import { describeError } from "@hamilton-ts/lifecycle/internal";
import { isRetryable, redactError, TrackerError } from "./errors.js";

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

const KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

describe("describeError and redactError: no secret in what the tracker logs or hands out", () => {
  it("describeError redacts and bounds", () => {
    const text = describeError(new Error(`401 for Authorization: Bearer ${KEY}`));
    expect(text).not.toContain(KEY);
    expect(text).toContain("[REDACTED]");
    expect(describeError(`thrown ${KEY}`)).not.toContain(KEY);
    expect(describeError(new Error("x".repeat(1e6))).length).toBeLessThanOrEqual(2_001);
  });

  it("redactError keeps the error's kind and fields, redacting every text of it and its causes", () => {
    const cause = new Error(`upstream said Bearer ${KEY}`);
    const error = Object.assign(
      new TrackerError("HTTP_ERROR", `HTTP 400: {"echo":"${KEY}"}`, { status: 400, retryable: false, cause }),
      {
        excerpt: `key=${KEY}`,
      },
    );
    const safe = redactError(error) as TrackerError & { excerpt: string };
    expect(TrackerError.isInstance(safe)).toBe(true);
    expect(safe).toBeInstanceOf(TrackerError);
    expect(safe).toMatchObject({ name: "TrackerError", code: "HTTP_ERROR", status: 400, retryable: false });
    expect(isRetryable(safe)).toBe(false);
    expect(
      `${safe.message} ${safe.stack} ${safe.excerpt} ${(safe.cause as Error).message} ${(safe.cause as Error).stack}`,
    ).not.toContain(KEY);
    // The original is untouched.
    expect(error.message).toContain(KEY);
    expect(redactError(`a thrown ${KEY}`)).not.toContain(KEY);
    expect(redactError(42)).toBe(42);
  });
});
