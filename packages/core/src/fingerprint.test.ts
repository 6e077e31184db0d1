import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileForChild, run } from "./fixtures/child-process.js";
import { describe, expect, it } from "vitest";
import { fingerprint, isFingerprint, type Unfingerprintable } from "./fingerprint.js";

function fp(value: unknown): string {
  const result = fingerprint(value);
  if (!isFingerprint(result)) throw new Error(`expected a fingerprint, got ${result.reason}`);
  return result;
}

function refused(value: unknown): Unfingerprintable {
  const result = fingerprint(value);
  if (isFingerprint(result)) throw new Error("expected a refusal");
  return result;
}

describe("fingerprint", () => {
  it("is 64 hex digits, equal for equal primitives and different across kinds", () => {
    expect(fp(1)).toMatch(/^[0-9a-f]{64}$/);
    const values = [undefined, null, true, false, 0, 1, "1", 1n, "", "undefined", "null", "true", [], {}];
    const prints = values.map(fp);
    expect(new Set(prints).size).toBe(values.length);
    expect(values.map(fp)).toEqual(prints);
  });

  it("tells -0 from 0 and treats every NaN alike", () => {
    expect(fp(-0)).not.toBe(fp(0));
    expect(fp(Number.NaN)).toBe(fp(0 / 0));
    expect(fp([Number.NaN, -0])).toBe(fp([Number.NaN, -0]));
    expect(fp([0])).not.toBe(fp([-0]));
    expect(fp(Number.POSITIVE_INFINITY)).not.toBe(fp(Number.NEGATIVE_INFINITY));
  });

  it("keeps strings exact: length-prefixed, lone surrogates kept", () => {
    expect(fp("ab")).not.toBe(fp("a"));
    expect(fp(["ab", "c"])).not.toBe(fp(["a", "bc"]));
    expect(fp("\uD800")).not.toBe(fp("\uFFFD"));
    expect(fp("\uD800")).not.toBe(fp("\uDC00"));
    expect(fp("héllo 😀")).toBe(fp("héllo 😀"));
    const big = "x".repeat(1 << 20);
    expect(fp(big)).toBe(fp(`${"x".repeat((1 << 20) - 1)}x`));
    expect(fp(big)).not.toBe(fp(`${big}x`));
  });

  it("keeps array order and tells a hole from undefined", () => {
    expect(fp([1, 2])).not.toBe(fp([2, 1]));
    // biome-ignore lint/suspicious/noSparseArray: a hole on purpose
    expect(fp([, 1])).not.toBe(fp([undefined, 1]));
    expect(fp([[1], 2])).not.toBe(fp([1, [2]]));
  });

  it("hashes large numeric arrays as bytes, still by value and order", () => {
    const a = Array.from({ length: 1000 }, (_, i) => i * 0.5);
    const b = [...a];
    expect(fp(a)).toBe(fp(b));
    b[999] = 1;
    expect(fp(a)).not.toBe(fp(b));
    const c = [...a];
    c[0] = -0;
    expect(fp(a)).not.toBe(fp(c));
    const withNaN = [...a, Number.NaN];
    expect(fp(withNaN)).toBe(fp([...a, 0 / 0]));
    // A mixed array takes the general path and differs from the numeric one.
    expect(fp([...a.slice(0, 999), "1"])).not.toBe(fp(b));
  });

  it("ignores the key order of plain objects and Maps, and the order of Sets", () => {
    expect(fp({ a: 1, b: 2 })).toBe(fp({ b: 2, a: 1 }));
    expect(fp({ a: 1, b: 2 })).not.toBe(fp({ a: 2, b: 1 }));
    expect(fp({ a: undefined })).not.toBe(fp({}));
    expect(
      fp(
        new Map<unknown, unknown>([
          ["a", 1],
          [2, "b"],
        ]),
      ),
    ).toBe(
      fp(
        new Map<unknown, unknown>([
          [2, "b"],
          ["a", 1],
        ]),
      ),
    );
    expect(fp(new Map([["a", 1]]))).not.toBe(fp(new Map([["a", 2]])));
    expect(fp(new Map([["a", 1]]))).not.toBe(fp({ a: 1 }));
    expect(fp(new Set([1, 2, 3]))).toBe(fp(new Set([3, 1, 2])));
    expect(fp(new Set([1, 2]))).not.toBe(fp(new Set([1, 3])));
    expect(fp(new Set([1, 2]))).not.toBe(fp([1, 2]));
  });

  it("fingerprints Dates, typed arrays, Buffers, ArrayBuffers and RegExps by content and kind", () => {
    expect(fp(new Date(5))).toBe(fp(new Date(5)));
    expect(fp(new Date(5))).not.toBe(fp(new Date(6)));
    expect(fp(new Date(5))).not.toBe(fp(5));
    expect(fp(new Date(Number.NaN))).toBe(fp(new Date("not a date")));
    expect(fp(new Uint8Array([1, 2]))).toBe(fp(new Uint8Array([1, 2])));
    expect(fp(new Uint8Array([1, 2]))).not.toBe(fp(new Uint8Array([2, 1])));
    expect(fp(new Uint8Array([1, 2]))).not.toBe(fp(new Int8Array([1, 2])));
    expect(fp(new Uint8Array([1, 2]))).not.toBe(fp(Buffer.from([1, 2])));
    expect(fp(Buffer.from("hi"))).toBe(fp(Buffer.from("hi")));
    expect(fp(new Float64Array([1.5]))).toBe(fp(new Float64Array([1.5])));
    const backing = new Uint8Array([9, 1, 2, 9]);
    expect(fp(backing.subarray(1, 3))).toBe(fp(new Uint8Array([1, 2])));
    expect(fp(new Uint8Array([1, 2]).buffer)).not.toBe(fp(new Uint8Array([1, 2])));
    expect(fp(/a/g)).not.toBe(fp(/a/i));
  });

  it("handles cycles, and tells different cycles apart", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    const b: Record<string, unknown> = { name: "a" };
    b.self = b;
    expect(fp(a)).toBe(fp(b));
    const c: Record<string, unknown> = { name: "a" };
    c.self = { name: "a", self: c };
    expect(fp(c)).not.toBe(fp(a));
    const list: unknown[] = [1];
    list.push(list);
    expect(fp(list)).toBe(fp(list));
    const map = new Map<string, unknown>();
    map.set("me", map);
    expect(fp(map)).toMatch(/^[0-9a-f]{64}$/);
    // Shared (not cyclic) references are values like any other.
    const shared = { x: 1 };
    expect(fp([shared, shared])).toBe(fp([{ x: 1 }, { x: 1 }]));
  });

  it("refuses class instances, naming them, instead of flattening them", () => {
    class OpenAI {
      apiKey = "sk-secret";
    }
    expect(refused(new OpenAI()).reason).toBe("an instance of OpenAI");
    expect(refused({ client: new OpenAI() }).reason).toBe("an instance of OpenAI at .client");
    expect(refused([1, new OpenAI()]).reason).toBe("an instance of OpenAI at [1]");
    expect(refused(() => 1).reason).toBe("a function");
    expect(refused({ f() {} }).reason).toBe("a function at .f");
    expect(refused(Symbol.for("x")).reason).toBe("a symbol");
    expect(refused(new Proxy({}, {})).reason).toBe("a proxy");
    expect(refused(Object(1)).reason).toBe("a boxed primitive");
    expect(refused(new Map([["k", new OpenAI()]])).reason).toContain("an instance of OpenAI");
    expect(refused(Promise.resolve(1)).reason).toBe("an instance of Promise");
    expect(refused(new WeakMap()).reason).toBe("an instance of WeakMap");
  });

  it("never runs a getter: an accessor property is refused", () => {
    let ran = 0;
    const value = {
      get boom(): number {
        ran++;
        throw new Error("getter ran");
      },
    };
    expect(refused(value).reason).toBe("an accessor property at .boom");
    expect(ran).toBe(0);
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          ran++;
          throw new Error("trap ran");
        },
      },
    );
    expect(refused({ inner: proxy }).reason).toBe("a proxy at .inner");
    expect(ran).toBe(0);
  });

  it("refuses a value nested too deeply for the stack instead of throwing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(refused(deep).reason).toBe("a value nested too deeply");
  });

  it("refuses a value whose shared parts would make it exponential, and keeps ordinary sharing", () => {
    // Each level holds the one below twice: 2^40 places for 41 objects.
    let shared: unknown = [1];
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    expect(refused({ shared }).reason).toMatch(/^a value that shares its parts too much to fingerprint .* at \.shared/);
    // Rows that all point at one schema object: linear, fingerprinted, equal to unshared copies.
    const schema = { name: "string", score: "number" };
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ i, schema }));
    const copies = Array.from({ length: 20_000 }, (_, i) => ({ i, schema: { ...schema } }));
    expect(fingerprint(rows)).toBe(fingerprint(copies));
  });

  it("is the same in another process", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fingerprint-"));
    await compileForChild(new URL("./fingerprint.ts", import.meta.url), dir);
    const values = `[
      1, -0, Number.NaN, "héllo", 12n, null, undefined, true,
      [1, 2, [3]], { b: 1, a: { c: [new Date(7)] } },
      new Map([["x", 1], ["y", new Set([3, 2])]]), new Uint8Array([1, 2, 3]), Buffer.from("buf"),
      Array.from({ length: 100 }, (_, i) => i / 3), "x".repeat(100000),
    ]`;
    const script = join(dir, "child.mjs");
    await writeFile(
      script,
      `import { fingerprint } from "./fingerprint.js";\nconsole.log(JSON.stringify(${values}.map(fingerprint)));\n`,
    );
    const { stdout } = await run(process.execPath, [script]);
    const here = [
      1,
      -0,
      Number.NaN,
      "héllo",
      12n,
      null,
      undefined,
      true,
      [1, 2, [3]],
      { a: { c: [new Date(7)] }, b: 1 },
      new Map<string, unknown>([
        ["y", new Set([2, 3])],
        ["x", 1],
      ]),
      new Uint8Array([1, 2, 3]),
      Buffer.from("buf"),
      Array.from({ length: 100 }, (_, i) => i / 3),
      "x".repeat(100000),
    ].map(fp);
    expect(JSON.parse(stdout)).toEqual(here);
  });
});

