import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { suggest } from "./errors.js";

describe("suggest", () => {
  it("ranks as Python's difflib.get_close_matches does (ratio ≥ 0.6, best first)", () => {
    // The example of difflib's documentation.
    expect(suggest("appel", ["ape", "apple", "peach", "puppy"])).toEqual(["apple", "ape"]);
    expect(suggest("wheel", ["while", "when", "wheels"])).toEqual(["wheels", "when", "while"]);
  });

  it("catches a one-letter slip in a short name", async () => {
    expect(suggest("dd", ["d", "e"])).toEqual(["d"]);
    const dr = new Builder().withModules({ d: () => 1, e: () => 2 }).build();
    const error = await dr.execute(["dd"] as never).catch((e: unknown) => e);
    expect((error as Error).message).toContain('"dd" (did you mean "d"?)');
  });

  it("puts names that differ only in case or _ first", () => {
    const close = suggest("spend_mean", ["spendMeans", "spendMean", "spend_means"]);
    expect(close[0]).toBe("spendMean");
    expect(close.slice(1).sort()).toEqual(["spendMeans", "spend_means"].sort());
    expect(suggest("doc_source", ["docs", "docSource"])).toEqual(["docSource", "docs"]);
  });

  it("does not suggest every short name for a long one, nor unrelated names", () => {
    expect(suggest("revenueForecast", ["a", "b", "c", "rf", "x_y"])).toEqual([]);
    expect(suggest("b", ["a", "c", "xy"])).toEqual([]);
    expect(suggest("universalTruth", ["wordCount", "llmClient"])).toEqual([]);
  });
});
