// The cache over a store that answers with promises (a network store), and over stores that fail.
import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import type { CacheEntryInfo, CacheStore } from "./cache-store.js";
import { MemoryStore } from "./fixtures/memory-store.js";

/** The memory store behind promises: every answer comes a macrotask later, as from a network. */
class AsyncStore implements CacheStore {
  readonly inner = new MemoryStore();
  /** Writes handed over and not yet applied. */
  inFlight = 0;
  get(key: string): Promise<Uint8Array | undefined> {
    return later(() => this.inner.get(key));
  }
  set(key: string, data: Uint8Array, info?: { readonly node?: string }): Promise<void> {
    this.inFlight++;
    return later(() => {
      this.inFlight--;
      this.inner.set(key, data, info);
    });
  }
  delete(key: string): Promise<void> {
    return later(() => this.inner.delete(key));
  }
  clear(): Promise<void> {
    return later(() => this.inner.clear());
  }
  async *entries(): AsyncIterable<CacheEntryInfo> {
    for (const e of this.inner.entries()) yield await later(() => e);
  }
}

function later<T>(f: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(f());
      } catch (error) {
        reject(error);
      }
    }),
  );
}

/** A store whose get and set fail as `mode` says: throwing, or rejecting. */
function failing(mode: "throw" | "reject"): CacheStore & { calls: number } {
  const down = (): never => {
    throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  };
  const store = {
    calls: 0,
    get(): Promise<Uint8Array | undefined> | undefined {
      store.calls++;
      if (mode === "throw") down();
      return later(down);
    },
    set(): Promise<void> | undefined {
      store.calls++;
      if (mode === "throw") down();
      return later(down);
    },
    delete: () => undefined,
    clear: () => undefined,
    entries: () => [],
  };
  return store;
}

const modules = {
  a: ({ x }: { x: number }) => x + 1,
  b: async ({ a }: { a: number }) => a * 2,
  c: ({ a, b }: { a: number; b: number }) => a + b,
};

describe("an asynchronous CacheStore", () => {
  it("hits from the second run; execute settles after the store took every write", async () => {
    const store = new AsyncStore();
    let runs = 0;
    const counted = { ...modules, a: ({ x }: { x: number }) => (runs++, x + 1) };
    const dr = new Builder().withModules(counted).withCache({ store }).build();
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 6 });
    expect(store.inFlight).toBe(0);
    expect(store.inner.results().size).toBe(3);
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 6 });
    expect(runs).toBe(1);
    expect(dr.cache!.lastRun.map((e) => [e.node, e.outcome])).toEqual([
      ["a", "hit"],
      ["b", "hit"],
      ["c", "hit"],
    ]);
    // The entries know their node, so a delete by node reaches them.
    expect(await dr.cache!.delete({ node: "b" })).toBe(2); // the result and the last-entry record
    await dr.execute(["c"], { inputs: { x: 1 } });
    expect(dr.cache!.lastRun.map((e) => e.outcome)).toEqual(["hit", "miss", "hit"]);
    await dr.cache!.clear();
    expect(store.inner.map.size).toBe(0);
  });

  it("caches fan-out items per item, and explains a miss from the store", async () => {
    const store = new AsyncStore();
    const seen: string[] = [];
    const fan = {
      urls: parallelize(({ list }: { list: string[] }) => list),
      page: async ({ urls }: { urls: string }) => (seen.push(urls), urls.toUpperCase()),
      pages: collect(({ page }: { page: string[] }) => page.join(",")),
    };
    const dr = new Builder().withModules(fan).withCache({ store }).build();
    expect(await dr.execute(["pages"], { inputs: { list: ["a", "b"] } })).toEqual({ pages: "A,B" });
    expect(await dr.execute(["pages"], { inputs: { list: ["a", "c"] } })).toEqual({ pages: "A,C" });
    expect(seen).toEqual(["a", "b", "c"]);
    const pages = dr.cache!.lastRun.filter((e) => e.node === "page");
    expect(pages.map((e) => [e.taskId, e.outcome])).toEqual([
      ["urls[0]", "hit"],
      ["urls[1]", "miss"],
    ]);
    expect(pages[1]!.missReason).toEqual({ kind: "dependency", name: "urls" });
    expect(await dr.cache!.explain("page", "urls[1]")).toMatchObject({ outcome: "miss" });
  });
});

describe("a store that fails", () => {
  for (const mode of ["throw", "reject"] as const) {
    it(`(get and set ${mode === "throw" ? "throw" : "reject"}): every run succeeds, its nodes compute, one warning per run`, async () => {
      const store = failing(mode);
      const warnings: string[] = [];
      let runs = 0;
      const counted = { ...modules, a: ({ x }: { x: number }) => (runs++, x + 1) };
      const dr = new Builder()
        .withModules(counted)
        .withCache({ store, onWarning: (m) => warnings.push(m) })
        .build();
      expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 6 });
      expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 6 });
      expect(runs).toBe(2);
      expect(warnings).toHaveLength(2);
      for (const [i, run] of dr.cache!.runs.entries()) {
        expect(warnings[i]).toBe(
          `hamilton-ts cache: the cache store (a custom CacheStore) failed in run ${run}: connect ECONNREFUSED 127.0.0.1:6379. ` +
            "The run goes on without the cache (its nodes compute, nothing more is stored); the next run tries the store again.",
        );
      }
      // After the first failure the run leaves the store alone: one call per run.
      expect(store.calls).toBe(2);
      expect(dr.cache!.lastRun.map((e) => e.outcome)).toEqual(["miss", "miss", "miss"]);
      expect(dr.cache!.lastRun[1]!.missReason).toEqual({
        kind: "unkeyed",
        detail: "the cache store failed in this run (connect ECONNREFUSED 127.0.0.1:6379)",
      });
    });
  }

  it("a store that comes back is used again by the next run", async () => {
    const store = new AsyncStore();
    let down = true;
    const flaky: CacheStore = {
      get: (key) => (down ? Promise.reject(new Error("down")) : store.get(key)),
      set: (key, data, info) => (down ? Promise.reject(new Error("down")) : store.set(key, data, info)),
      delete: (key) => store.delete(key),
      clear: () => store.clear(),
      entries: () => store.entries(),
    };
    const warnings: string[] = [];
    const dr = new Builder()
      .withModules(modules)
      .withCache({ store: flaky, onWarning: (m) => warnings.push(m) })
      .build();
    await dr.execute(["c"], { inputs: { x: 1 } });
    down = false;
    await dr.execute(["c"], { inputs: { x: 1 } });
    await dr.execute(["c"], { inputs: { x: 1 } });
    expect(warnings).toHaveLength(1);
    expect(dr.cache!.lastRun.map((e) => e.outcome)).toEqual(["hit", "hit", "hit"]);
  });
});
