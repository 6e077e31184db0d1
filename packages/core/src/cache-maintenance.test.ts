// Keeping the store in bounds: withCache({ maxAgeMs, maxBytes }) after each run, and
// driver.cache.delete / clear, over the memory store, an asynchronous one and the file store.
import { mkdtempSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import type { CacheOptions } from "./cache.js";
import { HamiltonError } from "./errors.js";
import { MemoryStore } from "./fixtures/memory-store.js";

const HOUR = 3_600_000;

const modules = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a }: { a: number }) => "b".repeat(a),
  c: ({ b }: { b: string }) => b.length,
};

function build(options: CacheOptions) {
  return new Builder().withModules(modules).withCache(options).build();
}

/** A foreign entry in a memory store, with the times given. */
function plant(store: MemoryStore, key: string, bytes: number, storedAt: number, lastUsedAt = storedAt): void {
  store.map.set(key, new Uint8Array(bytes));
  store.info.set(key, { node: undefined, storedAt, lastUsedAt });
}

describe("withCache({ maxAgeMs, maxBytes })", () => {
  it("after a run, deletes entries older than maxAgeMs, and logs each", async () => {
    const store = new MemoryStore();
    const now = Date.now();
    plant(store, "old", 10, now - 2 * HOUR);
    plant(store, "recent", 10, now - HOUR / 2);
    const dr = build({ store, maxAgeMs: HOUR });
    await dr.execute(["c"], { inputs: { x: 1 } });
    expect(store.map.has("old")).toBe(false);
    expect(store.map.has("recent")).toBe(true);
    expect(store.results().size).toBe(4); // a, b, c and "recent"
    expect(dr.cache!.logs().filter((e) => e.event === "evicted")).toEqual([
      { event: "evicted", node: undefined, taskId: undefined, key: "old", detail: "maxAgeMs" },
    ]);
  });

  it("reads an entry older than maxAgeMs as a miss, though it is still in the store", async () => {
    const store = new MemoryStore();
    let runs = 0;
    const dr = new Builder()
      .withModules({ a: ({ x }: { x: number }) => (runs++, x) })
      .withCache({ store, maxAgeMs: HOUR })
      .build();
    await dr.execute(["a"], { inputs: { x: 1 } });
    // The entry says it was written two hours ago (the store's own times say now).
    const [key, bytes] = [...store.results()][0]!;
    const entry = deserialize(bytes) as Record<string, unknown>;
    store.map.set(key, serialize({ ...entry, storedAt: Date.now() - 2 * HOUR }));
    await dr.execute(["a"], { inputs: { x: 1 } });
    expect(runs).toBe(2);
    expect(dr.cache!.lastRun[0]!.outcome).toBe("miss");
    await dr.execute(["a"], { inputs: { x: 1 } });
    expect(dr.cache!.lastRun[0]!.outcome).toBe("hit");
  });

  it("beyond maxBytes deletes the least recently used first, and keeps what the run used", async () => {
    const store = new MemoryStore();
    const now = Date.now();
    plant(store, "used-first", 100, now - 3 * HOUR, now - 3 * HOUR);
    plant(store, "written-first-used-last", 100, now - 4 * HOUR, now - HOUR);
    plant(store, "used-second", 100, now - 2 * HOUR, now - 2 * HOUR);
    const run = new MemoryStore();
    await build({ store: run }).execute(["c"], { inputs: { x: 1 } });
    let ours = 0;
    for (const data of run.map.values()) ours += data.length;
    // Room for this run's entries and 150 bytes more: the two least recently used go.
    const dr = build({ store, maxBytes: ours + 150 });
    await dr.execute(["c"], { inputs: { x: 1 } });
    expect([...store.map.keys()].filter((k) => !/^[0-9a-f]{64}$/.test(k))).toEqual(["written-first-used-last"]);
    expect(store.results().size).toBe(4);
    expect(
      dr
        .cache!.logs()
        .filter((e) => e.event === "evicted")
        .map((e) => [e.key, e.detail]),
    ).toEqual([
      ["used-first", "maxBytes"],
      ["used-second", "maxBytes"],
    ]);
    // A hit is a use: after an all-hit run the run's entries are still the most recent.
    await dr.execute(["c"], { inputs: { x: 1 } });
    expect(dr.cache!.lastRun.map((e) => e.outcome)).toEqual(["hit", "hit", "hit"]);
  });

  it("expires files of the file store by their write time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cache-maintenance-"));
    const first = build({ dir });
    await first.execute(["c"], { inputs: { x: 1 } });
    const aKey = first.cache!.lastRun[0]!.key!;
    const past = new Date(Date.now() - 2 * HOUR);
    utimesSync(join(dir, aKey.slice(0, 2), `${aKey}.entry`), past, past);
    const dr = build({ dir, maxAgeMs: HOUR });
    await dr.execute(["c"], { inputs: { x: 2 } });
    expect(dr.cache!.logs().filter((e) => e.event === "evicted")).toEqual([
      { event: "evicted", node: "a", taskId: undefined, key: aKey, detail: "maxAgeMs" },
    ]);
    await dr.execute(["a"], { inputs: { x: 1 } });
    expect(dr.cache!.lastRun[0]!.outcome).toBe("miss");
  });

  it("refuses limits that are not numbers of 0 or more", () => {
    const message = (o: unknown): string => {
      try {
        new Builder().withModules(modules).withCache(o as CacheOptions);
      } catch (error) {
        return HamiltonError.isInstance(error) ? error.message : String(error);
      }
      return "no error";
    };
    expect(message({ maxAgeMs: -1 })).toBe(
      "Builder.withCache(options): maxAgeMs must be a finite number of milliseconds (0 or more), got -1. Leave it out for no limit.",
    );
    expect(message({ maxBytes: "1mb" })).toContain('maxBytes must be a finite number of bytes (0 or more), got "1mb"');
    expect(message({ maxBytes: Number.NaN })).toContain("got NaN");
  });
});

