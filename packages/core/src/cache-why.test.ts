import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LifecycleAdapter, NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import type { CacheLogEntry, CacheOptions } from "./cache.js";
import { HamiltonError } from "./errors.js";
import { run } from "./fixtures/child-process.js";
import { MemoryStore } from "./fixtures/memory-store.js";

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), "cache-why-"));
}

/** An adapter that keeps every node after-event and every run id. */
function recorder(): { adapter: LifecycleAdapter; events: NodeExecutionResultEvent[]; runIds: string[] } {
  const events: NodeExecutionResultEvent[] = [];
  const runIds: string[] = [];
  return {
    events,
    runIds,
    adapter: {
      beforeGraphExecution: (e) => void runIds.push(e.runId),
      afterNodeExecution: (e) => void events.push(e),
    },
  };
}

/** Each node's miss reason (or outcome when it did not miss), by node name. */
function reasons(log: readonly CacheLogEntry[]): Record<string, unknown> {
  return Object.fromEntries(log.map((e) => [e.node, e.missReason ?? e.outcome]));
}

const dataflow = {
  prompt: ({ topic }: { topic: string }) => `Tell me about ${topic}`,
  answer: ({ prompt, style }: { prompt: string; style: string }) => `${style}: ${prompt.length}`,
  report: ({ answer }: { answer: string }) => `[${answer}]`,
};
const inputs = { topic: "owls", style: "short" };
const outputs = ["prompt", "answer", "report"] as const;

function build(options: CacheOptions, modules: object = dataflow, config: Record<string, unknown> = {}) {
  const rec = recorder();
  const dr = new Builder().withModules(modules).withConfig(config).withAdapters(rec.adapter).withCache(options).build();
  return { dr, ...rec };
}

