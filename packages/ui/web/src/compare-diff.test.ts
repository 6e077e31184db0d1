import { describe, expect, it } from "vitest";
import { diffPairs } from "./compare-diff.js";

describe("diffPairs", () => {
  it("diffs the first run's version against each other version, once each", () => {
    expect(diffPairs(["v1", "v1", "v2"])).toEqual([[0, 2]]);
    expect(diffPairs(["v1", "v2", "v3", "v2"])).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(diffPairs([undefined, "v1", "v2"])).toEqual([[1, 2]]);
    expect(diffPairs(["v1", "v1"])).toEqual([]);
  });
});
