import { describe, expect, it } from "vitest";
import { value } from "./bindings.js";
import { Builder } from "./builder.js";
import type { CacheLogEntry } from "./cache.js";
import { MemoryStore } from "./fixtures/memory-store.js";
import { subdag } from "./subdag.js";

function keys(log: readonly CacheLogEntry[]): Record<string, string | undefined> {
  return Object.fromEntries(log.map((e) => [e.node, e.key]));
}
function outcomes(log: readonly CacheLogEntry[]): Record<string, string> {
  return Object.fromEntries(log.map((e) => [e.node, e.outcome]));
}

// a -> b -> c, and side (independent of a).
const chain = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a }: { a: number }) => a * 2,
  c: ({ b, side }: { b: number; side: number }) => b + side,
  side: () => 100,
};

describe("cache keys: nothing stale is served", () => {
  it("an input change changes the key of every node downstream of it, and only those", async () => {
    const store = new MemoryStore();
    const dr = new Builder().withModules(chain).withCache({ store }).build();
    await dr.execute(["c"], { inputs: { x: 1 } });
    const before = keys(dr.cache!.lastRun);
    expect(await dr.execute(["c"], { inputs: { x: 2 } })).toEqual({ c: 106 });
    const after = keys(dr.cache!.lastRun);
    expect(after.a).not.toBe(before.a);
    expect(after.b).not.toBe(before.b);
    expect(after.c).not.toBe(before.c);
    expect(after.side).toBe(before.side);
    expect(outcomes(dr.cache!.lastRun)).toEqual({ side: "hit", a: "miss", b: "miss", c: "miss" });
    // Back to the first input: everything hits, with the first values.
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 104 });
    expect(outcomes(dr.cache!.lastRun)).toEqual({ side: "hit", a: "hit", b: "hit", c: "hit" });
  });

  it("a change to a node's code changes its key and everything downstream", async () => {
    const store = new MemoryStore();
    const first = new Builder().withModules(chain).withCache({ store }).build();
    await first.execute(["c"], { inputs: { x: 1 } });
    const changed = { ...chain, b: ({ a }: { a: number }) => a * 3 };
    const second = new Builder().withModules(changed).withCache({ store }).build();
    expect(await second.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 106 });
    expect(outcomes(second.cache!.lastRun)).toEqual({ side: "hit", a: "hit", b: "miss", c: "miss" });
    const k1 = keys(first.cache!.lastRun);
    const k2 = keys(second.cache!.lastRun);
    expect(k2.b).not.toBe(k1.b);
    expect(k2.c).not.toBe(k1.c);
  });

  it("a changed upstream value changes the keys downstream even when its code did not change", async () => {
    const store = new MemoryStore();
    let value = 100;
    const modules = { ...chain, side: node100() };
    function node100() {
      // The closure is invisible to the code version: recompute is the way out.
      return () => value;
    }
    const recompute = new Builder()
      .withModules(modules)
      .withCache({ store, nodes: { side: "recompute" } })
      .build();
    expect(await recompute.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 104 });
    value = 5;
    expect(await recompute.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 9 });
    expect(outcomes(recompute.cache!.lastRun)).toEqual({ side: "recompute", a: "hit", b: "hit", c: "miss" });
  });

  it("an override is fingerprinted by value: it changes the keys downstream and never serves the computed value", async () => {
    const store = new MemoryStore();
    const dr = new Builder().withModules(chain).withCache({ store }).build();
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 104 });
    expect(await dr.execute(["c"], { inputs: { x: 1 }, overrides: { b: 50 } })).toEqual({ c: 150 });
    expect(outcomes(dr.cache!.lastRun)).toEqual({ side: "hit", c: "miss" });
    expect(await dr.execute(["c"], { inputs: { x: 1 }, overrides: { b: 51 } })).toEqual({ c: 151 });
    expect(await dr.execute(["c"], { inputs: { x: 1 }, overrides: { b: 50 } })).toEqual({ c: 150 });
    expect(outcomes(dr.cache!.lastRun)).toEqual({ side: "hit", c: "hit" });
    // An override equal to the computed value is the same data version: a hit, and a right one.
    expect(await dr.execute(["c"], { inputs: { x: 1 }, overrides: { b: 4 } })).toEqual({ c: 104 });
    expect(outcomes(dr.cache!.lastRun)).toEqual({ side: "hit", c: "hit" });
  });

  it("a config change changes every key; key order of inputs and objects does not", async () => {
    const store = new MemoryStore();
    const modules = { total: ({ row }: { row: Record<string, number> }) => Object.values(row).reduce((a, b) => a + b) };
    const build = (config: Record<string, unknown>) =>
      new Builder().withModules(modules).withConfig(config).withCache({ store }).build();
    const one = build({ region: "eu" });
    await one.execute(["total"], { inputs: { row: { a: 1, b: 2 } } });
    const same = build({ region: "eu" });
    await same.execute(["total"], { inputs: { row: { b: 2, a: 1 } } });
    expect(outcomes(same.cache!.lastRun)).toEqual({ total: "hit" });
    const other = build({ region: "us" });
    await other.execute(["total"], { inputs: { row: { a: 1, b: 2 } } });
    expect(outcomes(other.cache!.lastRun)).toEqual({ total: "miss" });
  });

  it("a subdag's inputs are part of its nodes' code version", async () => {
    const store = new MemoryStore();
    let runs = 0;
    const inner = { scaled: ({ factor, base }: { factor: number; base: number }) => (runs++, factor * base) };
    const outer = (factor: number) => ({
      base: () => 10,
      result: subdag([inner], { inputs: { factor: value(factor) } }, ({ scaled }: { scaled: number }) => scaled),
    });
    const run = (factor: number) =>
      new Builder()
        .withModules(outer(factor) as never)
        .withCache({ store })
        .build()
        .execute(["result"] as never) as Promise<Record<string, unknown>>;
    expect(await run(2)).toEqual({ result: 20 });
    expect(await run(3)).toEqual({ result: 30 });
    expect(await run(2)).toEqual({ result: 20 });
    expect(runs).toBe(2);
  });

  it("two concurrent runs writing one key leave one whole entry that the next run hits", async () => {
    const store = new MemoryStore();
    let started = 0;
    let release!: () => void;
    const both = new Promise<void>((resolve) => (release = resolve));
    const modules = {
      slow: async ({ q }: { q: string }) => {
        if (++started === 2) release();
        await both;
        return { answer: q.toUpperCase(), at: new Date(0) };
      },
    };
    const dr = new Builder().withModules(modules).withCache({ store }).build();
    const [r1, r2] = await Promise.all([
      dr.execute(["slow"], { inputs: { q: "why" } }),
      dr.execute(["slow"], { inputs: { q: "why" } }),
    ]);
    expect(r1).toEqual(r2);
    expect(store.results().size).toBe(1);
    const again = await new Builder()
      .withModules(modules)
      .withCache({ store })
      .build()
      .execute(["slow"], {
        inputs: { q: "why" },
      });
    expect(again).toEqual(r1);
    expect(started).toBe(2);
  });
});
