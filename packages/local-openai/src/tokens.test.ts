import { describe, expect, it } from "vitest";
import { countPromptTokens, countTokens, hashString, truncateToTokens } from "./tokens.js";

describe("token estimates", () => {
  it("counts one token per 4 characters, rounded up", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("abcd")).toBe(1);
    expect(countTokens("abcde")).toBe(2);
  });

  it("adds 4 tokens per message and 2 priming tokens to the prompt", () => {
    expect(countPromptTokens([{ role: "user", content: "abcdefgh" }])).toBe(2 + 4 + 2);
    expect(
      countPromptTokens([
        { role: "assistant", content: null },
        { role: "user", content: [{ type: "text", text: "abcd" }] },
      ]),
    ).toBe(2 + 4 + 4 + 1);
  });

  it("cuts a text to a number of tokens", () => {
    expect(truncateToTokens("abcdefghij", 2)).toBe("abcdefgh");
    expect(truncateToTokens("abc", 0)).toBe("");
  });

  it("hashes strings stably", () => {
    expect(hashString("hello")).toBe(hashString("hello"));
    expect(hashString("hello")).not.toBe(hashString("hellp"));
    expect(hashString("")).toBe(0x811c9dc5);
  });
});
