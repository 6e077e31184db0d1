import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SUMMARY_LIMITS,
  errorInfo,
  redactHead,
  summarize as summarizeWithin,
  summarizeRecord,
  type SummaryLimits,
} from "./summarize.js";

// These tests check what a summary holds, so they get a time budget a loaded machine cannot
// exhaust; the budget itself has its own test ("stops when the time budget is spent").
const L: SummaryLimits = { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: 60_000 };
const limits = (over: Partial<SummaryLimits>): SummaryLimits => ({ ...L, ...over });
const summarize = (value: unknown, within: SummaryLimits = L, name?: string) => summarizeWithin(value, within, name);

describe("summarize: primitives", () => {
  it("records numbers, booleans, null, undefined, bigints and symbols by value", () => {
    expect(summarize(6)).toEqual({ kind: "primitive", type: "number", value: 6 });
    expect(summarize(Number.NaN)).toEqual({ kind: "primitive", type: "number", value: "NaN" });
    expect(summarize(-Infinity)).toEqual({ kind: "primitive", type: "number", value: "-Infinity" });
    expect(summarize(true)).toEqual({ kind: "primitive", type: "boolean", value: true });
    expect(summarize(null)).toEqual({ kind: "primitive", type: "null", value: null });
    expect(summarize(undefined)).toEqual({ kind: "primitive", type: "undefined", value: null });
    expect(summarize(10n ** 30n)).toEqual({
      kind: "primitive",
      type: "bigint",
      value: "1000000000000000000000000000000",
    });
    expect(summarize(Symbol("s"))).toEqual({ kind: "primitive", type: "symbol", value: "s" });
  });

  it("records strings by length and a bounded preview", () => {
    expect(summarize("hello")).toEqual({ kind: "string", length: 5, preview: "hello", truncated: false });
    const long = "x".repeat(1000);
    expect(summarize(long, limits({ maxStringPreview: 10 }))).toEqual({
      kind: "string",
      length: 1000,
      preview: "x".repeat(10),
      truncated: true,
    });
  });

  it("never cuts a preview between the halves of an emoji (a lone half is not text, and PostgreSQL refuses it)", () => {
    const s = summarize("😀".repeat(20), limits({ maxStringPreview: 7 }));
    expect(s).toEqual({ kind: "string", length: 40, preview: "😀😀😀", truncated: true });
    expect(JSON.stringify(s)).not.toMatch(/\\ud/);
  });

  it("records functions by name", () => {
    expect(summarize(function named() {})).toEqual({ kind: "function", name: "named" });
  });
});

