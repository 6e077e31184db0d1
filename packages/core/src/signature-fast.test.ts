import { describe, expect, it } from "vitest";
import { readSignatureFast } from "./signature-fast.js";
import { readWithAcorn } from "./signature.js";

/** The source text of a function compiled from `text`, as `Function.prototype.toString` gives it. */
function sourceOf(text: string): string {
  const fn = new Function(`"use strict"; return (${text});`)() as Function;
  return Function.prototype.toString.call(fn);
}

/** A method's source (`name(...) {}`), as an object literal's method prints. */
function methodSource(text: string): string {
  const object = new Function(`"use strict"; return { ${text} };`)() as Record<string, Function>;
  return Function.prototype.toString.call(Object.values(object)[0]!);
}

describe("readSignatureFast", () => {
  const common = [
    "({ a, b }) => a + b",
    "({a,b})=>a+b",
    "async ({ a }) => a",
    "async({ a }) => a",
    "({ a, b = 1 }) => a",
    "({ model = 'gpt-4o-mini', temperature = 0.2 }) => model",
    '({ model = "gpt-4o-mini", n = -1, big = 10n, e = 1e-5, x = .5, h = 0xff }) => model',
    "({ a = undefined, b = null, c = true, d = void 0, e = Infinity, f = !0 }) => a",
    "({ a = Number.MAX_SAFE_INTEGER, b = x.y.z, c = 1 + 2 * 3 % 4 - 5, d = a && b || c }) => a",
    '({ a = \'it\\\'s\', b = "say \\"hi\\"", c = \'a,b}c\', d = "}) => {" }) => a',
    "({ llmClient: client, model: m = 'x' }) => client",
    "({ a, b, }) => a",
    "({ a }, ctx) => ctx",
    "({ a }, ctx,) => ctx",
    "({ a } = {}) => a",
    "({ a } = {}, ctx) => a",
    "({}) => 1",
    "({}, ctx) => ctx",
    "() => 1",
    "(_) => 1",
    "(_, ctx) => ctx",
    "(_unused, ctx) => ctx",
    "_ => 1",
    "_x => 1",
    "async _ => 1",
    "function f({ a, b = 1 }) { return a; }",
    "function ({ a }) { return a; }",
    "function named({ x, y }, context) { return x; }",
    "async function g({ a }) { return a; }",
    "function* gen({ a }) { yield a; }",
    "async function* agen({ a }) { yield a; }",
    "function\n  spaced\t(\n  { a,\n    b = 2,\n  },\n  ctx\n) { return a; }",
    "({ default: d, class: c, if: i, true: t, null: n, await: w }) => d",
    "({ $a, _b, c$1, __proto__x }) => $a",
    "({ a: x, a: y }) => x",
    "({ a, a: y = 1 }) => a",
    "({ a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a0: again, a11 }) => a0",
    "({ a = new Date }) => a",
    "({ a = typeof b, c = b in d }) => a",
    "({ a = 'é,}' }) => a",
  ];

  it("reads the common shapes, and gives the same answer as acorn on each", () => {
    for (const text of common) {
      const source = sourceOf(text);
      const fast = readSignatureFast(source);
      expect(fast, text).toBeDefined();
      expect(fast, text).toEqual(readWithAcorn(source));
    }
  });

  it("reads methods as the full reader does", () => {
    for (const text of [
      "m({ a, b = 1 }) { return a; }",
      "async m({ a }, ctx) { return a; }",
      "async({ a }) { return a; }",
    ]) {
      const source = methodSource(text);
      const fast = readSignatureFast(source);
      expect(fast, text).toBeDefined();
      expect(fast, text).toEqual(readWithAcorn(source));
    }
  });

  const hostile = [
    // comments anywhere in the parameter list
    "({ a /* , b */ }) => a",
    "({ a, // b,\n c }) => a",
    "({ a = 1 // , b\n }) => a",
    "({ a = 1 /* , b */ }) => a",
    "(/* { x } */ { a }) => a",
    "async /* c */ ({ a }) => a",
    // nested patterns, computed keys, rest elements, quoted and numeric keys
    "({ a: { b } }) => b",
    "({ a: [b] }) => b",
    "({ a: { b } = {} }) => b",
    "({ ['a']: b }) => b",
    "({ a, ...rest }) => rest",
    "({ 'my-key': a }) => a",
    '({ "a": a }) => a',
    "({ 0: a }) => a",
    // defaults the scanner does not follow: templates, brackets, calls, arrows, regex, ternaries
    "({ a = `x, ${1} }` }) => a",
    "({ a = [1, 2] }) => a",
    "({ a = { b: 1 } }) => a",
    "({ a = Math.max(1, 2) }) => a",
    "({ a = () => 1 }) => a",
    "({ a = /[)}\\]]+/g }) => a",
    "({ a = b ? 1 : 2 }) => a",
    "({ a = 1 < 2 }) => a",
    "({ a = b ?? 1 }) => a",
    "({ a = b = 1 }) => a",
    "({ a } = { a: 1 }) => a",
    // shapes the full reader rejects or reads in its own way
    "(a) => a",
    "a => a",
    "async => 1",
    "(...args) => args",
    "({ a }, ctx, extra) => a",
    "({ a }, { signal }) => a",
    "({ a }, ctx = {}) => a",
    "(_ = 1) => 1",
    "class A { constructor({ a }) {} }",
    "function f(a, { b }) { return a; }",
    // names the scanner does not read: escapes and non-ASCII letters
    "({ \\u0061 }) => a",
    "({ café }) => café",
    "({ a = x\u00a0}) => a",
  ];

  it("leaves every unusual shape to acorn", () => {
    for (const text of hostile) {
      let source: string;
      try {
        source = text.startsWith("class") ? text : sourceOf(text);
      } catch {
        source = text; // not a valid function on its own (the class): the reader still must not guess
      }
      expect(readSignatureFast(source), text).toBeUndefined();
    }
  });

  it("agrees with acorn on thousands of generated parameter lists, hostile parts included", () => {
    // mulberry32: a seeded generator whose low bits are as random as its high ones.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    const pick = <T>(list: readonly T[]): T => list[random(list.length)]!;
    const keys = ["a", "b", "model", "llmClient", "$x", "_y", "default", "class", "a1", "'q'", "[k]", "...r", "b"];
    const values = [
      "1",
      "-2.5e3",
      "'s'",
      '"a,b}"',
      "'it\\'s'",
      "x.y",
      "null",
      "!0",
      "`t`",
      "`${1},}`",
      "[1, 2]",
      "{ a: '}' }",
      "f(1, 2)",
      "/,}/g",
      "a ? 1 : 2",
      "() => 1",
    ];
    // Mostly plain whitespace, so that many lists are read fast; now and then a comment that
    // hides a separator, which a scanner that skipped comments as values would misread.
    const spaces = ["", " ", "", " ", "\n", "\t ", "", " ", " /* , */ ", " // }\n", " // , z\n", " /* }, y */ "];
    const heads = ["(%) => 0", "async (%) => 0", "function f(%) { return 0; }", "async function* g(%) {}"];
    let fastCount = 0;
    let checked = 0;
    for (let n = 0; n < 8000; n++) {
      const properties: string[] = [];
      for (let k = random(3); k >= 0; k--) {
        const key = pick(keys);
        const s = () => pick(spaces);
        let property = key;
        if (!key.startsWith("...")) {
          const form = random(4);
          if (form === 1) property = `${key}${s()}=${s()}${pick(values)}${s()}`;
          else if (form === 2) property = `${key}${s()}:${s()}local${k}`;
          else if (form === 3) property = `${key}${s()}:${s()}local${k}${s()}=${s()}${pick(values)}`;
        }
        if (key === "[k]" && random(2) === 0) property = `[k]: local${k}`;
        properties.push(`${pick(spaces)}${property}`);
      }
      let params = `{${properties.join(",")}${random(3) === 0 ? "," : ""}${pick(spaces)}}`;
      if (random(4) === 0) params += `${pick(spaces)}=${pick(spaces)}{}`;
      if (random(3) === 0) params += `,${pick(spaces)}ctx`;
      const text = pick(heads).replace("%", params);
      let source: string;
      try {
        source = sourceOf(text);
      } catch {
        continue; // not valid JavaScript (a shorthand keyword, a computed shorthand): no function has this source
      }
      checked++;
      const fast = readSignatureFast(source);
      if (fast === undefined) continue;
      fastCount++;
      expect(fast, source).toEqual(readWithAcorn(source));
    }
    // Both paths are exercised: many lists are read fast, many are left to acorn.
    expect(checked).toBeGreaterThan(1000);
    expect(fastCount).toBeGreaterThan(200);
    expect(fastCount).toBeLessThan(checked);
  });
});