describe("driver.cache.delete and clear", () => {
  it("deletes a node's entries (results and last-entry records), older ones, or all; returns how many", async () => {
    const store = new MemoryStore();
    const dr = build({ store });
    await dr.execute(["c"], { inputs: { x: 1 } });
    await dr.execute(["c"], { inputs: { x: 2 } });
    // Each node: two results and one last-entry record.
    expect(store.map.size).toBe(9);
    expect(await dr.cache!.delete({ node: "b" })).toBe(3);
    expect([...store.entries()].filter((e) => e.node === "b")).toEqual([]);
    await dr.execute(["c"], { inputs: { x: 2 } });
    expect(dr.cache!.lastRun.map((e) => [e.node, e.outcome, e.missReason?.kind])).toEqual([
      ["a", "hit", undefined],
      ["b", "miss", "new"],
      ["c", "hit", undefined],
    ]);
    const now = Date.now();
    for (const info of store.info.values()) info.storedAt = now - 2 * HOUR;
    plant(store, "fresh", 1, now);
    expect(await dr.cache!.delete({ olderThanMs: HOUR, node: "a" })).toBe(3);
    expect(store.map.has("fresh")).toBe(true);
    expect(await dr.cache!.delete({ olderThanMs: HOUR })).toBe(5);
    expect([...store.map.keys()]).toEqual(["fresh"]);
    expect(await dr.cache!.delete()).toBe(1);
    expect(store.map.size).toBe(0);
    await dr.execute(["c"], { inputs: { x: 2 } });
    await dr.cache!.clear();
    expect(store.map.size).toBe(0);
  });

  it("refuses a node the graph does not have, and a bad age", () => {
    const dr = build({ store: new MemoryStore() });
    expect(() => dr.cache!.delete({ node: "d" })).toThrow(
      'driver.cache.delete(options): the graph has no node "d". Pass the name of one of its nodes.',
    );
    expect(() => dr.cache!.delete({ olderThanMs: -5 })).toThrow("olderThanMs must be a number of milliseconds");
  });
});