describe("summarize: collections", () => {
  it("records arrays by length and their first items", () => {
    const s = summarize(["a", { b: 1 }, null, "d"], limits({ maxItems: 2 }));
    expect(s).toEqual({
      kind: "array",
      length: 4,
      items: [
        { kind: "string", length: 1, preview: "a", truncated: false },
        {
          kind: "object",
          type: "Object",
          size: 1,
          entries: { b: { kind: "primitive", type: "number", value: 1 } },
          truncated: false,
        },
      ],
      truncated: true,
    });
  });

  it("records an array of numbers with Hamilton's column statistics", () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, Number.NaN, 0]);
    expect(s).toMatchObject({
      kind: "numeric_array",
      type: "Array",
      length: 13,
      count: 11,
      missing: 2,
      zeros: 1,
      min: 0,
      max: 10,
      sampled: false,
    });
    if (s.kind !== "numeric_array") throw new Error("not numeric");
    expect(s.mean).toBeCloseTo(5, 10);
    expect(s.head).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Object.keys(s.quantiles!)).toEqual(["0.1", "0.25", "0.5", "0.75", "0.9"]);
    expect(s.histogram).toHaveLength(10);
    expect(s.histogram.reduce((n, b) => n + b.count, 0)).toBe(11);
  });

  it("records typed arrays of numbers as numeric arrays, byte arrays as binary", () => {
    expect(summarize(new Float64Array([1.5, 2.5]))).toMatchObject({
      kind: "numeric_array",
      type: "Float64Array",
      count: 2,
      mean: 2,
    });
    expect(summarize(Buffer.from("abc"))).toEqual({ kind: "binary", type: "Buffer", byteLength: 3 });
    expect(summarize(new Uint8Array(5))).toEqual({ kind: "binary", type: "Uint8Array", byteLength: 5 });
    expect(summarize(new ArrayBuffer(8))).toEqual({ kind: "binary", type: "ArrayBuffer", byteLength: 8 });
  });

  it("bounds numeric statistics to the first maxStatsItems values", () => {
    const s = summarize([1, 2, 3, 1000], limits({ maxStatsItems: 3 }));
    expect(s).toMatchObject({ kind: "numeric_array", length: 4, count: 3, max: 3, sampled: true });
  });

  it("records plain objects by their first keys, with the key count", () => {
    const value: Record<string, number> = {};
    for (let i = 0; i < 30; i++) value[`k${i}`] = i;
    const s = summarize(value, limits({ maxKeys: 3 }));
    expect(s).toEqual({
      kind: "object",
      type: "Object",
      size: 30,
      entries: {
        k0: { kind: "primitive", type: "number", value: 0 },
        k1: { kind: "primitive", type: "number", value: 1 },
        k2: { kind: "primitive", type: "number", value: 2 },
      },
      truncated: true,
    });
    expect(summarize(Object.create(null) as object)).toMatchObject({ kind: "object", type: "null-prototype", size: 0 });
  });

  it("stops counting keys at maxCountKeys", () => {
    const value: Record<string, number> = {};
    for (let i = 0; i < 50; i++) value[`k${i}`] = i;
    expect(summarize(value, limits({ maxCountKeys: 10, maxKeys: 2 }))).toMatchObject({ size: 10, truncated: true });
  });

  it("records Maps and Sets by size and first entries", () => {
    expect(
      summarize(
        new Map<unknown, unknown>([
          ["a", 1],
          [{}, 2],
        ]),
      ),
    ).toEqual({
      kind: "object",
      type: "Map",
      size: 2,
      entries: {
        a: { kind: "primitive", type: "number", value: 1 },
        "[Object]": { kind: "primitive", type: "number", value: 2 },
      },
      truncated: false,
    });
    expect(summarize(new Set([1, 2, 3]), limits({ maxItems: 1 }))).toEqual({
      kind: "set",
      size: 3,
      items: [{ kind: "primitive", type: "number", value: 1 }],
      truncated: true,
    });
  });

  it("stops at maxDepth", () => {
    expect(summarize({ a: { b: { c: 1 } } }, limits({ maxDepth: 2 }))).toEqual({
      kind: "object",
      type: "Object",
      size: 1,
      entries: {
        a: {
          kind: "object",
          type: "Object",
          size: 1,
          entries: { b: { kind: "truncated", reason: "depth" } },
          truncated: false,
        },
      },
      truncated: false,
    });
  });

  it("stops when the time budget is spent", () => {
    // A negative budget is spent as soon as it starts: only the outermost container is summarised.
    const s = summarize([[1], [2]], limits({ timeBudgetMs: -1 }));
    expect(s).toEqual({
      kind: "array",
      length: 2,
      items: [
        { kind: "truncated", reason: "time" },
        { kind: "truncated", reason: "time" },
      ],
      truncated: false,
    });
  });
});

