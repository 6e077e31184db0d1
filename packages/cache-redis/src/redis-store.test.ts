import { createHash } from "node:crypto";
import { freePort, type RedisServer, startRedis } from "@hamilton-ts/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksum, entryName } from "./entry-format.js";
import { CacheRedisError } from "./errors.js";
import { RedisCacheStore } from "./redis-store.js";
import type { CacheEntryInfo } from "./store-shape.js";

let redis: RedisServer;
let raw: Redis;
const stores: RedisCacheStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis({ host: "127.0.0.1", port: redis.port });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  raw.disconnect();
  await redis.stop();
});

function store(prefix: string): RedisCacheStore {
  const s = new RedisCacheStore({ connection: { host: "127.0.0.1", port: redis.port }, prefix });
  stores.push(s);
  return s;
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));
const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : Buffer.from(data).toString("utf8"));
const KEY = "a".repeat(64);
const KEY2 = "b".repeat(64);

async function list(s: RedisCacheStore): Promise<CacheEntryInfo[]> {
  const out: CacheEntryInfo[] = [];
  for await (const e of s.entries()) out.push(e);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

describe("RedisCacheStore", () => {
  it("stores and reads back bytes by key; an absent key is a miss", async () => {
    const s = store("t:roundtrip");
    expect(await s.get(KEY)).toBeUndefined();
    await s.set(KEY, bytes("hello"), { node: "greeting" });
    expect(text(await s.get(KEY))).toBe("hello");
    // A key that is not plain hex is stored under its SHA-256.
    await s.set("not hex: é", bytes("other"));
    expect(text(await s.get("not hex: é"))).toBe("other");
    expect(await raw.exists(`t:roundtrip:${createHash("sha256").update("not hex: é").digest("hex")}`)).toBe(1);
    // Empty data is an entry too.
    await s.set(KEY2, new Uint8Array(0));
    expect(await s.get(KEY2)).toEqual(Buffer.alloc(0));
  });

  it("a set replaces the whole entry (no field of the old one survives)", async () => {
    const s = store("t:replace");
    await s.set(KEY, bytes("first"), { node: "one" });
    await s.set(KEY, bytes("second"));
    expect(text(await s.get(KEY))).toBe("second");
    const [entry] = await list(s);
    expect(entry).toMatchObject({ key: KEY, bytes: 6 });
    expect(entry!.node).toBeUndefined();
  });

  it("lists entries with key, node, size and times; a hit refreshes lastUsedAt, a listing does not", async () => {
    const s = store("t:entries");
    const before = Date.now();
    await s.set(KEY, bytes("12345"), { node: "five" });
    await s.set(KEY2, bytes("1"));
    const entries = await list(s);
    expect(entries.map((e) => [e.key, e.node, e.bytes])).toEqual([
      [KEY, "five", 5],
      [KEY2, undefined, 1],
    ]);
    for (const e of entries) {
      expect(e.storedAt).toBeGreaterThanOrEqual(before);
      expect(e.lastUsedAt).toBe(e.storedAt);
    }
    // Make the entry look old, then hit it.
    await raw.hset(entryName("t:entries", KEY), "u", "1000", "s", "1000");
    expect((await list(s))[0]).toMatchObject({ storedAt: 1000, lastUsedAt: 1000 });
    await s.get(KEY);
    const [hit] = await list(s);
    expect(hit!.storedAt).toBe(1000);
    expect(hit!.lastUsedAt).toBeGreaterThanOrEqual(before);
    // A miss sets nothing.
    await s.get("c".repeat(64));
    expect(await raw.exists(entryName("t:entries", "c".repeat(64)))).toBe(0);
  });

  it("reads a corrupt, foreign, moved or older-format entry as a miss, and the next set replaces it", async () => {
    const s = store("t:corrupt");
    const name = entryName("t:corrupt", KEY);
    await s.set(KEY, bytes("value"), { node: "n" });
    // A flipped byte.
    await raw.hset(name, "d", "valuf");
    expect(await s.get(KEY)).toBeUndefined();
    // A checksum of the right key and data, made by another format version.
    const old = createHash("sha256").update("hamilton-ts redis cache 0\0").update(KEY).update("\0n\0").update("value");
    await raw.hset(name, "d", "value", "c", old.digest("hex"));
    expect(await s.get(KEY)).toBeUndefined();
    // The right checksum is accepted (so the two checks above failed for their reason).
    await raw.hset(name, "c", checksum(KEY, "n", bytes("value")));
    expect(text(await s.get(KEY))).toBe("value");
    // Another key's whole entry, copied under this key's name.
    await s.set(KEY2, bytes("theirs"));
    await raw.copy(entryName("t:corrupt", KEY2), name, "REPLACE");
    expect(await s.get(KEY)).toBeUndefined();
    // Something that is not a hash at all under the prefix.
    await raw.set(name, "plain string");
    expect(await s.get(KEY)).toBeUndefined();
    expect((await list(s)).map((e) => e.key)).toEqual([KEY2]);
    await raw.hset(entryName("t:corrupt", "d".repeat(64)), "x", "a hash without our fields");
    expect((await list(s)).map((e) => e.key)).toEqual([KEY2]);
    await s.set(KEY, bytes("again"));
    expect(text(await s.get(KEY))).toBe("again");
  });

  it("concurrent writers of one key leave one whole entry, and readers never see a mix", async () => {
    const s = store("t:race");
    const others = [store("t:race"), store("t:race")];
    const values = Array.from({ length: 30 }, (_, i) => Buffer.alloc(200_000 + i, 65 + (i % 26)));
    const known = new Set(values.map((v) => v.toString("latin1")));
    const reads: Promise<Uint8Array | undefined>[] = [];
    const writes = values.map((v, i) => {
      reads.push(others[i % 2]!.get(KEY));
      return s.set(KEY, v);
    });
    await Promise.all(writes);
    for (const r of await Promise.all(reads)) {
      if (r !== undefined) expect(known.has(Buffer.from(r).toString("latin1"))).toBe(true);
    }
    const last = await s.get(KEY);
    expect(known.has(Buffer.from(last!).toString("latin1"))).toBe(true);
    expect(await list(s)).toHaveLength(1);
  });

  it("delete removes one entry; clear removes its prefix's entries only", async () => {
    const a = store("t:iso");
    const longer = store("t:iso:team");
    const sibling = store("t:isolated");
    await a.set(KEY, bytes("a1"));
    await a.set(KEY2, bytes("a2"));
    await longer.set(KEY, bytes("team"));
    await sibling.set(KEY, bytes("sibling"));
    await raw.set("t:iso:somebody-else", "keep");
    await raw.set("t:iso:0123456789abcdef:x", "keep too");
    expect((await list(a)).map((e) => e.key)).toEqual([KEY, KEY2]);
    expect((await list(longer)).map((e) => e.key)).toEqual([KEY]);
    await a.delete(KEY);
    expect(await a.get(KEY)).toBeUndefined();
    expect(text(await a.get(KEY2))).toBe("a2");
    await a.delete(KEY); // deleting an absent key is fine
    await a.clear();
    expect(await list(a)).toEqual([]);
    expect(text(await longer.get(KEY))).toBe("team");
    expect(text(await sibling.get(KEY))).toBe("sibling");
    expect(await raw.get("t:iso:somebody-else")).toBe("keep");
    expect(await raw.get("t:iso:0123456789abcdef:x")).toBe("keep too");
  });

  it("walks a prefix of many entries in SCAN batches", async () => {
    const s = store("t:many");
    const keys = Array.from({ length: 2_500 }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));
    const pipeline = raw.pipeline();
    for (const key of keys) {
      pipeline.hset(
        entryName("t:many", key),
        "k",
        key,
        "d",
        "x",
        "c",
        checksum(key, "", bytes("x")),
        "s",
        "1",
        "u",
        "1",
      );
    }
    await pipeline.exec();
    expect((await list(s)).length).toBe(keys.length);
    expect(text(await s.get(keys[1234]!))).toBe("x");
    await s.clear();
    expect(await raw.dbsize()).toBeGreaterThan(0);
    expect(await list(s)).toEqual([]);
  });

  it("escapes glob characters of the prefix in SCAN", async () => {
    const star = store("t:*");
    const plain = store("t:x");
    await star.set(KEY, bytes("star"));
    await plain.set(KEY, bytes("plain"));
    expect((await list(star)).map((e) => e.key)).toEqual([KEY]);
    await star.clear();
    expect(text(await plain.get(KEY))).toBe("plain");
  });

  it("shares a client it is given, and leaves it open on close()", async () => {
    const client = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true });
    const s = new RedisCacheStore({ connection: client, prefix: "t:shared" });
    await s.set(KEY, bytes("shared"));
    expect(text(await s.get(KEY))).toBe("shared");
    await s.close();
    expect(client.status).toBe("ready");
    await expect(s.get(KEY)).rejects.toMatchObject({ code: "CLOSED" });
    expect(await client.exists(entryName("t:shared", KEY))).toBe(1);
    client.disconnect();
  });

  it("rejects at once with UNAVAILABLE when Redis is not there, and goes on rejecting without waiting", async () => {
    const port = await freePort();
    const errors: Error[] = [];
    const s = new RedisCacheStore({
      connection: { host: "127.0.0.1", port },
      connectTimeoutMs: 500,
      onError: (e) => errors.push(e),
    });
    stores.push(s);
    const first = await s.get(KEY).catch((e: unknown) => e);
    expect(CacheRedisError.isInstance(first)).toBe(true);
    expect(first).toMatchObject({ code: "UNAVAILABLE" });
    expect((first as Error).message).toContain(`127.0.0.1:${port}`);
    expect(errors.length).toBeGreaterThan(0);
    // After the first attempt, calls fail without waiting for a connection.
    const again = await Promise.allSettled([s.get(KEY), s.set(KEY, bytes("x")), s.delete(KEY), s.clear()]);
    for (const r of again) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "UNAVAILABLE" });
    }
  });

  it("refuses bad options, naming the option", () => {
    const connection = { host: "127.0.0.1", port: 1 };
    const bad = (options: unknown) => () => new RedisCacheStore(options as never);
    expect(bad(null)).toThrow(/options must be an object/);
    expect(bad({ connection, prefixx: "a" })).toThrow(/unknown option "prefixx"/);
    expect(bad({ connection, prefix: "" })).toThrow(/prefix must be a non-empty string/);
    expect(bad({ connection, connectTimeoutMs: 0 })).toThrow(/connectTimeoutMs must be a whole number/);
    expect(bad({ connection, commandTimeoutMs: "1" })).toThrow(/commandTimeoutMs must be a whole number/);
    expect(bad({ connection: "redis://x" })).toThrow(/connection must be ioredis options/);
    expect(bad({ connection: { ...connection, keyPrefix: "app:" } })).toThrow(/keyPrefix "app:"/);
    expect(bad({ connection, onError: 1 })).toThrow(/onError must be a function/);
    try {
      bad({ connection, prefix: 3 })();
    } catch (error) {
      expect(CacheRedisError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "INVALID_OPTION" });
    }
  });
});