describe("the cache explains itself", () => {
  it("a fresh cache says new; a second run hits everywhere, each hit naming the first run", async () => {
    const dir = freshDir();
    const one = build({ dir });
    await one.dr.execute([...outputs], { inputs });
    expect(reasons(one.dr.cache!.lastRun)).toEqual({
      prompt: { kind: "new" },
      answer: { kind: "new" },
      report: { kind: "new" },
    });
    const firstRun = one.runIds[0]!;
    // The events carry the key and the reason.
    for (const e of one.events) {
      expect(e.cache).toBe("miss");
      expect(e.cacheKey).toMatch(/^[0-9a-f]{64}$/);
      expect(e.cacheMissReason).toEqual({ kind: "new" });
      expect(e.cacheFromRun).toBeUndefined();
    }

    const two = build({ dir });
    await two.dr.execute([...outputs], { inputs });
    expect(two.events.map((e) => [e.node.name, e.cache, e.cacheFromRun, e.cacheMissReason])).toEqual([
      ["prompt", "hit", firstRun, undefined],
      ["answer", "hit", firstRun, undefined],
      ["report", "hit", firstRun, undefined],
    ]);
    // The keys are the first run's.
    expect(two.events.map((e) => e.cacheKey)).toEqual(one.events.map((e) => e.cacheKey));
    expect(await two.dr.cache!.explain("answer")).toEqual({
      outcome: "hit",
      key: one.events[1]!.cacheKey,
      fromRun: firstRun,
      missReason: undefined,
      runId: two.runIds[0],
    });
  });

  it("a code edit says code, from the old version to the new, for that node; downstream names it", async () => {
    const dir = freshDir();
    const one = build({ dir });
    await one.dr.execute([...outputs], { inputs });
    const edited = {
      ...dataflow,
      answer: ({ prompt, style }: { prompt: string; style: string }) => `${style}! ${prompt}`,
    };
    const two = build({ dir }, edited);
    await two.dr.execute([...outputs], { inputs });
    const from = one.dr.graph.node("answer")!.version;
    const to = two.dr.graph.node("answer")!.version;
    expect(from).not.toBe(to);
    expect(reasons(two.dr.cache!.lastRun)).toEqual({
      prompt: "hit",
      answer: { kind: "code", from, to },
      report: { kind: "dependency", name: "answer" },
    });
  });

  it("a changed input says dependency, naming the input for its readers and the upstream node further down", async () => {
    const store = new MemoryStore();
    await build({ store }).dr.execute([...outputs], { inputs });
    const two = build({ store });
    await two.dr.execute([...outputs], { inputs: { ...inputs, topic: "penguins" } });
    expect(reasons(two.dr.cache!.lastRun)).toEqual({
      prompt: { kind: "dependency", name: "topic" },
      answer: { kind: "dependency", name: "prompt" },
      report: { kind: "dependency", name: "answer" },
    });
    // The second dependency in declaration order is named when only it changed.
    const three = build({ store });
    await three.dr.execute([...outputs], { inputs: { ...inputs, topic: "penguins", style: "long" } });
    expect(reasons(three.dr.cache!.lastRun)).toEqual({
      prompt: "hit",
      answer: { kind: "dependency", name: "style" },
      report: { kind: "dependency", name: "answer" },
    });
  });

  it("a config change says config, also for a node that reads the config value", async () => {
    const store = new MemoryStore();
    const modules = {
      label: ({ region }: { region: string }) => region.toUpperCase(),
      total: ({ n }: { n: number }) => n * 2,
    };
    await build({ store }, modules, { region: "eu" }).dr.execute(["label", "total"], { inputs: { n: 1 } });
    const two = build({ store }, modules, { region: "us" });
    await two.dr.execute(["label", "total"], { inputs: { n: 1 } });
    expect(reasons(two.dr.cache!.lastRun)).toEqual({ label: { kind: "config" }, total: { kind: "config" } });
  });

  it("an unfingerprintable value says unkeyed with the detail; so does a disabled dependency", async () => {
    const store = new MemoryStore();
    class Session {
      constructor(readonly user: string) {}
    }
    const modules = {
      session: ({ user }: { user: string }) => new Session(user),
      use: ({ session }: { session: Session }) => session.user,
      off: () => 1,
      after: ({ off }: { off: number }) => off + 1,
    };
    const { dr } = build({ store, onWarning: () => undefined, nodes: { off: "disable" } }, modules);
    await dr.execute(["use", "after"], { inputs: { user: "u" } });
    await dr.execute(["use", "after"], { inputs: { user: "u" } });
    expect((await dr.cache!.explain("use"))!.missReason).toEqual({
      kind: "unkeyed",
      detail: 'the value of "session" cannot be fingerprinted (an instance of Session)',
    });
    expect((await dr.cache!.explain("after"))!.missReason).toEqual({
      kind: "unkeyed",
      detail: 'its dependency "off" has the cache behaviour "disable"',
    });
    // The node whose value cannot be stored has a key; the second run says why it missed again.
    expect(await dr.cache!.explain("session")).toMatchObject({
      outcome: "miss",
      missReason: { kind: "unkeyed", detail: "its result cannot be stored (an instance of Session)" },
    });
    expect(await dr.cache!.explain("off")).toMatchObject({
      outcome: "disabled",
      missReason: undefined,
      key: undefined,
    });
  });

  it("a store that cannot be written says unkeyed", async () => {
    const blocker = join(freshDir(), "file");
    writeFileSync(blocker, "not a folder");
    const { dr } = build({ dir: join(blocker, "cache"), onWarning: () => undefined });
    await dr.execute(["prompt"], { inputs });
    await dr.execute(["prompt"], { inputs });
    const reason = (await dr.cache!.explain("prompt"))!.missReason;
    expect(reason?.kind).toBe("unkeyed");
    expect(reason?.kind === "unkeyed" && reason.detail).toMatch(
      /^the cache store failed in the previous run \(.*ENOTDIR/,
    );
  });

  it("the reason survives across drivers: a new driver's explain reads the store, and its miss compares with it", async () => {
    const dir = freshDir();
    const one = build({ dir });
    await one.dr.execute([...outputs], { inputs });
    const firstRun = one.runIds[0]!;
    // A driver that has not run yet explains from the store: the run that stored the result.
    const two = build({ dir });
    expect(await two.dr.cache!.explain("answer")).toEqual({
      outcome: "miss",
      key: one.events[1]!.cacheKey,
      fromRun: undefined,
      missReason: { kind: "new" },
      runId: firstRun,
    });
    expect(await two.dr.cache!.explain("prompt", "urls[0]")).toBeUndefined();
    await two.dr.execute([...outputs], { inputs: { ...inputs, style: "long" } });
    const three = build({ dir });
    await three.dr.execute([...outputs], { inputs: { ...inputs, style: "tiny" } });
    // Compared with what the store last held (the second driver's run), not the first run.
    expect(reasons(three.dr.cache!.lastRun)).toEqual({
      prompt: "hit",
      answer: { kind: "dependency", name: "style" },
      report: { kind: "dependency", name: "answer" },
    });
    expect(three.events[0]!.cacheFromRun).toBe(firstRun);
  });

  it("explain rejects a name that is not a node", () => {
    const { dr } = build({ store: new MemoryStore() });
    let error: unknown;
    try {
      dr.cache!.explain("anwser");
    } catch (e) {
      error = e;
    }
    expect(HamiltonError.isInstance(error) && error.code).toBe("INVALID_ARGUMENT");
    expect((error as Error).message).toContain('the graph has no node "anwser"');
  });

  it("a fan-out item's reason is its own: per task, against that task's last entry", async () => {
    const store = new MemoryStore();
    const modules = {
      urls: parallelize(({ list }: { list: string[] }) => list),
      page: ({ urls }: { urls: string }) => `<${urls}>`,
      pages: collect(({ page }: { page: string[] }) => page.join(",")),
    };
    const first = build({ store }, modules);
    await first.dr.execute(["pages"], { inputs: { list: ["a", "b"] } });
    const second = build({ store }, modules);
    await second.dr.execute(["pages"], { inputs: { list: ["a", "c", "d"] } });
    const pageRuns = second.dr.cache!.lastRun.filter((e) => e.node === "page");
    expect(pageRuns.map((e) => [e.taskId, e.outcome, e.fromRun, e.missReason])).toEqual([
      ["urls[0]", "hit", first.runIds[0], undefined],
      ["urls[1]", "miss", undefined, { kind: "dependency", name: "urls" }],
      ["urls[2]", "miss", undefined, { kind: "new" }],
    ]);
    expect((await second.dr.cache!.explain("page", "urls[1]"))!.missReason).toEqual({
      kind: "dependency",
      name: "urls",
    });
    expect((await second.dr.cache!.explain("pages"))!.missReason).toEqual({ kind: "dependency", name: "page" });
    expect(await second.dr.cache!.explain("urls")).toMatchObject({ outcome: "recompute", missReason: undefined });
  });

  it("an all-hit run reads nothing but its entries and writes nothing", async () => {
    const store = new MemoryStore();
    await build({ store }).dr.execute([...outputs], { inputs });
    let gets = 0;
    const counting = Object.assign(Object.create(store) as MemoryStore, {
      get: (key: string) => (gets++, store.get(key)),
    });
    const writesBefore = store.sets;
    await build({ store: counting }).dr.execute([...outputs], { inputs });
    expect(gets).toBe(3);
    expect(store.sets).toBe(writesBefore);
  });
});

describe("the cache explains itself across processes", () => {
  it("a second process's miss is compared with what the first stored, and it explains the first's run before running", async () => {
    const dir = freshDir();
    const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
    const child = fileURLToPath(new URL("./fixtures/cache-why-child.ts", import.meta.url));
    const once = async (topic: string) =>
      JSON.parse((await run(tsx, ["--conditions=@hamilton-ts/source", child, dir, topic])).stdout);
    const first = await once("owls");
    expect(first.before).toBeUndefined();
    expect(first.prompt.missReason).toEqual({ kind: "new" });
    const second = await once("owls");
    expect(second.before).toEqual({ ...first.answer, fromRun: undefined });
    expect(second.answer).toMatchObject({ outcome: "hit", fromRun: first.answer.runId });
    const third = await once("penguins");
    expect(third.prompt.missReason).toEqual({ kind: "dependency", name: "topic" });
    expect(third.answer.missReason).toEqual({ kind: "dependency", name: "prompt" });
    // Three tsx processes: about 5 s on a quiet machine; a generous budget for a busy one (no timing is asserted).
  }, 120_000);
});
