import { describe, expect, it } from "vitest";
import { describeError } from "@hamilton-ts/lifecycle/internal";
import { isRetryable, TrackerError } from "./errors.js";
import { redactError } from "./redact-error.js";

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

describe("redactError: nested fields", () => {
  it("redacts an axios-style error's config and response deeply, by key and by text", () => {
    class AxiosHeaders {
      Authorization = `Bearer ${KEY}`;
      "Content-Type" = "application/json";
    }
    const error = Object.assign(new Error("Request failed with status code 401"), {
      code: "ERR_BAD_REQUEST",
      status: 401,
      config: {
        url: "https://api.example/v1",
        headers: new AxiosHeaders(),
        transformRequest: [(data: unknown) => data],
        data: JSON.stringify({ prompt: "hi", api_key: KEY }),
        auth: { username: "u", password: "not-a-known-format" },
      },
      response: { status: 401, data: { error: { message: `Incorrect API key provided: ${KEY}` } } },
    });
    const safe = redactError(error) as typeof error;
    const text = JSON.stringify(safe);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("not-a-known-format");
    expect(safe).toBeInstanceOf(Error);
    expect(safe).toMatchObject({
      code: "ERR_BAD_REQUEST",
      status: 401,
      config: {
        url: "https://api.example/v1",
        headers: { Authorization: "[REDACTED]", "Content-Type": "application/json" },
        transformRequest: ["[Function]"],
        auth: { username: "u", password: "[REDACTED]" },
      },
      response: { status: 401 },
    });
    expect(safe.response.data.error.message).toContain("[REDACTED]");
    // The original is untouched.
    expect(error.config.headers.Authorization).toContain(KEY);
  });

  it("redacts an AggregateError's errors, keeping their kinds", () => {
    const inner = new TrackerError("UNAUTHORIZED", `401: Authorization: Bearer ${KEY}`, { retryable: false });
    const error = new AggregateError([inner, new Error(`echo ${KEY}`)], "all writes failed");
    const safe = redactError(error) as AggregateError;
    expect(safe).toBeInstanceOf(AggregateError);
    expect(safe.errors).toHaveLength(2);
    expect(TrackerError.isInstance(safe.errors[0])).toBe(true);
    expect(safe.errors[0]).toMatchObject({ code: "UNAUTHORIZED", retryable: false });
    expect(`${safe.errors[0].message} ${safe.errors[0].stack} ${safe.errors[1].message}`).not.toContain(KEY);
  });

  it("redacts a thrown object that is not an Error", () => {
    const thrown = { retryable: false, headers: { "x-api-key": "plain-value" }, detail: `key ${KEY}` };
    const safe = redactError(thrown) as typeof thrown;
    expect(safe).toEqual({ retryable: false, headers: { "x-api-key": "[REDACTED]" }, detail: "key [REDACTED]" });
    expect(isRetryable(safe)).toBe(false);
  });

  it("is bounded: cycles, depth, wide objects and getters", () => {
    interface Loaded extends Error {
      self?: unknown;
      deep?: unknown;
      wide?: unknown;
      list?: unknown;
    }
    const error: Loaded = new Error("outer");
    error.self = error;
    let deep: object = { secret: "s" };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    error.deep = deep;
    error.wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, `v${i}`]));
    error.list = Array.from({ length: 10_000 }, (_, i) => i);
    let ran = false;
    Object.defineProperty(error, "lazy", {
      enumerable: true,
      get() {
        ran = true;
        return KEY;
      },
    });
    const safe = redactError(error) as Loaded;
    expect(safe.self).toBe("[Circular]");
    expect(JSON.stringify(safe.deep)).toContain('"[Object]"');
    expect(Object.keys(safe.wide as object)).toHaveLength(100);
    expect(safe.list).toHaveLength(100);
    expect(ran).toBe(false);
    expect("lazy" in safe).toBe(false);
  });
});
