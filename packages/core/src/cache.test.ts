import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LifecycleAdapter, NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { collect, inject, parallelize, value } from "./bindings.js";
import { Builder } from "./builder.js";
import type { CacheOptions } from "./cache.js";
import type { CacheStore, FileCacheStore } from "./cache-store.js";
import { HamiltonError } from "./errors.js";
import { MemoryStore } from "./fixtures/memory-store.js";
import { cache, type NodeContext } from "./modifiers.js";

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), "cache-"));
}

/** An adapter that records every node after-event. */
function recorder(): { adapter: LifecycleAdapter; events: NodeExecutionResultEvent[]; before: (string | undefined)[] } {
  const events: NodeExecutionResultEvent[] = [];
  const before: (string | undefined)[] = [];
  return {
    events,
    before,
    adapter: {
      beforeNodeExecution: (e) => void before.push(e.cache),
      afterNodeExecution: (e) => void events.push(e),
    },
  };
}

/** The file store's file of a key. */
function entryFile(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}.entry`);
}

function outcomes(dr: { cache: { lastRun: readonly { node: string; outcome: string }[] } | undefined }) {
  return Object.fromEntries(dr.cache!.lastRun.map((e) => [e.node, e.outcome]));
}

describe("Builder.withCache", () => {
  it("answers a second driver from the store: no node runs, values come back as themselves", async () => {
    const dir = freshDir();
    const calls: string[] = [];
    const modules = {
      when: () => (calls.push("when"), new Date(7)),
      table: ({ when }: { when: Date }) => (calls.push("table"), new Map([["t", when.getTime()]])),
      bytes: ({ table }: { table: Map<string, number> }) => (calls.push("bytes"), new Float64Array([table.get("t")!])),
    };
    const first = new Builder().withModules(modules).withCache({ dir }).build();
    const out1 = await first.execute(["when", "table", "bytes"]);
    expect(calls).toEqual(["when", "table", "bytes"]);
    expect(outcomes(first)).toEqual({ when: "miss", table: "miss", bytes: "miss" });
    const second = new Builder().withModules(modules).withCache({ dir }).build();
    const out2 = await second.execute(["when", "table", "bytes"]);
    expect(calls).toEqual(["when", "table", "bytes"]);
    expect(outcomes(second)).toEqual({ when: "hit", table: "hit", bytes: "hit" });
    expect(out2.when).toBeInstanceOf(Date);
    expect(out2.table).toBeInstanceOf(Map);
    expect(out2.bytes).toBeInstanceOf(Float64Array);
    expect(out2).toEqual(out1);
    expect(second.cache!.lastRun.every((e) => /^[0-9a-f]{64}$/.test(e.key!))).toBe(true);
  });

  it("keeps results in .hamilton-ts/.cache by default, owner-only", () => {
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withCache()
      .build();
    expect((dr.cache!.store as FileCacheStore).dir).toBe(join(process.cwd(), ".hamilton-ts", ".cache"));
    expect(new Builder().withModules({ a: () => 1 }).build().cache).toBeUndefined();
  });

  it("writes entries before execute settles, with owner-only files, and clear() empties the store", async () => {
    const dir = freshDir();
    const dr = new Builder()
      .withModules({ slow: async () => "v" })
      .withCache({ dir })
      .build();
    await dr.execute(["slow"]);
    // The result, and the node's last-entry record (what the next miss is explained by).
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".entry"))).toHaveLength(2);
    const file = entryFile(dir, dr.cache!.lastRun[0]!.key!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    dr.cache!.clear();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("puts the outcome on the before- and after-events, runs wrappers around a hit, and replays warnings", async () => {
    const store = new MemoryStore();
    let runs = 0;
    const modules = {
      checked: (_: object, ctx: NodeContext) => {
        runs++;
        ctx.warn("low confidence");
        return 42;
      },
    };
    const wrapped: string[] = [];
    const build = (rec: ReturnType<typeof recorder>) =>
      new Builder()
        .withModules(modules)
        .withAdapters(rec.adapter, {
          aroundNodeExecution: (e, next) => {
            wrapped.push(`${e.node.name}:${e.cache}`);
            return next();
          },
        })
        .withCache({ store })
        .build();
    const a = recorder();
    await build(a).execute(["checked"]);
    const b = recorder();
    expect(await build(b).execute(["checked"])).toEqual({ checked: 42 });
    expect(runs).toBe(1);
    expect(a.before).toEqual(["miss"]);
    expect(b.before).toEqual(["hit"]);
    expect(b.events[0]).toMatchObject({ cache: "hit", success: true, result: 42, warnings: ["low confidence"] });
    expect(wrapped).toEqual(["checked:miss", "checked:hit"]);
    const plain = recorder();
    await new Builder().withModules(modules).withAdapters(plain.adapter).build().execute(["checked"]);
    expect(plain.events[0]!.cache).toBeUndefined();
  });

  it("recompute always runs and stores; disable never looks up or stores, and its dependents run", async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const modules = {
      fresh: cache({ behavior: "recompute" }, () => (calls.push("fresh"), 1)),
      off: cache({ behavior: "disable" }, () => (calls.push("off"), 2)),
      usesOff: ({ off }: { off: number }) => (calls.push("usesOff"), off + 1),
      usesFresh: ({ fresh }: { fresh: number }) => (calls.push("usesFresh"), fresh + 1),
    };
    const names = ["fresh", "off", "usesOff", "usesFresh"] as const;
    const dr1 = new Builder().withModules(modules).withCache({ store }).build();
    await dr1.execute(names);
    const dr2 = new Builder().withModules(modules).withCache({ store }).build();
    await dr2.execute(names);
    expect(calls.filter((c) => c === "fresh")).toHaveLength(2);
    expect(calls.filter((c) => c === "off")).toHaveLength(2);
    expect(calls.filter((c) => c === "usesOff")).toHaveLength(2);
    expect(calls.filter((c) => c === "usesFresh")).toHaveLength(1);
    expect(outcomes(dr2)).toEqual({ fresh: "recompute", off: "disabled", usesOff: "miss", usesFresh: "hit" });
    // Builder options win over the modifier.
    const dr3 = new Builder()
      .withModules(modules)
      .withCache({ store, nodes: { usesFresh: "recompute" } })
      .build();
    await dr3.execute(["usesFresh"]);
    expect(outcomes(dr3).usesFresh).toBe("recompute");
  });

  it("ignore leaves a node out of its dependents' keys: a client's users cache", async () => {
    const store = new MemoryStore();
    class Client {
      answer(q: string): string {
        return q.toUpperCase();
      }
    }
    let asked = 0;
    const modules = {
      client: cache({ behavior: "ignore" }, () => new Client()),
      question: () => "why",
      answer: ({ client, question }: { client: Client; question: string }) => (asked++, client.answer(question)),
    };
    for (let i = 0; i < 2; i++)
      await new Builder().withModules(modules).withCache({ store }).build().execute(["answer"]);
    expect(asked).toBe(1);
  });

  it("keys a source node returning a class instance (a client) by code and config: its users cache with no marking, and it is never stored", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    class OpenAI {
      constructor(readonly model: string) {}
    }
    let asked = 0;
    let made = 0;
    const modules = {
      llmClient: ({ model }: { model: string }) => (made++, new OpenAI(model)),
      reply: ({ llmClient }: { llmClient: OpenAI }) => (asked++, `reply from ${llmClient.model}`),
    };
    const build = (model: string) =>
      new Builder()
        .withModules(modules)
        .withConfig({ model })
        .withCache({ store, onWarning: (m) => warnings.push(m) })
        .build();
    const dr1 = build("small");
    await dr1.execute(["reply"]);
    const dr2 = build("small");
    expect(await dr2.execute(["reply"])).toEqual({ reply: "reply from small" });
    expect(asked).toBe(1);
    expect(made).toBe(2);
    expect(outcomes(dr2)).toEqual({ llmClient: "miss", reply: "hit" });
    expect(store.results().size).toBe(1);
    expect(warnings).toEqual([]);
    // Other config: another client, another answer.
    expect(await build("large").execute(["reply"])).toEqual({ reply: "reply from large" });
    expect(asked).toBe(2);
  });

  it("misses, with one warning naming the node, when a dependency with inputs returns a class instance", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    class Session {
      constructor(readonly user: string) {}
    }
    let used = 0;
    const modules = {
      session: ({ user }: { user: string }) => new Session(user),
      use: ({ session }: { session: Session }) => (used++, typeof session),
    };
    const dr = new Builder()
      .withModules(modules)
      .withCache({ store, onWarning: (m) => warnings.push(m) })
      .build();
    await dr.execute(["use"], { inputs: { user: "u" } });
    await dr.execute(["use"], { inputs: { user: "u" } });
    expect(used).toBe(2);
    expect(outcomes(dr)).toEqual({ session: "miss", use: "miss" });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('node "session" returned a value that cannot be stored (an instance of Session)');
    expect(warnings[1]).toContain('node "use" is not cached because the value of "session" cannot be fingerprinted');
    expect(warnings[1]).toContain('"ignore"');
  });

  it("a value that cannot be stored (a function) is a miss every time with one warning, never a failure", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    let made = 0;
    const dr = new Builder()
      .withModules({ makeFn: ({ n }: { n: number }) => (made++, () => n) })
      .withCache({ store, onWarning: (m) => warnings.push(m) })
      .build();
    for (let i = 0; i < 3; i++)
      expect(typeof (await dr.execute(["makeFn"], { inputs: { n: 1 } })).makeFn).toBe("function");
    expect(made).toBe(3);
    expect(warnings).toEqual([
      'hamilton-ts cache: node "makeFn" returned a value that cannot be stored (a function), so it runs every time.',
    ]);
    expect(store.resultSets).toBe(0);
  });

  it("a value holding a null-prototype object is not stored (it would come back with Object.prototype), its dependents cache", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    let made = 0;
    const dr = new Builder()
      .withModules({
        lookup: ({ n }: { n: number }) => (made++, { table: Object.assign(Object.create(null), { n }) }),
        size: ({ lookup }: { lookup: { table: { n: number } } }) => lookup.table.n + 1,
      })
      .withCache({ store, onWarning: (m) => warnings.push(m) })
      .build();
    for (let i = 0; i < 2; i++) {
      const { lookup } = await dr.execute(["lookup", "size"], { inputs: { n: 1 } });
      expect(Object.getPrototypeOf(lookup.table)).toBeNull();
    }
    expect(made).toBe(2);
    expect(outcomes(dr)).toEqual({ lookup: "miss", size: "hit" });
    expect(warnings).toEqual([
      'hamilton-ts cache: node "lookup" returned a null-prototype object at .table, which the store would give ' +
        "Object.prototype, so it is not stored and runs every time. Return a plain object ({ ...value }) or a Map to cache it.",
    ]);
    expect(store.resultSets).toBe(1);
  });

  it("an unwritable directory warns once per run, naming the store, and the runs go on uncached", async () => {
    const blocker = join(freshDir(), "file");
    writeFileSync(blocker, "not a folder");
    const warnings: string[] = [];
    let runs = 0;
    const dr = new Builder()
      .withModules({ a: () => (runs++, 1), b: ({ a }: { a: number }) => a + 1 })
      .withCache({ dir: join(blocker, "cache"), onWarning: (m) => warnings.push(m) })
      .build();
    expect(await dr.execute(["b"])).toEqual({ b: 2 });
    expect(await dr.execute(["b"])).toEqual({ b: 2 });
    expect(runs).toBe(2);
    expect(warnings).toHaveLength(2);
    const [first, second] = dr.cache!.runs;
    for (const [i, run] of [first, second].entries()) {
      expect(warnings[i]).toContain(
        `the cache store (FileCacheStore at ${join(blocker, "cache")}) failed in run ${run}:`,
      );
      expect(warnings[i]).toContain("ENOTDIR");
      expect(warnings[i]).toContain("The run goes on without the cache");
    }
    expect(outcomes(dr)).toEqual({ a: "miss", b: "miss" });
    expect(dr.cache!.logs().filter((e) => e.event === "store-failed")).toHaveLength(1);
  });

  it("a corrupt entry is a miss and is replaced", async () => {
    const dir = freshDir();
    let runs = 0;
    const modules = { a: () => (runs++, "value") };
    const dr = new Builder().withModules(modules).withCache({ dir }).build();
    await dr.execute(["a"]);
    const file = entryFile(dir, dr.cache!.lastRun[0]!.key!);
    writeFileSync(file, readFileSync(file).subarray(0, 20));
    await dr.execute(["a"]);
    expect(outcomes(dr)).toEqual({ a: "miss" });
    expect(runs).toBe(2);
    await dr.execute(["a"]);
    expect(outcomes(dr)).toEqual({ a: "hit" });
    expect(runs).toBe(2);
  });

  it("parallelize nodes always recompute; per-item nodes cache per item, a new item alone misses", async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const modules = {
      urls: parallelize(({ list }: { list: string[] }) => list),
      page: ({ urls, prefix }: { urls: string; prefix: string }) => (seen.push(urls), `${prefix}${urls}`),
      pages: collect(({ page }: { page: string[] }) => page.join(",")),
    };
    const dr = new Builder().withModules(modules).withCache({ store }).build();
    expect(await dr.execute(["pages"], { inputs: { list: ["a", "b"], prefix: ">" } })).toEqual({ pages: ">a,>b" });
    expect(seen).toEqual(["a", "b"]);
    expect(await dr.execute(["pages"], { inputs: { list: ["a", "b", "c"], prefix: ">" } })).toEqual({
      pages: ">a,>b,>c",
    });
    expect(seen).toEqual(["a", "b", "c"]);
    const log = dr.cache!.lastRun;
    expect(log.find((e) => e.node === "urls")!.outcome).toBe("recompute");
    expect(log.filter((e) => e.node === "page").map((e) => [e.taskId, e.outcome])).toEqual([
      ["urls[0]", "hit"],
      ["urls[1]", "hit"],
      ["urls[2]", "miss"],
    ]);
    expect(log.find((e) => e.node === "pages")!.outcome).toBe("miss");
    // An outer value the items read is part of their keys.
    await dr.execute(["pages"], { inputs: { list: ["a"], prefix: "#" } });
    expect(seen).toEqual(["a", "b", "c", "a"]);
  });

  it("keys on bound values: inject and parameterize values are part of the code version", async () => {
    const store = new MemoryStore();
    let runs = 0;
    const greet = ({ name }: { name: string }) => (runs++, `hi ${name}`);
    const run = (bound: string) =>
      new Builder()
        .withModules({ greet: inject({ name: value(bound) }, greet) })
        .withCache({ store })
        .build()
        .execute(["greet"]);
    expect(await run("ann")).toEqual({ greet: "hi ann" });
    expect(await run("bob")).toEqual({ greet: "hi bob" });
    expect(await run("ann")).toEqual({ greet: "hi ann" });
    expect(runs).toBe(2);
  });

  it("rejects bad options and behaviours with a clear error", () => {
    const b = new Builder().withModules({ a: () => 1 });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return HamiltonError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return "no error";
    };
    expect(code(() => b.withCache({ behavior: "sometimes" } as unknown as CacheOptions))).toBe(
      'INVALID_ARGUMENT: Builder.withCache(options): behavior must be one of "default", "recompute", "disable", "ignore", got "sometimes".',
    );
    expect(code(() => b.withCache({ dirr: "x" } as unknown as CacheOptions))).toContain('unknown option "dirr"');
    expect(code(() => b.withCache({ dir: "x", store: new MemoryStore() }))).toContain("give dir or store, not both");
    expect(code(() => b.withCache({ store: {} as CacheStore }))).toContain(
      "store must implement get(key), set(key, data, info), delete(key), clear() and entries() (see CacheStore), got an object without get, set, delete, clear, entries.",
    );
    expect(code(() => cache({ behavior: "never" } as never, () => 1))).toBe(
      'INVALID_ARGUMENT: cache(options, fn): behavior must be one of "default", "recompute", "disable", "ignore", got "never".',
    );
  });
});
