import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileForChild, run } from "./fixtures/child-process.js";
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry } from "./cache-entry.js";
import { DEFAULT_CACHE_DIR, FileCacheStore } from "./cache-store.js";

const KEY = "ab".repeat(32);
const OTHER = "cd".repeat(32);

function fresh(): string {
  return mkdtempSync(join(tmpdir(), "cache-store-"));
}

function entryFile(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}.entry`);
}

describe("FileCacheStore", () => {
  it("keeps bytes by key and defaults to .hamilton-ts/.cache in the working directory", () => {
    const store = new FileCacheStore(fresh());
    expect(store.get(KEY)).toBeUndefined();
    store.set(KEY, new Uint8Array([1, 2, 3]));
    store.set(OTHER, new Uint8Array([4]));
    expect([...(store.get(KEY) ?? [])]).toEqual([1, 2, 3]);
    expect([...(store.get(OTHER) ?? [])]).toEqual([4]);
    store.set(KEY, new Uint8Array([9]));
    expect([...(store.get(KEY) ?? [])]).toEqual([9]);
    expect(new FileCacheStore().dir).toBe(join(process.cwd(), ".hamilton-ts", ".cache"));
    expect(DEFAULT_CACHE_DIR).toBe(join(".hamilton-ts", ".cache"));
  });

  it("takes keys that are not hex without escaping its directory", () => {
    const dir = fresh();
    const store = new FileCacheStore(dir);
    store.set("../../escape", new Uint8Array([1]));
    expect([...(store.get("../../escape") ?? [])]).toEqual([1]);
    expect(readdirSync(dir).every((name) => /^[0-9a-f]{2}$/.test(name))).toBe(true);
  });

  it("creates its files readable by the owner only, and its directories owner-only", () => {
    const dir = join(fresh(), "nested", "cache");
    const store = new FileCacheStore(dir);
    store.set(KEY, new Uint8Array([1]));
    expect(statSync(entryFile(dir, KEY)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, KEY.slice(0, 2))).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("reads a corrupt, truncated, foreign or misplaced file as a miss, and replaces it on set", () => {
    const dir = fresh();
    const store = new FileCacheStore(dir);
    store.set(KEY, new Uint8Array([1, 2, 3, 4]));
    const file = entryFile(dir, KEY);
    const whole = readFileSync(file);

    writeFileSync(file, whole.subarray(0, whole.length - 1));
    expect(store.get(KEY)).toBeUndefined();
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    writeFileSync(file, flipped);
    expect(store.get(KEY)).toBeUndefined();
    writeFileSync(file, "not a cache entry at all, but long enough to pass a length check");
    expect(store.get(KEY)).toBeUndefined();
    writeFileSync(file, "");
    expect(store.get(KEY)).toBeUndefined();

    store.set(KEY, new Uint8Array([5]));
    expect([...(store.get(KEY) ?? [])]).toEqual([5]);

    // The same bytes under another key's name are not that key's entry.
    mkdirSync(join(dir, OTHER.slice(0, 2)), { recursive: true });
    writeFileSync(entryFile(dir, OTHER), readFileSync(file));
    expect(store.get(OTHER)).toBeUndefined();
  });

  it("throws from set in a directory it cannot write (the engine reports it), and get is a miss", () => {
    // A file where the directory should be: unwritable even for root.
    const blocker = join(fresh(), "blocker");
    writeFileSync(blocker, "a file, not a folder");
    const store = new FileCacheStore(join(blocker, "cache"));
    expect(() => store.set(KEY, new Uint8Array([1]))).toThrow();
    expect(store.get(KEY)).toBeUndefined();
  });

  it("clears only its own files", () => {
    const dir = fresh();
    const store = new FileCacheStore(dir);
    store.set(KEY, new Uint8Array([1]));
    store.set(OTHER, new Uint8Array([2]));
    writeFileSync(join(dir, "keep.txt"), "mine");
    mkdirSync(join(dir, "ff"));
    writeFileSync(join(dir, "ff", "notes.md"), "mine too");
    store.clear();
    expect(store.get(KEY)).toBeUndefined();
    expect(store.get(OTHER)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(["ff", "keep.txt"]);
    expect(readdirSync(join(dir, "ff"))).toEqual(["notes.md"]);
    new FileCacheStore(join(dir, "missing")).clear();
  });

  it("lists its entries with node, size and times; a hit moves lastUsedAt, not storedAt; delete removes one", () => {
    const dir = fresh();
    // Written by another store (another process), two minutes ago, read one minute ago: a relatime kernel would not move such an
    // access time on a read, so what moves it is the store.
    const writer = new FileCacheStore(dir);
    writer.set(KEY, new Uint8Array(10), { node: "answer" });
    writer.set(OTHER, new Uint8Array(3));
    const store = new FileCacheStore(dir);
    const past = new Date(Date.now() - 120_000);
    const read = new Date(Date.now() - 60_000);
    utimesSync(entryFile(dir, KEY), read, past);
    utimesSync(entryFile(dir, OTHER), read, past);
    const before = new Map([...store.entries()].map((e) => [e.key, e]));
    expect(before.get(KEY)).toMatchObject({ key: KEY, node: "answer" });
    expect(before.get(KEY)!.bytes).toBe(statSync(entryFile(dir, KEY)).size);
    expect(before.get(OTHER)!.node).toBeUndefined();
    expect(before.get(KEY)!.storedAt).toBeCloseTo(past.getTime(), 0);

    expect([...(store.get(KEY) ?? [])]).toHaveLength(10);
    const after = new Map([...store.entries()].map((e) => [e.key, e]));
    expect(after.get(KEY)!.storedAt).toBeCloseTo(past.getTime(), 0);
    expect(after.get(KEY)!.lastUsedAt).toBeGreaterThan(read.getTime() + 30_000);
    expect(after.get(OTHER)!.lastUsedAt).toBeCloseTo(read.getTime(), 0);

    store.delete(KEY);
    store.delete("ef".repeat(32)); // none: nothing happens
    expect(store.get(KEY)).toBeUndefined();
    expect([...store.entries()].map((e) => e.key)).toEqual([OTHER]);
    // Files that are not entries are not listed.
    writeFileSync(join(dir, OTHER.slice(0, 2), "notes.md"), "mine");
    expect([...store.entries()].map((e) => e.key)).toEqual([OTHER]);
    expect([...new FileCacheStore(join(dir, "missing")).entries()]).toEqual([]);
  });

  it("sets a hit's time once a minute: hits in between write nothing", () => {
    const dir = fresh();
    new FileCacheStore(dir).set(KEY, new Uint8Array([1]));
    const store = new FileCacheStore(dir);
    const past = new Date(Date.now() - 120_000);
    const read = new Date(Date.now() - 60_000);
    utimesSync(entryFile(dir, KEY), read, past);
    store.get(KEY);
    store.flushUses();
    expect(statSync(entryFile(dir, KEY)).atimeMs).toBeGreaterThan(read.getTime() + 30_000);
    // Moved back by hand: the next hit of this store, within the minute, leaves it alone...
    utimesSync(entryFile(dir, KEY), read, past);
    store.get(KEY);
    store.flushUses();
    expect(statSync(entryFile(dir, KEY)).atimeMs).toBeCloseTo(read.getTime(), -1);
    // ...and another store (another process) that has not set it does.
    const other = new FileCacheStore(dir);
    other.get(KEY);
    other.flushUses();
    expect(statSync(entryFile(dir, KEY)).atimeMs).toBeGreaterThan(read.getTime() + 30_000);
  });

  it("a hit within the minute after this store wrote the entry sets nothing (writing set the time)", () => {
    const dir = fresh();
    const store = new FileCacheStore(dir);
    store.set(KEY, new Uint8Array([1]));
    const past = new Date(Date.now() - 120_000);
    const read = new Date(Date.now() - 60_000);
    utimesSync(entryFile(dir, KEY), read, past);
    expect([...(store.get(KEY) ?? [])]).toEqual([1]);
    store.flushUses();
    expect(statSync(entryFile(dir, KEY)).atimeMs).toBeCloseTo(read.getTime(), -1);
  });

  it("sets a hit's time on the file before the process exits, off the hit's path", async () => {
    const dir = fresh();
    const out = fresh();
    new FileCacheStore(dir).set(KEY, new Uint8Array([1]));
    // Read a minute ago, written two minutes ago: a relatime kernel leaves such an access time alone.
    const past = new Date(Date.now() - 120_000);
    utimesSync(entryFile(dir, KEY), new Date(Date.now() - 60_000), past);
    await compileForChild(new URL("./cache-store.ts", import.meta.url), out);
    const script = join(out, "reader.mjs");
    writeFileSync(
      script,
      `import { FileCacheStore } from "./cache-store.js";
