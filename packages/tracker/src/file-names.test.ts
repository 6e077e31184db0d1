import { describe, expect, it } from "vitest";
import { fromFileName, isHashedName, MAX_ENCODED_NAME, toFileName } from "./file-names.js";

describe("toFileName", () => {
  it("keeps ordinary ids and encodes anything that could escape the directory", () => {
    expect(toFileName("demo")).toBe("demo");
    expect(toFileName("0f3a-uuid_1.2")).toBe("0f3a-uuid_1.2");
    expect(toFileName("..")).toBe("%2E.");
    expect(toFileName("a/b")).toBe("a%2Fb");
    expect(toFileName("x*y")).toBe("x%2Ay");
    expect(toFileName("")).toBe("%00");
  });

  it.each(["demo", "..", "a/b", "x*y", "", "ünï cødé", ".hidden", "~(!)'"])("round-trips %j", (id) => {
    expect(fromFileName(toFileName(id))).toBe(id);
    expect(toFileName(id)).toMatch(/^[A-Za-z0-9%_.-]+$/);
    expect(toFileName(id).startsWith(".")).toBe(false);
  });

  it.each([
    ["a 300-character id", "p".repeat(300)],
    ["30 emoji", "🚀".repeat(30)],
    ["a long id that starts with a dot", `.${"x".repeat(300)}`],
    ["an id with a lone surrogate", "run\uD800"],
  ])("maps %s to a short, readable, distinct name", (_what, id) => {
    const name = toFileName(id);
    expect(name.length).toBeLessThanOrEqual(MAX_ENCODED_NAME);
    expect(name.length).toBeGreaterThan(17);
    expect(Buffer.byteLength(`${name}.jsonl`)).toBeLessThan(255);
    expect(name).toMatch(/^[A-Za-z0-9%_.-]+~[0-9a-f]{16}$/);
    expect(name.startsWith(".")).toBe(false);
    expect(isHashedName(name)).toBe(true);
    expect(fromFileName(name)).toBeUndefined();
    expect(toFileName(id)).toBe(name);
    expect(toFileName(`${id}x`)).not.toBe(name);
    // The readable prefix is the encoding's start, never cut inside an escape.
    const prefix = decodeURIComponent(name.slice(0, name.indexOf("~")));
    expect(prefix.length).toBeGreaterThan(0);
    expect(id.replace(/\uD800/, "\uFFFD").startsWith(prefix)).toBe(true);
  });

  it("reads a name that is no encoding (a stray file) as undefined, not an exception", () => {
    expect(fromFileName("traces 100%")).toBeUndefined();
    expect(fromFileName("%E0%A4%A")).toBeUndefined();
  });
});
