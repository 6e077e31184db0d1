import { describe, expect, it } from "vitest";
import { nonFiniteToNull, parseJson } from "./body.js";

describe("parseJson", () => {
  it("reads Python's NaN, Infinity and -Infinity as null, outside strings only", () => {
    const text = '{"a": NaN, "b": [Infinity, -Infinity, 1], "s": "NaN and -Infinity \\" Infinity", "n": -1.5e3}';
    expect(parseJson(Buffer.from(text), "PUT /x")).toEqual({
      a: null,
      b: [null, null, 1],
      s: 'NaN and -Infinity " Infinity',
      n: -1500,
    });
  });

  it("still refuses what is not JSON, with the first error's message", () => {
    expect(() => parseJson(Buffer.from('{"a": NaN, nope}'), "PUT /x")).toThrow(/PUT \/x: the body is not valid JSON/);
    expect(() => parseJson(Buffer.from(""), "PUT /x")).toThrow(/the body is empty/);
  });
});

describe("nonFiniteToNull", () => {
  it("leaves text without the tokens alone (undefined) and keeps escapes inside strings", () => {
    expect(nonFiniteToNull('{"a": 1, "b": "NaN"}')).toBeUndefined();
    expect(nonFiniteToNull('["\\\\", NaN]')).toBe('["\\\\", null]');
  });
});
