import { describe, expect, it } from "vitest";
import { readSignature } from "./signature.js";

function deps(fn: Function) {
  const s = readSignature(fn);
  if (!s.ok) throw new Error(`expected ok, got: ${s.reason}`);
  return s.dependencies.map((d) => (d.optional ? `${d.name}?` : d.name));
}

function reason(fn: Function): string {
  const s = readSignature(fn);
  if (s.ok) throw new Error("expected a rejection");
  return s.reason;
}

describe("readSignature", () => {
  it("reads destructured names from arrows, async arrows, declarations and methods", () => {
    expect(deps(({ a, b }: { a: number; b: number }) => a + b)).toEqual(["a", "b"]);
    expect(deps(async ({ a }: { a: number }) => a)).toEqual(["a"]);
    expect(
      deps(function named({ x, y }: { x: number; y: number }) {
        return x + y;
      }),
    ).toEqual(["x", "y"]);
    const module = {
      method({ p }: { p: number }) {
        return p;
      },
      async *gen({ q }: { q: number }) {
        yield q;
      },
    };
    expect(deps(module.method)).toEqual(["p"]);
    expect(deps(module.gen)).toEqual(["q"]);
  });

  it("marks defaults as optional, and survives tricky default values", () => {
    // Built from text: a regex literal with `)}]` in a parameter default is valid JavaScript that
    // the repository's formatter cannot parse in a source file.
    const fn = new Function(
      "return ({ model = 'gpt-4o-mini', pattern = /[)}\\]]+/g, text = `a ${'(' + ')'} }`, " +
        "nested = { a: [1, 2, { b: '}' }] }, call = Math.max(1, 2), plain, }) => [model, pattern, text, nested, call, plain]",
    )() as Function;
    expect(deps(fn)).toEqual(["model?", "pattern?", "text?", "nested?", "call?", "plain"]);
  });

  it("uses the key, not the local name, of renamed and nested patterns", () => {
    const fn = ({ llmClient: client, config: { depth } }: { llmClient: unknown; config: { depth: number } }) => [
      client,
      depth,
    ];
    expect(deps(fn)).toEqual(["llmClient", "config"]);
  });

  it("reads quoted and keyword keys, pattern defaults, trailing commas and nested defaults", () => {
    const fn = new Function(
      'return ({ "my-input": a, default: b, class: { c } = {}, d: [e] = [], }, ctx,) => [a, b, c, e, ctx]',
    )() as Function;
    expect(readSignature(fn)).toEqual({
      ok: true,
      dependencies: [
        { name: "my-input", optional: false },
        { name: "default", optional: false },
        { name: "class", optional: true },
        { name: "d", optional: true },
      ],
      usesContext: true,
    });
    const withDefault = new Function("return function ({ a, b = `${a}` } = {}) { return a + b }")() as Function;
    expect(deps(withDefault)).toEqual(["a", "b?"]);
  });

  it("reads minified code, whose object-pattern keys survive renaming", () => {
    const minified = new Function('return ({llmClient:a,model:b="gpt-4o-mini"},c)=>a.chat(b,c)')() as Function;
    const s = readSignature(minified);
    expect(s).toEqual({
      ok: true,
      dependencies: [
        { name: "llmClient", optional: false },
        { name: "model", optional: true },
      ],
      usesContext: true,
    });
  });

  it("treats zero parameters, {} and _-names as sources, and notices the context parameter", () => {
    expect(readSignature(() => 1)).toEqual({ ok: true, dependencies: [], usesContext: false });
    expect(readSignature(({}) => 1)).toEqual({ ok: true, dependencies: [], usesContext: false });
    expect(readSignature((_: unknown, ctx: unknown) => ctx)).toEqual({ ok: true, dependencies: [], usesContext: true });
    expect(readSignature((_deps: unknown) => 1)).toEqual({ ok: true, dependencies: [], usesContext: false });
    expect(readSignature(new Function("return x => 1")())).toMatchObject({ ok: false });
  });

  it("rejects parameters that name no dependencies, saying why", () => {
    expect(reason((a: number) => a)).toMatch(/first parameter is `a`, not a destructured object/);
    expect(reason((...args: unknown[]) => args)).toMatch(/rest element/);
    expect(reason(({ a, ...rest }: Record<string, unknown>) => [a, rest])).toMatch(/rest element/);
    const key = "k";
    expect(reason(({ [key]: v }: Record<string, unknown>) => v)).toMatch(/computed key/);
    expect(reason(([a]: number[]) => a)).toMatch(/not a destructured object/);
    expect(reason((_a: unknown, _b: unknown, _c: unknown) => 1)).toMatch(/3 parameters/);
  });

  it("rejects native functions, bound functions and classes", () => {
    expect(reason(Math.max)).toMatch(/native or bound/);
    expect(reason((({ a }: { a: number }) => a).bind(null))).toMatch(/native or bound/);
    class Thing {}
    expect(reason(Thing)).toMatch(/class/);
  });

  it("caches per function object", () => {
    const fn = ({ a }: { a: number }) => a;
    expect(readSignature(fn)).toBe(readSignature(fn));
  });
});