describe("summarize: the time budget is real", () => {
  /**
   * The least milliseconds of `f` over `runs` runs: what it costs when the machine lets it run
   * (a busy machine only ever adds time, so the minimum is the stable figure).
   */
  function time(f: () => unknown, runs = 7): number {
    let least = Infinity;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      f();
      least = Math.min(least, performance.now() - started);
    }
    return least;
  }

  // CPU-heavy (300,000 keys, timed twice): a generous budget for a busy machine.
  it("an object with hundreds of thousands of keys costs what listing its keys costs", { timeout: 180_000 }, () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 300_000; i++) big[`key${i}`] = i;
    const listing = time(() => Object.keys(big));
    const summary = time(() => summarize(big, DEFAULT_SUMMARY_LIMITS));
    expect(summary).toBeLessThan(3 * listing + 20);
    // Listing the keys spends the budget: what comes after is cut. (On a busy machine the 1 ms
    // can also pass before the object is started: a few tries, the first that starts it counts.)
    // The second item is an array, so the two are not rows of a table (whose detection would list
    // the big object's keys first).
    let s: ReturnType<typeof summarize> | undefined;
    for (let i = 0; i < 5; i++) {
      s = summarize([big, [{ a: { b: 1 } }]], { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: 1 });
      if ((s as { items?: { kind: string }[] }).items?.[0]?.kind === "object") break;
    }
    expect(s).toMatchObject({
      kind: "array",
      items: [
        { kind: "object", size: 10_000, truncated: true },
        { kind: "truncated", reason: "time" },
      ],
    });
  });

  it("stops at the budget inside an array of hostile strings (each string counts against it)", () => {
    // Text that makes pattern-based redaction work hard.
    const hostile = "apikey".repeat(76);
    const value = Array.from({ length: 10 }, () =>
      Array.from({ length: 20 }, () => Array.from({ length: 10 }, () => hostile)),
    );
    const one = time(() => summarize(hostile, DEFAULT_SUMMARY_LIMITS), 21);
    // 10 × 10 × 10 strings are summarized (maxItems): a budget of a hundredth of what they cost
    // without one, measured here, so that it runs out on any machine, fast or slow — also when a
    // busy machine slowed every measuring run tenfold and then the timed run not at all.
    const unbounded = time(() => summarize(value, { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: 1e9 }), 5);
    const limits = { ...DEFAULT_SUMMARY_LIMITS, timeBudgetMs: unbounded / 100 };
    const all = time(() => summarize(value, limits));
    // The budget is overrun by at most one step (one string), wherever the strings sit. With a
    // clock read per container only, the last container's ten strings all ran past it.
    expect(all).toBeLessThan(4 * one + 3 * limits.timeBudgetMs);
    expect(JSON.stringify(summarize(value, limits))).toContain('"reason":"time"');
  });

  it("cuts long keys like previews", () => {
    const key = `${"k".repeat(5_000)} sk-abcdefghijklmnopqrstuvwx`;
    const s = summarize({ [key]: 1 }, limits({ maxStringPreview: 20 }));
    expect(Object.keys((s as { entries: object }).entries)).toEqual([`${"k".repeat(20)}…`]);
  });
});

