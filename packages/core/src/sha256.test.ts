import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Hex, sha256Parts } from "./sha256.js";

describe("sha256", () => {
  it("hashes text as createHash does, including non-ASCII", () => {
    for (const text of ["", "abc", "naïve — 日本語 🎉", "x".repeat(100_000)]) {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });

  it("hashes a prefix and parts as one stream, small ones copied and large ones in place alike", () => {
    const reference = (prefix: string, parts: Uint8Array[]) => {
      const hash = createHash("sha256").update(prefix);
      for (const part of parts) hash.update(part);
      return hash.digest("hex");
    };
    const cases: [string, Uint8Array[]][] = [
      ["", []],
      ["key\u00000\u0000", [new Uint8Array(0), new Uint8Array([1, 2, 3])]],
      ["clé\u00005\u0000", [Buffer.from("nœud"), new Uint8Array(64 * 1024 - 20).fill(7)]],
      ["k", [new Uint8Array(64 * 1024).fill(9), new Uint8Array(1)]],
      ["k", [new Uint8Array(3 * 1024 * 1024).fill(1)]],
    ];
    for (const [prefix, parts] of cases) {
      expect(sha256Parts(prefix, parts).toString("hex")).toBe(reference(prefix, parts));
    }
    // Where the parts split the bytes does not matter (it is one stream), and the bytes do.
    expect(sha256Parts("a", [Buffer.from("bc")]).equals(sha256Parts("ab", [Buffer.from("c")]))).toBe(true);
    expect(sha256Parts("a", [Buffer.from("bc")]).equals(sha256Parts("a", [Buffer.from("bd")]))).toBe(false);
  });
});
