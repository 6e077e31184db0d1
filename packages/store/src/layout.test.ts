import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  fromFileName,
  isHashedName,
  isTemporaryFile,
  MAX_ENCODED_NAME,
  parseProjectFolderName,
  parseRunFileName,
  parseTemplateFileName,
  projectFolder,
  projectIdFile,
  runFile,
  runsFolder,
  templateFile,
  templatesFolder,
  temporaryFile,
  toFileName,
} from "./layout.js";

describe("the store layout", () => {
  it("names a project's folder, its runs and templates under the root, ids made safe", () => {
    expect(projectFolder("/s", 7)).toBe(join("/s", "7"));
    expect(runsFolder("/s", "p")).toBe(join("/s", "p", "runs"));
    expect(templatesFolder("/s", "p")).toBe(join("/s", "p", "templates"));
    expect(runFile("/s", "a/b", "r 1")).toBe(join("/s", "a%2Fb", "runs", "r%201.jsonl"));
    expect(templateFile("/s", "p", "..")).toBe(join("/s", "p", "templates", "%2E..json"));
    expect(projectIdFile(join("/s", "p"))).toBe(join("/s", "p", "project.json"));
  });

  it("parses the names it makes back to ids, and says which are hashes or not store names", () => {
    const long = "x".repeat(300);
    expect(parseRunFileName(`${toFileName("r 1")}.jsonl`)).toEqual({ id: "r 1", hashed: false });
    expect(parseRunFileName(`${toFileName(long)}.jsonl`)).toEqual({ id: undefined, hashed: true });
    expect(parseRunFileName("r.json")).toBeUndefined();
    expect(parseRunFileName("traces 100%.jsonl")).toBeUndefined();
    expect(parseTemplateFileName(`${toFileName("v/1")}.json`)).toEqual({ id: "v/1", hashed: false });
    expect(parseTemplateFileName("v.jsonl")).toBeUndefined();
    expect(parseProjectFolderName(toFileName(""))).toEqual({ id: "", hashed: false });
    expect(parseProjectFolderName(toFileName(long))).toEqual({ id: undefined, hashed: true });
  });

  it("names a template being written so that readers skip it", () => {
    const tmp = temporaryFile(templateFile("/s", "p", "v"), "beef");
    expect(tmp.startsWith(templateFile("/s", "p", "v"))).toBe(true);
    expect(isTemporaryFile(tmp)).toBe(true);
    expect(parseTemplateFileName(tmp.slice(tmp.lastIndexOf("/") + 1))).toBeUndefined();
  });
});

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
