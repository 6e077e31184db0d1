import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import shapesDefault, * as shapes from "./fixtures/source-shapes.js";
import { findSources } from "./node-sources.js";
import { displayPath } from "./source-text.js";

// Under vitest this file and the fixture are transformed by Vite, with inline source maps: the
// sources found are the TypeScript text, as with tsx (whole processes: the tracker's
// template-source tests).
const FILE = "src/fixtures/source-shapes.ts";
const fixture = readFileSync(FILE, "utf8");

/** The fixture's text from `from` up to and including the first `to` after it, and its line. */
function span(from: string, to: string): { source: string; sourceLine: number } {
  const start = fixture.indexOf(from);
  const end = fixture.indexOf(to, start) + to.length;
  return { source: fixture.slice(start, end), sourceLine: fixture.slice(0, start).split("\n").length };
}

const dataflow = {
  plain: shapes.plain,
  arrow: shapes.arrow,
  shorthand: shapes.methods.shorthand,
  byDefault: shapesDefault,
  tagged: shapes.tagged,
};

describe("node sources", () => {
  it("are the original text of each function shape, with comments and types, file and line", () => {
    const { graph } = new Builder().withModules(dataflow).build();
    const expected = {
      plain: span("function plain", "\n}"),
      arrow: span("async ({ b }", "\n}"),
      shorthand: span("shorthand(", "\n  }"),
      byDefault: span("function ({ d }", "\n}"),
      tagged: span("({ e }", "e.slice(1)"),
    };
    expect(expected.plain.source).toContain("// a comment inside");
    for (const [name, place] of Object.entries(expected)) {
      expect(graph.node(name), name).toMatchObject({ ...place, sourceFile: FILE, sourceMapped: true });
    }
    expect(graph.node("a")).toMatchObject({ source: "", sourceFile: undefined, sourceMapped: undefined });
  });

  it("are in a node's JSON (the getters read them)", () => {
    const { graph } = new Builder().withModules(dataflow).build();
    const json = JSON.parse(JSON.stringify(graph.node("plain")));
    expect(json).toMatchObject({
      sourceFile: FILE,
      sourceLine: span("function plain", "}").sourceLine,
      sourceMapped: true,
    });
    expect(json.version).toBe(graph.node("plain")!.version);
  });

  it("are the compiled text, with no file and sourceMapped: false, with withSourceMaps(false)", () => {
    const { graph } = new Builder().withModules(dataflow).withSourceMaps(false).build();
    const plain = graph.node("plain")!;
    expect(plain.source).toBe(Function.prototype.toString.call(shapes.plain));
    expect(plain.source).not.toContain(": number");
    expect([plain.sourceFile, plain.sourceLine, plain.sourceMapped]).toEqual([undefined, undefined, false]);
    // Versions come from what is read: the compiled text's differ from the original's.
    const mapped = new Builder().withModules(dataflow).build().graph;
    expect(plain.version).not.toBe(mapped.node("plain")!.version);
    expect(() => new Builder().withSourceMaps("no" as never)).toThrow(
      /withSourceMaps\(enabled\): enabled must be true or false/,
    );
  });

  it("give the same version to the same code in two graphs, and to nodes sharing a function", () => {
    const one = new Builder().withModules(dataflow).build().graph;
    const two = new Builder().withModules({ plain: shapes.plain, again: shapes.plain }).build().graph;
    expect(two.node("plain")!.version).toBe(one.node("plain")!.version);
    expect(two.node("again")!.version).toBe(one.node("plain")!.version);
  });

  it("of a function with no file (new Function) are its own text, sourceMapped: false", () => {
    const made = new Function("{ x }", "return x * 2;");
    const [found] = findSources([made], true);
    expect(found).toMatchObject({ text: Function.prototype.toString.call(made), file: undefined, mapped: false });
  });
});

describe("displayPath", () => {
  it("is relative inside the working directory and absolute outside it", () => {
    expect(displayPath("/work/app/src/a.ts", "/work/app")).toBe("src/a.ts");
    expect(displayPath("/elsewhere/a.ts", "/work/app")).toBe("/elsewhere/a.ts");
  });
});
