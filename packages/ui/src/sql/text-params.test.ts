import { describe, expect, it } from "vitest";
import { jsonParam, NUL_STAND_IN, safeValues } from "./text-params.js";

describe("jsonParam", () => {
  it("is JSON.stringify for values without NUL characters (the same string)", () => {
    const value = { a: "x\\u0000y", b: [1, "é\n\t"], c: null };
    expect(jsonParam(value)).toBe(JSON.stringify(value));
  });

  it("stores each NUL character, in values and keys, as ␀; a backslash before it or the text \\u0000 stays", () => {
    const cases: [string, string][] = [
      ["a\u0000b", "a␀b"],
      ["\u0000\u0000\u0000", "␀␀␀"],
      ["\\u0000", "\\u0000"], // the six characters \u0000, not a NUL
      ["\\\u0000", "\\␀"], // a backslash, then a NUL
      ["\\\\\u0000\\u0000", "\\\\␀\\u0000"],
    ];
    for (const [input, stored] of cases)
      expect(JSON.parse(jsonParam({ [input]: [input] }))).toEqual({ [stored]: [stored] });
    expect(NUL_STAND_IN).toBe("␀");
  });
});

describe("jsonParam and lone surrogates", () => {
  it("stores a lone surrogate as U+FFFD and keeps whole pairs, as PostgreSQL would otherwise refuse the value", () => {
    const cut = "a😀b".slice(0, 2); // "a" and the first half of the emoji
    const cases: [string, string][] = [
      [cut, "a\ufffd"],
      ["\udc00x", "\ufffdx"],
      ["😀", "😀"],
      ["\\ud83d", "\\ud83d"], // a backslash, then the text ud83d
      ["\u0001", "\u0001"],
    ];
    for (const [input, stored] of cases) expect(JSON.parse(jsonParam([input]))).toEqual([stored]);
  });
});

describe("safeValues", () => {
  it("replaces raw NUL characters in string and string-array parameters, and leaves the rest (the same array when nothing changed)", () => {
    const plain = ["a", 1, null, ["b"], { c: "\u0000" }];
    expect(safeValues(plain)).toBe(plain);
    expect(safeValues(undefined)).toBeUndefined();
    const values = ["a\u0000b", 2, ["x", "\u0000"], "\\u0000"];
    expect(safeValues(values)).toEqual(["a␀b", 2, ["x", "␀"], "\\u0000"]);
    expect(values[0]).toBe("a\u0000b");
  });
});