const [dir, key] = process.argv.slice(2);
const got = new FileCacheStore(dir).get(key);
console.log(JSON.stringify({ got: got?.length }));
`,
    );
    const { stdout } = await run(process.execPath, [script, dir, KEY]);
    expect(JSON.parse(stdout)).toEqual({ got: 1 });
    expect(statSync(entryFile(dir, KEY)).atimeMs).toBeGreaterThan(Date.now() - 30_000);
    expect(statSync(entryFile(dir, KEY)).mtimeMs).toBeCloseTo(past.getTime(), 0);
  });

  it("reads a file of the previous format version as a miss, lists it (so expiry removes it) and replaces it on set", () => {
    const dir = fresh();
    const store = new FileCacheStore(dir);
    // Version 1: marker, SHA-256 of key and data, data; a valid entry of its time.
    const data = Buffer.from([7, 7, 7]);
    const sum = createHash("sha256").update(KEY).update("\0").update(data).digest();
    mkdirSync(join(dir, KEY.slice(0, 2)), { recursive: true });
    writeFileSync(entryFile(dir, KEY), Buffer.concat([Buffer.from("hamilton-ts cache 1\n"), sum, data]));
    expect(store.get(KEY)).toBeUndefined();
    expect([...store.entries()].map((e) => [e.key, e.node])).toEqual([[KEY, undefined]]);
    store.set(KEY, data, { node: "n" });
    expect([...(store.get(KEY) ?? [])]).toEqual([7, 7, 7]);
  });

  it("leaves one whole entry when two processes write one key at once", async () => {
    const dir = fresh();
    const out = fresh();
    await compileForChild(new URL("./cache-store.ts", import.meta.url), out);
    const script = join(out, "writer.mjs");
    writeFileSync(
      script,
      `import { FileCacheStore } from "./cache-store.js";
