import { describe, expect, it } from "vitest";
import { codeVersion, tokenize } from "./source-tokens.js";

const texts = (text: string) => tokenize(text).map((t) => text.slice(t.start, t.end));

describe("tokenize", () => {
  it("skips whitespace and comments, keeps strings, templates and regular expressions whole", () => {
    expect(texts("a /* c */ + b // d\n- 'x // y' + /re\\/[/]/g")).toEqual([
      "a",
      "+",
      "b",
      "-",
      "'x // y'",
      "+",
      "/re\\/[/]/g",
    ]);
  });

  it("reads a template literal's expressions as code (a comment inside one is skipped)", () => {
    expect(texts("`a ${ b /* c */ + { d: 1 }.d } e`")).toEqual([
      "`a ${",
      "b",
      "+",
      "{",
      "d",
      ":",
      "1",
      "}",
      ".",
      "d",
      "} e`",
    ]);
  });

  it("tells a division from a regular expression by what precedes it", () => {
    expect(texts("x = a / b / c")).toEqual(["x", "=", "a", "/", "b", "/", "c"]);
    expect(texts("return /a b/.test(s)")).toEqual(["return", "/a b/", ".", "test", "(", "s", ")"]);
  });

  it("reads numbers with exponents and separators as one token", () => {
    expect(texts("1e-5 + 5_000 + 0x1F - .5")).toEqual(["1e-5", "+", "5_000", "+", "0x1F", "-", ".5"]);
  });

  it("never throws on text it does not understand", () => {
    expect(texts("@decorator class A { #x = '")).toEqual(["@", "decorator", "class", "A", "{", "#x", "=", "'"]);
  });
});

describe("codeVersion", () => {
  const base = "function f({ a }: { a: number }): number {\n  // why\n  return a * 2;\n}";

  it("ignores comments, whitespace and line breaks", () => {
    expect(codeVersion("function f({a}:{a:number}):number{return a*2;}")).toBe(codeVersion(base));
    expect(codeVersion(base.replace("// why", "/* another reason */"))).toBe(codeVersion(base));
  });

  it("changes with the code, TypeScript types and string contents included", () => {
    const versions = new Set([
      codeVersion(base),
      codeVersion(base.replace("a * 2", "a * 3")),
      codeVersion(base.replace("a: number }", "a: bigint }")),
      codeVersion(base.replace("return a * 2", "return 'a * 2'")),
      codeVersion(base.replace("return a * 2", "return 'a  * 2'")),
    ]);
    expect(versions.size).toBe(5);
  });

  it("is 16 hex digits", () => {
    expect(codeVersion(base)).toMatch(/^[0-9a-f]{16}$/);
  });
});
