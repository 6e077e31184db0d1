import { describe, expect, it } from "vitest";
import { nodeRun } from "../test/records.js";
import { cacheCountText, cacheLine, cacheWord, fitCacheWords, missReasonText, nodeCacheWords } from "./cache-text.js";

describe("cacheCountText", () => {
  it("counts the node runs answered from the cache, of all node runs", () => {
    const runs = [nodeRun("a", { cache: "hit" }), nodeRun("b", { cache: "miss" }), nodeRun("c", { cache: "hit" })];
    expect(cacheCountText(runs)).toBe("2 of 3 node runs from the cache");
    expect(cacheCountText(Array.from({ length: 12 }, (_, i) => nodeRun(`n${i}`, { cache: "hit" })))).toBe(
      "12 of 12 node runs from the cache",
    );
  });

  it("says nothing for a run without a cache", () => {
    expect(cacheCountText([nodeRun("a"), nodeRun("b")])).toBeUndefined();
  });
});

describe("nodeCacheWords", () => {
  it("gives each node its outcome in words, counts when fan-out items differ, and the last attempt's", () => {
    const words = nodeCacheWords([
      nodeRun("a", { cache: "hit" }),
      nodeRun("b", { cache: "miss" }),
      nodeRun("b", { cache: "hit", attempt: 2 }),
      nodeRun("r", { cache: "recompute" }),
      nodeRun("d", { cache: "disabled" }),
      nodeRun("f", { taskId: "w[0]", cache: "hit" }),
      nodeRun("f", { taskId: "w[1]", cache: "miss" }),
      nodeRun("f", { taskId: "w[2]", cache: "hit" }),
      nodeRun("none"),
    ]);
    expect(Object.fromEntries(words)).toEqual({
      a: "cache hit",
      b: "cache hit",
      r: "recompute",
      d: "cache disabled",
      f: "cache 2 hit, 1 miss",
    });
    expect(cacheWord(undefined)).toBe("");
  });
});

describe("missReasonText and cacheLine", () => {
  it("says why a node missed, in words", () => {
    expect(missReasonText({ kind: "new" })).toBe("nothing stored yet");
    expect(missReasonText({ kind: "code", from: "v1", to: "v2" })).toBe("its code changed (v1 → v2)");
    expect(missReasonText({ kind: "code", from: "0123456789abcdef0123", to: "fedcba9876543210fedc" })).toBe(
      "its code changed (0123456789ab → fedcba987654)",
    );
    expect(missReasonText({ kind: "dependency", name: "x" })).toBe("dependency `x` changed");
    expect(missReasonText({ kind: "dependency", name: "x" }, new Set(["x"]))).toBe("input `x` changed");
    expect(missReasonText({ kind: "config" })).toBe("its bound values or config changed");
    expect(missReasonText({ kind: "unkeyed", detail: "a Socket cannot be fingerprinted" })).toBe(
      "no cache key could be made (a Socket cannot be fingerprinted)",
    );
    expect(missReasonText({ kind: "unkeyed" })).toContain("no cache key could be made (");
  });

  it("gives a hit the run it came from, and a miss its reason", () => {
    expect(cacheLine(nodeRun("a", { cache: "hit", cacheFromRun: "run-0" }))).toEqual({
      word: "cache hit",
      text: "the node did not run: its result is the one stored by run ",
      fromRun: "run-0",
    });
    expect(cacheLine(nodeRun("a", { cache: "miss", cacheMissReason: { kind: "code", from: "v1", to: "v2" } }))).toEqual(
      { word: "cache miss", text: "the node ran: its code changed (v1 → v2)", fromRun: undefined },
    );
    expect(cacheLine(nodeRun("a", { cache: "miss" }))?.text).toContain("no reason recorded");
    expect(cacheLine(nodeRun("a"))).toBeUndefined();
  });
});

describe("fitCacheWords", () => {
  it("keeps the words whole when they fit, else drops `cache `, else says mixed", () => {
    expect(fitCacheWords("cache hit", 20)).toBe("cache hit");
    expect(fitCacheWords("cache hit", 5)).toBe("hit");
    expect(fitCacheWords("cache 2 hit, 1 miss", 14)).toBe("2 hit, 1 miss");
    expect(fitCacheWords("cache 2 hit, 1 miss", 8)).toBe("mixed");
    expect(fitCacheWords("recompute", 3)).toBe("recompute");
  });
});
