import { describe, expect, it } from "vitest";
import { REDACTED } from "../redact.js";
import { describeError } from "./describe-error.js";

describe("describeError", () => {
  it("describes an Error as name: message", () => {
    expect(describeError(new TypeError("bad input"))).toBe("TypeError: bad input");
  });

  it("describes other thrown values without running their toString", () => {
    expect(describeError("plain")).toBe("plain");
    expect(describeError(42)).toBe("42");
    expect(describeError(undefined)).toBe("undefined");
    let ran = false;
    const obj = {
      toString() {
        ran = true;
        return "x";
      },
    };
    expect(describeError(obj)).toBe("a thrown object");
    expect(describeError(Object.create(null))).toBe("a thrown object");
    expect(ran).toBe(false);
  });

  it("never throws, even when the error's getters do", () => {
    const error = new Error("x");
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("getter");
      },
    });
    expect(describeError(error)).toBe("an error that could not be described");
  });

  it("redacts secrets and cuts to max characters", () => {
    expect(describeError(new Error("password=hunter2"))).toBe(`Error: password=${REDACTED}`);
    const long = describeError(new Error("x".repeat(5000)));
    expect(long).toHaveLength(2001);
    expect(long.endsWith("…")).toBe(true);
    expect(describeError(new Error("abcdef"), 8)).toBe("Error: a…");
  });
});
