// The store under core's cache: processes sharing results through one Redis, a Redis that dies
// in the middle of a run, and entries that are not whole.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Builder, collect, parallelize } from "@hamilton-ts/core";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisCacheStore } from "./redis-store.js";

const run = promisify(execFile);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

interface ChildOutput {
  readonly pid: number;
  readonly out: { all: { item: number; square: number; pid: number }[]; total: number };
  readonly outcomes: string[];
}

const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
const child = fileURLToPath(new URL("./fixtures/shared-child.ts", import.meta.url));
async function runChild(prefix: string, count: number): Promise<ChildOutput> {
  const { stdout } = await run(tsx, [
    "--conditions=@hamilton-ts/source",
    child,
    String(redis.port),
    prefix,
    String(count),
  ]);
  return JSON.parse(stdout) as ChildOutput;
}

describe("RedisCacheStore under the engine's cache", () => {
  it("two processes share results: the second hits everywhere and returns the first's values", async () => {
    const first = await runChild("shared:two", 5);
    expect(first.out.total).toBe(0 + 1 + 4 + 9 + 16);
    expect(first.out.all.every((w) => w.pid === first.pid)).toBe(true);
    expect(first.outcomes.filter((o) => o.endsWith("=hit"))).toEqual([]);
    const second = await runChild("shared:two", 5);
    expect(second.pid).not.toBe(first.pid);
    expect(second.out).toEqual(first.out);
    // Every keyed node run hit (the parallelize node itself always runs); the values are the first process's.
    const notHit = second.outcomes.filter((o) => !o.endsWith("=hit"));
    expect(notHit).toEqual(["item=recompute"]);
    expect(second.outcomes).toHaveLength(1 + 5 + 2);
    // Another prefix on the same Redis shares nothing.
    const other = await runChild("shared:other", 5);
    expect(other.out.all.every((w) => w.pid === other.pid)).toBe(true);
    // Three tsx processes: a few seconds on a quiet machine; a generous budget for a busy one (no timing is asserted).
  }, 120_000);

  it("a Redis that dies in the middle of a run: the run completes, computing, with one warning", async () => {
    const own = await startRedis();
    const warnings: string[] = [];
    const store = new RedisCacheStore({ connection: { host: "127.0.0.1", port: own.port }, prefix: "dies" });
    let calls = 0;
    const dataflow = {
      item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
      // The sixth item's node kills the cache's Redis while the others wait for it.
      work: async ({ item }: { item: number }) => {
        calls++;
        if (item === 5) await own.kill();
        return item * 2;
      },
      all: collect(({ work }: { work: number[] }) => work),
    };
    try {
      const dr = new Builder()
        .withModules(dataflow)
        .withCache({ store, onWarning: (m) => warnings.push(m) })
        .build();
      const out = await dr.execute(["all"], { inputs: { n: 20 } });
      expect(out.all).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
      expect(calls).toBe(20);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/RedisCacheStore|Redis/);
      // The next run, Redis still gone: computes again, warns again (once).
      const again = await dr.execute(["all"], { inputs: { n: 20 } });
      expect(again.all).toEqual(out.all);
      expect(calls).toBe(40);
      expect(warnings).toHaveLength(2);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it("a corrupt entry is a miss: the node computes and the entry is written again", async () => {
    const store = new RedisCacheStore({ connection: { host: "127.0.0.1", port: redis.port }, prefix: "corrupt" });
    const raw = new Redis({ host: "127.0.0.1", port: redis.port });
    let calls = 0;
    const dr = new Builder()
      .withModules({
        doubled: ({ x }: { x: number }) => {
          calls++;
          return x * 2;
        },
      })
      .withCache({ store })
      .build();
    try {
      expect(await dr.execute(["doubled"], { inputs: { x: 21 } })).toEqual({ doubled: 42 });
      expect(await dr.execute(["doubled"], { inputs: { x: 21 } })).toEqual({ doubled: 42 });
      expect(calls).toBe(1);
      // Damage every entry's bytes (the node's result and its last-entry record).
      const names = (await raw.keys("corrupt:*")).sort();
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) await raw.hset(name, "d", "garbage");
      expect(await dr.execute(["doubled"], { inputs: { x: 21 } })).toEqual({ doubled: 42 });
      expect(calls).toBe(2);
      expect(await dr.execute(["doubled"], { inputs: { x: 21 } })).toEqual({ doubled: 42 });
      expect(calls).toBe(2);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
