import { describe, expect, it } from "vitest";
import { fromFileName, toFileName } from "./file-names.js";

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
});
