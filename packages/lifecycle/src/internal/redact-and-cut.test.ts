import { describe, expect, it } from "vitest";
import { REDACTED } from "../redact.js";
import { redactAndCut } from "./redact-and-cut.js";

describe("redactAndCut", () => {
  it("returns a short text without secrets as is", () => {
    expect(redactAndCut("hello", 10)).toBe("hello");
  });

  it("cuts a long text to max characters and marks the cut with …", () => {
    expect(redactAndCut("abcdefghij", 4)).toBe("abcd…");
    expect(redactAndCut("abcd", 4)).toBe("abcd");
  });

  it("redacts before cutting, so a secret straddling the cut is not half kept", () => {
    const text = `key sk-${"a".repeat(40)} more`;
    const out = redactAndCut(text, 12);
    expect(out).toBe(`${`key ${REDACTED}`.slice(0, 12)}…`);
    expect(out).not.toContain("sk-aaa");
  });

  it("redacts without cutting when the redacted text fits", () => {
    expect(redactAndCut("password=hunter2", 100)).toBe(`password=${REDACTED}`);
  });

  it("rejects a max that is not a non-negative integer", () => {
    expect(() => redactAndCut("x", -1)).toThrow(RangeError);
  });
});
