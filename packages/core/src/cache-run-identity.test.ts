import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import { MemoryStore } from "./fixtures/memory-store.js";
import { readsRunIdentity } from "./cache-run-identity.js";
import type { NodeContext } from "./modifiers.js";

function outcomes(dr: { cache: { lastRun: readonly { node: string; outcome: string }[] } | undefined }) {
  return Object.fromEntries(dr.cache!.lastRun.map((e) => [e.node, e.outcome]));
}

describe("a node that reads its run's identity", () => {
  it("is never served from the cache: the second run returns its own runId, and its dependents follow", async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const modules = {
      stamp: (_: object, context: NodeContext) => (calls.push("stamp"), `run ${context.runId}`),
      label: ({ stamp }: { stamp: string }) => (calls.push("label"), stamp.toUpperCase()),
      base: () => (calls.push("base"), 2),
    };
    const ids: string[] = [];
    const adapter = { beforeGraphExecution: (e: { runId: string }) => void ids.push(e.runId) };
    const traced = new Builder().withModules(modules).withCache({ store }).withAdapters(adapter).build();

    const first = await traced.execute(["stamp", "label", "base"]);
    const second = await traced.execute(["stamp", "label", "base"]);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(first.stamp).toBe(`run ${ids[0]}`);
    expect(second.stamp).toBe(`run ${ids[1]}`);
    expect(second.label).toBe(`RUN ${ids[1]}`.toUpperCase());
    expect(outcomes(traced)).toEqual({ stamp: "recompute", label: "miss", base: "hit" });
    expect(traced.cache!.lastRun.find((e) => e.node === "stamp")!.key).toBeUndefined();
    expect(calls.sort()).toEqual(["base", "label", "label", "stamp", "stamp"]);
    // Nothing is stored for the run-dependent node: only label (twice, two keys) and base.
    expect(store.results().size).toBe(3);
  });

  it("a fan-out item's node reading ctx.taskId is recomputed per item; one reading ctx.signal only still hits", async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const modules = {
      item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
      tagged: ({ item }: { item: number }, { taskId }: NodeContext) => (calls.push("tagged"), `${taskId}:${item}`),
      quiet: ({ item }: { item: number }, ctx: NodeContext) => (calls.push("quiet"), ctx.signal.aborted ? -1 : item),
      all: collect(({ tagged, quiet }: { tagged: string[]; quiet: number[] }) => [...tagged, ...quiet.map(String)]),
    };
    const dr = new Builder().withModules(modules).withCache({ store }).build();
    await dr.execute(["all"], { inputs: { n: 2 } });
    calls.length = 0;
    await dr.execute(["all"], { inputs: { n: 2 } });
    expect(calls.sort()).toEqual(["tagged", "tagged"]);
    const log = dr.cache!.lastRun;
    expect(log.filter((e) => e.node === "tagged").map((e) => e.outcome)).toEqual(["recompute", "recompute"]);
    expect(log.filter((e) => e.node === "quiet").map((e) => e.outcome)).toEqual(["hit", "hit"]);
  });

  it("explicit disable and ignore still win over the run-dependent rule", async () => {
    const modules = { stamp: (_: object, ctx: NodeContext) => ctx.runId };
    const dr = new Builder()
      .withModules(modules)
      .withCache({ store: new MemoryStore(), nodes: { stamp: "disable" } })
      .build();
    await dr.execute(["stamp"]);
    expect(outcomes(dr)).toEqual({ stamp: "disabled" });
  });
});

describe("readsRunIdentity", () => {
  const reads = (fn: Function) => readsRunIdentity(Function.prototype.toString.call(fn));

  it("sees runId and taskId read from the second parameter, whatever it is named", () => {
    expect(reads((_: object, ctx: NodeContext) => ctx.runId)).toBe(true);
    expect(reads((_: object, c: NodeContext) => c?.taskId)).toBe(true);
    expect(reads((_: object, { runId }: NodeContext) => runId)).toBe(true);
    expect(reads((_: object, { taskId: t }: NodeContext) => t)).toBe(true);
    expect(
      reads(function named(_: object, context: NodeContext) {
        return context.runId;
      }),
    ).toBe(true);
    const methods = {
      node(_: object, x: NodeContext) {
        return x.taskId;
      },
    };
    expect(reads(methods.node)).toBe(true);
  });

  it("counts the context passed on whole, a computed key, a rest element or arguments as reading it", () => {
    const helper = (c: NodeContext) => c.runId;
    const key = "runId";
    expect(reads((_: object, ctx: NodeContext) => helper(ctx))).toBe(true);
    expect(reads((_: object, ctx: NodeContext) => ({ ...ctx }))).toBe(true);
    expect(reads((_: object, ctx: NodeContext) => ctx[key])).toBe(true);
    expect(reads((_: object, { signal, ...rest }: NodeContext) => [signal, rest])).toBe(true);
    expect(
      reads(function viaArguments(_: object) {
        // biome-ignore lint/complexity/noArguments: the shape under test
        return arguments[1];
      }),
    ).toBe(true);
    expect(readsRunIdentity("not a function at all {")).toBe(true);
  });

  it("leaves nodes that read only signal, warn or nodeName, or no context, cacheable", () => {
    expect(reads(({ a }: { a: number }) => a)).toBe(false);
    expect(reads((_: object, ctx: NodeContext) => (ctx.warn("w"), ctx.signal.aborted, ctx.nodeName))).toBe(false);
    expect(reads((_: object, { signal, warn: w }: NodeContext) => [signal, w])).toBe(false);
    expect(reads((_: object, ctx: NodeContext) => ({ ctx: ctx.nodeName, runId: 2 }).runId)).toBe(false);
    expect(reads((_: object, ctx: NodeContext) => ctx.signal && { runId: "literal" })).toBe(false);
  });
});
