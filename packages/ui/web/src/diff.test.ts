import { describe, expect, it } from "vitest";
import { diffCounts, diffLines, diffText } from "./diff.js";

/** The length of the longest common subsequence, by dynamic programming (the reference). */
function lcs(a: readonly string[], b: readonly string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  return t[a.length]![b.length]!;
}

/** A small seeded generator, so a failure is repeatable. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe("diffLines", () => {
  it("marks a changed line as removed and added, the rest kept", () => {
    const d = diffLines("const a = () => {\n  return 1;\n};\n", "const a = () => {\n  return 2;\n};\n");
    expect(diffText(d)).toBe("  const a = () => {\n-   return 1;\n+   return 2;\n  };");
    expect(diffCounts(d)).toEqual({ removed: 1, added: 1 });
  });

  it("handles empty texts, all added and all removed", () => {
    expect(diffLines("", "")).toEqual([]);
    expect(diffLines("", "x\ny")).toEqual([
      { op: "+", text: "x" },
      { op: "+", text: "y" },
    ]);
    expect(diffLines("x", "")).toEqual([{ op: "-", text: "x" }]);
    expect(diffLines("a\r\nb", "a\nb")).toEqual([
      { op: " ", text: "a" },
      { op: " ", text: "b" },
    ]);
  });

  it("is a shortest edit script: it rebuilds both texts and keeps as many lines as the longest common subsequence", () => {
    const next = random(42);
    for (let round = 0; round < 300; round++) {
      const gen = () => Array.from({ length: Math.floor(next() * 12) }, () => "abcd"[Math.floor(next() * 4)]!);
      const a = gen();
      const b = gen();
      const d = diffLines(a.join("\n"), b.join("\n"));
      expect(d.filter((l) => l.op !== "+").map((l) => l.text)).toEqual(a);
      expect(d.filter((l) => l.op !== "-").map((l) => l.text)).toEqual(b);
      expect(d.filter((l) => l.op === " ").length).toBe(lcs(a, b));
    }
  });

  it("gives a diff of thousands of changed lines as all removed and added, at once", () => {
    const a = Array.from({ length: 5000 }, (_, i) => `a${i}`).join("\n");
    const b = Array.from({ length: 5000 }, (_, i) => `b${i}`).join("\n");
    expect(diffCounts(diffLines(a, b))).toEqual({ removed: 5000, added: 5000 });
  });
});
