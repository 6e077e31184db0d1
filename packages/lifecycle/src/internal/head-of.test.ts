import { describe, expect, it } from "vitest";
import { headOf } from "./head-of.js";

describe("headOf", () => {
  it("cuts at max, one before when that would split a surrogate pair", () => {
    const text = "a😀b"; // "a", the emoji's two halves, "b"
    expect(headOf(text, 1)).toBe("a");
    expect(headOf(text, 2)).toBe("a");
    expect(headOf(text, 3)).toBe("a😀");
    expect(headOf(text, 10)).toBe(text);
    expect(headOf(text, 0)).toBe("");
    // A lone high surrogate already there is not a pair: cut where asked.
    expect(headOf("a\ud83dxyz", 2)).toBe("a\ud83d");
    expect(JSON.stringify(headOf("😀".repeat(50), 51))).not.toMatch(/\\ud/);
  });
});