describe("summarize: dates, errors, instances", () => {
  it("records dates as ISO strings, invalid dates as null", () => {
    expect(summarize(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toEqual({
      kind: "date",
      value: "2024-01-02T03:04:05.000Z",
    });
    expect(summarize(new Date(Number.NaN))).toEqual({ kind: "date", value: null });
  });

  it("records errors by type and message", () => {
    expect(summarize(new TypeError("bad"))).toEqual({ kind: "error", type: "TypeError", message: "bad" });
  });

  it("names generators (a fan-out source) as generators, without iterating them", () => {
    let pulled = 0;
    function* items() {
      pulled++;
      yield 1;
    }
    async function* pages() {
      pulled++;
      yield 1;
    }
    expect(summarize(items())).toEqual({ kind: "instance", type: "generator" });
    expect(summarize(pages())).toEqual({ kind: "instance", type: "async generator" });
    expect(summarize({ source: items() })).toMatchObject({
      entries: { source: { kind: "instance", type: "generator" } },
    });
    expect(pulled).toBe(0);
    // An object that only looks like one keeps its class name.
    class Pages {
      next() {
        return { done: true, value: undefined };
      }
      [Symbol.iterator]() {
        return this;
      }
    }
    expect(summarize(new Pages())).toEqual({ kind: "instance", type: "Pages" });
  });

  it("records class instances by type name only, never their fields", () => {
    class Holder {
      secretish = "do-not-store";
    }
    expect(summarize(new Holder())).toEqual({ kind: "instance", type: "Holder" });
    expect(JSON.stringify(summarize(new Holder()))).not.toContain("do-not-store");
    expect(summarize(Promise.resolve(1))).toEqual({ kind: "instance", type: "Promise" });
  });

  it("never serialises an OpenAI client (it holds the API key)", () => {
    const client = new OpenAI({ apiKey: "sk-live-0123456789abcdefghij", baseURL: "http://127.0.0.1:9/v1" });
    expect(summarize(client)).toEqual({ kind: "instance", type: "OpenAI" });
    const nested = summarize({ client, clients: [client], byName: new Map([["c", client]]) });
    const text = JSON.stringify(nested);
    expect(text).not.toContain("sk-live");
    expect(text).toContain('"type":"OpenAI"');
  });
});

describe("summarize: failures and secrets", () => {
  it("names a getter and never runs it (a throwing one cannot fail the summary)", () => {
    let calls = 0;
    const hostile = {
      plain: 1,
      get boom(): number {
        calls++;
        throw new Error("getter exploded");
      },
      get slow(): number {
        calls++;
        return 2;
      },
    };
    expect(summarize(hostile)).toEqual({
      kind: "object",
      type: "Object",
      size: 3,
      entries: {
        plain: { kind: "primitive", type: "number", value: 1 },
        boom: { kind: "function", name: "get boom" },
        slow: { kind: "function", name: "get slow" },
      },
      truncated: false,
    });
    // Nested, in a Map, as an error's message, as a class's name: still never run.
    summarize([{ deeper: hostile }, new Map([["h", hostile]])]);
    const error = Object.defineProperty(new Error("x"), "message", { get: () => (calls++, "m") });
    expect(summarize(error)).toEqual({ kind: "error", type: "Error", message: "" });
    expect(errorInfo(error)).toMatchObject({ message: "", stack: undefined });
    class Named {
      static get name(): string {
        calls++;
        return "Getter";
      }
    }
    expect(summarize(new Named())).toEqual({ kind: "instance", type: "anonymous class" });
    expect(calls).toBe(0);
  });

  it("never runs a proxy's traps: a proxy is named, not read", () => {
    let traps = 0;
    const proxy = new Proxy(
      { a: 1 },
      {
        getPrototypeOf() {
          traps++;
          throw new Error("no prototype for you");
        },
        ownKeys() {
          traps++;
          return [];
        },
        get() {
          traps++;
          return 1;
        },
      },
    );
    expect(summarize(proxy)).toEqual({ kind: "instance", type: "Proxy" });
    expect(summarize({ p: proxy })).toMatchObject({ entries: { p: { kind: "instance", type: "Proxy" } } });
    expect(errorInfo(proxy)).toMatchObject({ type: "Proxy", message: "a thrown Proxy" });
    expect(traps).toBe(0);
  });

  it("ignores a value's own replacements of the built-ins' methods (Map and Set iterators, sizes)", () => {
    let calls = 0;
    const map = new Map([["a", 1]]);
    Object.defineProperty(map, Symbol.iterator, { value: () => (calls++, [][Symbol.iterator]()) });
    Object.defineProperty(map, "size", { get: () => (calls++, 99) });
    expect(summarize(map)).toMatchObject({ kind: "object", type: "Map", size: 1, entries: { a: { value: 1 } } });
    expect(calls).toBe(0);
  });

  it("redacts secret-looking keys at every level", () => {
    const s = summarize({
      user: "ada",
      apiKey: "abc",
      nested: { password: "p", deeper: { access_token: "t", maxTokens: 10 } },
    });
    const text = JSON.stringify(s);
    expect(text).not.toContain('"abc"');
    expect(text).not.toMatch(/"preview":"p"|"preview":"t"/);
    expect(s).toMatchObject({
      entries: {
        user: { kind: "string", preview: "ada" },
        apiKey: { kind: "redacted" },
        nested: {
          entries: {
            password: { kind: "redacted" },
            deeper: { entries: { access_token: { kind: "redacted" }, maxTokens: { kind: "primitive", value: 10 } } },
          },
        },
      },
    });
    expect(summarize(new Map([["Authorization", "Bearer x"]]))).toMatchObject({
      entries: { Authorization: { kind: "redacted" } },
    });
  });

  it("redacts the whole value when its own name looks like a secret", () => {
    expect(summarize("abc", L, "openaiApiKey")).toEqual({ kind: "redacted" });
    expect(summarize(3, L, "count")).toEqual({ kind: "primitive", type: "number", value: 3 });
  });

  it("redacts key-shaped text inside strings", () => {
    expect(summarize("use sk-abcdefghijklmnopqrstuvwx please")).toMatchObject({ preview: "use [REDACTED] please" });
  });

  it("redacts a key that straddles the preview's end (redaction comes before truncation)", () => {
    const s = summarize(`${"x".repeat(194)} sk-abcdefghijklmnopqrstuvwx`, limits({ maxStringPreview: 200 }));
    expect(s).toMatchObject({ kind: "string", length: 222, truncated: true });
    expect(JSON.stringify(s)).not.toContain("sk-ab");
  });
});

describe("summarizeRecord", () => {
  it("summarises every entry, redacting by key, skipping what the caller skips", () => {
    const out = summarizeRecord({ apiKey: "k", question: "why?", model: "m" }, L, (key) => key === "model");
    expect(out).toEqual({
      apiKey: { kind: "redacted" },
      question: { kind: "string", length: 4, preview: "why?", truncated: false },
    });
  });

  it("names an entry that is a getter, and never runs it", () => {
    let calls = 0;
    const record = Object.defineProperty({}, "bad", {
      enumerable: true,
      get() {
        calls++;
        throw new Error("nope");
      },
    }) as Record<string, unknown>;
    expect(summarizeRecord(record)).toEqual({ bad: { kind: "function", name: "get bad" } });
    expect(calls).toBe(0);
  });
});

describe("errorInfo", () => {
  it("keeps type, message, stack and one level of cause", () => {
    const root = new RangeError("root cause");
    const error = new Error("outer", { cause: root });
    const info = errorInfo(error);
    expect(info.type).toBe("Error");
    expect(info.message).toBe("outer");
    expect(info.stack).toContain("summarize.test.ts");
    expect(info.cause).toMatchObject({ type: "RangeError", message: "root cause" });
  });

  it("describes thrown non-errors", () => {
    expect(errorInfo("plain string")).toEqual({
      type: "string",
      message: "plain string",
      stack: undefined,
      cause: undefined,
    });
    expect(errorInfo({ code: 1 })).toMatchObject({ type: "Object", message: "a thrown Object" });
    expect(errorInfo(null)).toMatchObject({ type: "null", message: "null" });
  });

  it("bounds and redacts messages and stacks", () => {
    const error = new Error(`failed with password=hunter2 ${"x".repeat(100)}`);
    const info = errorInfo(error, { ...DEFAULT_SUMMARY_LIMITS, maxErrorMessage: 40 });
    expect(info.message).toBe("failed with password=[REDACTED] xxxxxxxx…");
    expect(info.stack).not.toContain("hunter2");
  });
});

describe("redactHead", () => {
  it("keeps short text whole, cuts long text to max, and says which", () => {
    expect(redactHead("hello", 10)).toEqual({ text: "hello", truncated: false });
    expect(redactHead("hello world", 5)).toEqual({ text: "hello", truncated: true });
  });

  it("redacts before cutting, so a secret across the boundary is still caught", () => {
    const text = `${"x".repeat(8)} sk-abcdefghijklmnopqrstuvwxyz`;
    expect(redactHead(text, 12)).toEqual({ text: "xxxxxxxx [RE", truncated: true });
  });

  it("marks a cut that only redaction made (the redacted text outgrew max)", () => {
    expect(redactHead('password="a"', 12)).toEqual({ text: 'password="[R', truncated: true });
  });

  it("takes the limits the options allow: a fractional one counts as its whole part, Infinity as none", () => {
    expect(redactHead("hello world", 5.7)).toEqual({ text: "hello", truncated: true });
    expect(redactHead("hello world", Infinity)).toEqual({ text: "hello world", truncated: false });
    expect(summarize("hello world", limits({ maxStringPreview: Infinity }))).toMatchObject({
      preview: "hello world",
      truncated: false,
    });
  });
});