const [dir, key, fill] = process.argv.slice(2);
const store = new FileCacheStore(dir);
const data = new Uint8Array(1 << 20).fill(Number(fill));
let torn = 0;
let missing = 0;
for (let i = 0; i < 40; i++) {
  store.set(key, data);
  const read = store.get(key);
  if (read === undefined) missing++;
  else if (!read.every((b) => b === read[0])) torn++;
}
console.log(JSON.stringify({ torn, missing }));
`,
    );
    const [a, b] = await Promise.all([
      run(process.execPath, [script, dir, KEY, "1"]),
      run(process.execPath, [script, dir, KEY, "2"]),
    ]);
    // Right after its own write, each process reads a whole entry: its own or the other's.
    expect(JSON.parse(a.stdout)).toEqual({ torn: 0, missing: 0 });
    expect(JSON.parse(b.stdout)).toEqual({ torn: 0, missing: 0 });
    const data = new FileCacheStore(dir).get(KEY);
    expect(data?.length).toBe(1 << 20);
    expect(data?.every((byte) => byte === data[0])).toBe(true);
    expect(readdirSync(join(dir, KEY.slice(0, 2)))).toEqual([`${KEY}.entry`]);
  });
});

describe("cache entries", () => {
  it("round-trip values as structured clones, with the node's warnings and the run that stored them", () => {
    const value = {
      when: new Date(5),
      map: new Map([["a", new Set([1, 2])]]),
      floats: new Float32Array([1.5, 2]),
      bytes: Buffer.from("hi"),
      nested: [1, -0, Number.NaN, 2n, undefined, null],
    };
    const entry = decodeEntry(encodeEntry({ value, warnings: ["careful"], version: "v1", run: "run-1", storedAt: 7 }));
    expect(entry?.warnings).toEqual(["careful"]);
    expect(entry?.run).toBe("run-1");
    expect(entry?.version).toBe("v1");
    const back = entry?.value as typeof value;
    expect(back.when).toBeInstanceOf(Date);
    expect(back.when.getTime()).toBe(5);
    expect(back.map).toBeInstanceOf(Map);
    expect(back.map.get("a")).toEqual(new Set([1, 2]));
    expect(back.floats).toBeInstanceOf(Float32Array);
    expect([...back.floats]).toEqual([1.5, 2]);
    expect(Object.is(back.nested[1], -0)).toBe(true);
    expect(back.nested).toEqual([1, -0, Number.NaN, 2n, undefined, null]);
  });

  it("refuses to encode a function, and reads bytes that are not an entry as none", () => {
    expect(() => encodeEntry({ value: () => 1, warnings: [], version: "v", run: "r", storedAt: 0 })).toThrow();
    expect(decodeEntry(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(decodeEntry(new Uint8Array(0))).toBeUndefined();
  });
});