describe("fingerprint of arrays and null-prototype objects", () => {
  it("includes an array's extra own keys, in any order; an accessor among them is refused unrun", () => {
    const tagged = (extra: Record<string, unknown>, values: unknown[] = [1, 2]) => Object.assign([...values], extra);
    expect(fp(tagged({ total: 1 }))).not.toBe(fp(tagged({ total: 2 })));
    expect(fp(tagged({ total: 1 }))).not.toBe(fp([1, 2]));
    expect(fp(tagged({ a: 1, b: 2 }))).toBe(fp(tagged({ b: 2, a: 1 })));
    expect(fp("xabc".match(/b/))).not.toBe(fp("abcx".match(/b/))); // same [ "b" ], another .index
    // A long array (its extra keys found without listing its indices) and a long sparse one.
    const long = Array.from({ length: 5000 }, (_, i) => i);
    expect(fp(tagged({ unit: "ms" }, long))).not.toBe(fp(long));
    expect(fp(tagged({ unit: "ms" }, long))).not.toBe(fp(tagged({ unit: "s" }, long)));
    const sparse = new Array(1e6);
    sparse[10] = 1;
    expect(fp(Object.assign(sparse.slice(), { unit: "ms" }))).not.toBe(fp(sparse));
    let ran = 0;
    const withGetter = Object.defineProperty(long.slice(), "meta", {
      enumerable: true,
      get() {
        ran++;
        return 1;
      },
    });
    expect(refused(withGetter).reason).toBe("an accessor property at .meta");
    expect(ran).toBe(0);
    // A symbol key is not part of the value (as for objects), and its getter never runs.
    const tagged5000 = Object.defineProperty(long.slice(), Symbol.toStringTag, {
      get() {
        ran++;
        return "Rows";
      },
    });
    expect(fp(tagged5000)).toBe(fp(long));
    expect(ran).toBe(0);
  });

  it("tells a null-prototype object from a plain one with the same keys, wherever it is", () => {
    const bare = (entries: Record<string, unknown>) => Object.assign(Object.create(null), entries);
    expect(fp(bare({ a: 1 }))).not.toBe(fp({ a: 1 }));
    expect(fp(bare({ a: 1, b: 2 }))).toBe(fp(bare({ b: 2, a: 1 })));
    expect(fp([bare({ a: 1 })])).not.toBe(fp([{ a: 1 }]));
    expect(fp(new Map([["k", bare({})]]))).not.toBe(fp(new Map([["k", {}]])));
  });

  it("encodes holes by position: sparse and dense arrays with the same present values differ", () => {
    // biome-ignore-start lint/suspicious/noSparseArray: holes on purpose
    expect(fp([, 1])).not.toBe(fp([1]));
    expect(fp([, 1])).not.toBe(fp([undefined, 1]));
    expect(fp([, , 1])).not.toBe(fp([, 1, ,]));
    expect(fp([1, , 2])).toBe(fp([1, , 2]));
    // biome-ignore-end lint/suspicious/noSparseArray: holes on purpose
    const sparse = new Array(10_000);
    sparse[3] = 1;
    sparse[9_000] = 2;
    const dense = Array.from({ length: 10_000 }, (_, i) => (i === 3 ? 1 : i === 9_000 ? 2 : undefined));
    expect(fp(sparse)).not.toBe(fp(dense));
    expect(fp(sparse)).not.toBe(fp([1, 2]));
  });

  it("depends on content, not on how the array was built or stored", () => {
    // Filled upwards (fast elements) or downwards from a huge length (a dictionary): same array.
    const up: number[] = [];
    const down: number[] = new Array(200_000);
    for (let i = 0; i < 200_000; i += 3) up[i] = i % 7 === 0 ? -0 : i / 3;
    up.length = 200_000;
    for (let i = 199_999; i >= 0; i--) if (i % 3 === 0) down[i] = i % 7 === 0 ? -0 : i / 3;
    expect(fp(up)).toBe(fp(down));
    // A whole numeric block, a long gap (walked by present indices), then strings.
    const mixed = (last: string) => {
      const a: unknown[] = Array.from({ length: 4096 }, (_, i) => i);
      a.length = 100_000;
      a[90_000] = "x";
      a[90_002] = last;
      return a;
    };
    expect(fp(mixed("y"))).toBe(fp(mixed("y")));
    expect(fp(mixed("y"))).not.toBe(fp(mixed("z")));
    const moved = mixed("y");
    moved[90_001] = moved[90_002];
    delete moved[90_002];
    expect(fp(moved)).not.toBe(fp(mixed("y")));
    // Blocks of numbers hashed as bytes still tell -0, NaN and a non-number at a block's edge.
    const numbers = Array.from({ length: 8193 }, (_, i) => i / 2);
    expect(fp(numbers)).toBe(fp([...numbers]));
    expect(fp(numbers)).not.toBe(fp(Object.assign([...numbers], { 4096: "2048" })));
    expect(fp(numbers)).not.toBe(fp(Object.assign([...numbers], { 4095: -0, 0: -0 })));
    expect(fp(Object.assign([...numbers], { 8192: Number.NaN }))).toBe(
      fp(Object.assign([...numbers], { 8192: 0 / 0 })),
    );
  });

  it("walks only the present elements of a sparse array", () => {
    // A sparse 1e8-element array costs about what a dense array of 10,000 strings costs (its
    // 1e8 indices were once all visited: 22 s), measured here against that baseline.
    const sparse = new Array(1e8);
    sparse[5] = "a";
    sparse[5e7] = "b";
    const dense = Array.from({ length: 10_000 }, (_, i) => `v${i}`);
    // The least of five rounds each: one pause of a busy machine in one round does not count.
    const time = (value: unknown) => {
      let best = Number.POSITIVE_INFINITY;
      for (let round = 0; round < 5; round++) {
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) fp(value);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    time(sparse);
    time(dense);
    expect(time(sparse)).toBeLessThan(20 * time(dense));
  });

  it("allocates nothing for an array's length before reading its elements", () => {
    // The largest possible array: a buffer for its length (32 GB) cannot be allocated at all.
    const huge = new Array(2 ** 32 - 1);
    huge[0] = "first";
    huge[2 ** 31] = "middle";
    expect(fp(huge)).toMatch(/^[0-9a-f]{64}$/);
  });
});
