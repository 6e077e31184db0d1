import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { NodeContext } from "./modifiers.js";

/** A promise with its resolve function outside: a barrier a test opens when it chooses. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves when `signal` fires (what a node that honours its signal awaits). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** Records node and run events as lines. */
function recorder(log: string[]): LifecycleAdapter {
  return {
    afterNodeExecution: (e) =>
      void log.push(
        `after ${e.node.name}${e.taskId ? `@${e.taskId}` : ""} ${e.success ? "ok" : `error=${(e.error as HamiltonError).code ?? (e.error as Error).message}`}`,
      ),
    afterGraphExecution: (e) => void log.push(`afterGraph success=${e.success}`),
  };
}

describe("structured completion", () => {
  it("settles execute only after every node's after-event and the run's, when a fan-out item fails", async () => {
    const log: string[] = [];
    const othersStarted = deferred();
    let started = 0;
    const dr = new Builder()
      .withModules({
        item: parallelize(() => [0, 1, 2]),
        work: async ({ item }: { item: number }, ctx: NodeContext) => {
          if (item === 0) {
            await othersStarted.promise;
            throw new Error("item 0 failed");
          }
          if (++started === 2) othersStarted.resolve();
          await aborted(ctx.signal); // stops when told to
          return item;
        },
        all: collect(({ work }: { work: number[] }) => work),
      })
      .withAdapters(recorder(log))
      .build();
    await expect(dr.execute(["all"])).rejects.toMatchObject({
      code: "NODE_FAILED",
      nodeName: "work",
      taskId: "item[0]",
    });
    log.push("execute rejected");
    expect(log.at(-2)).toBe("afterGraph success=false");
    expect(log.at(-1)).toBe("execute rejected");
    expect(log.filter((l) => l.startsWith("after work@"))).toHaveLength(3);
  });

  it("gives up on a node that ignores its signal after the grace period, at the innermost call", async () => {
    const log: string[] = [];
    const late = deferred<string>();
    const wrapperSaw: unknown[] = [];
    const dr = new Builder()
      .withModules({
        fails: async () => {
          await Promise.resolve();
          throw new Error("boom");
        },
        stubborn: () => late.promise, // never looks at its signal
        both: ({ fails, stubborn }: { fails: string; stubborn: string }) => fails + stubborn,
      })
      .withAdapters(recorder(log), {
        wrapNodeExecution: (e, next) =>
          next().catch((error: unknown) => {
            wrapperSaw.push(`${e.node.name}:${(error as HamiltonError).code ?? "own"}`);
            throw error;
          }),
      })
      .withGracePeriod(20)
      .build();
    const error = await dr.execute(["both"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).nodeName).toBe("fails");
    expect(log).toEqual(["after fails error=boom", "after stubborn error=ABANDONED", "afterGraph success=false"]);
    expect(wrapperSaw).toEqual(["fails:own", "stubborn:ABANDONED"]);
    late.resolve("too late"); // ignored: no second after-event
    await new Promise((r) => setImmediate(r));
    expect(log).toHaveLength(3);
  });

  it("names the node and the grace period in the ABANDONED error", async () => {
    let seen: unknown;
    const dr = new Builder()
      .withModules({ hangs: () => new Promise(() => undefined) })
      .withAdapters({ afterNodeExecution: (e) => void (seen = e.error) })
      .withGracePeriod(5)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["hangs"], { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(HamiltonError.isInstance(seen)).toBe(true);
    expect((seen as HamiltonError).code).toBe("ABANDONED");
    expect((seen as Error).message).toMatch(
      /Node "hangs" did not stop within the grace period of 5 ms.*withGracePeriod/,
    );
  });

  it("refuses a retry wrapper's next() once the run has stopped", async () => {
    let calls = 0;
    const attempts: string[] = [];
    const dr = new Builder()
      .withModules({
        hangs: () => {
          calls++;
          return new Promise(() => undefined);
        },
      })
      .withAdapters({
        wrapNodeExecution: async (_e, next) => {
          for (let i = 0; ; i++) {
            try {
              return await next();
            } catch (error) {
              attempts.push((error as Error).message);
              if (i >= 2) throw error;
            }
          }
        },
      })
      .withGracePeriod(5)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["hangs"], { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(calls).toBe(1);
    expect(attempts[0]).toMatch(/did not stop within the grace period/);
    expect(attempts[1]).toMatch(/was not run: the run has already stopped/);
  });

  it("settles without adapters too when a node never settles, after the grace period", async () => {
    const dr = new Builder()
      .withModules({ hangs: () => new Promise(() => undefined) })
      .withGracePeriod(10)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["hangs"], { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(run).rejects.toMatchObject({ code: "ABORTED", message: "The run was aborted: stop." });
  });

  it("waits for nothing with withGracePeriod(0), and still delivers the events", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({ hangs: () => new Promise(() => undefined) })
      .withAdapters(recorder(log))
      .withGracePeriod(0)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["hangs"], { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(log).toEqual(["after hangs error=ABANDONED", "afterGraph success=false"]);
  });

  it("clears its grace timer when execute settles", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const dr = new Builder()
      .withModules({ polite: async (_: unknown, ctx: NodeContext) => aborted(ctx.signal).then(() => "stopped") })
      .withGracePeriod(60_000)
      .build();
    const before = timers();
    const controller = new AbortController();
    const run = dr.execute(["polite"], { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(timers()).toBe(before);
  });

  it("keeps the process alive while it waits for a straggler (its grace timer is not unref'd)", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const release = deferred<number>();
    const dr = new Builder()
      .withModules({ stubborn: () => release.promise })
      .withGracePeriod(60_000)
      .build();
    const before = timers();
    const controller = new AbortController();
    const run = dr.execute(["stubborn"], { signal: controller.signal });
    controller.abort();
    // getActiveResourcesInfo lists only what keeps the event loop alive: an unref'd timer is not there.
    expect(timers()).toBe(before + 1);
    release.resolve(1); // the straggler settles: the run ends without waiting for the timer
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(timers()).toBe(before);
  });

  it("rejects a bad grace period", () => {
    expect(() => new Builder().withGracePeriod(-1)).toThrow(/withGracePeriod\(ms\): ms must be a finite number ≥ 0/);
    expect(() => new Builder().withGracePeriod(Number.NaN)).toThrow(HamiltonError);
  });
});

describe("abort and graph-level hooks", () => {
  it("rejects with ABORTED when a wrapGraphExecution never calls next()", async () => {
    const called = deferred();
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters({
        wrapGraphExecution: () => {
          called.resolve();
          return new Promise(() => undefined);
        },
      })
      .withGracePeriod(10)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["a"], { signal: controller.signal });
    await called.promise;
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("rejects with ABORTED when a beforeGraphExecution observer hangs, and the other adapters still get the after-event", async () => {
    const called = deferred();
    const log: string[] = [];
    const errors: string[] = [];
    let ran = false;
    const dr = new Builder()
      .withModules({ a: () => (ran = true) })
      .withAdapters(
        {
          name: "hanging",
          beforeGraphExecution: () => {
            called.resolve();
            return new Promise(() => undefined);
          },
          afterGraphExecution: () => new Promise(() => undefined), // hangs too
        } as LifecycleAdapter,
        recorder(log),
      )
      .withAdapterErrorHandler((error, info) =>
        errors.push(`${info.adapterName}.${info.hook}: ${(error as HamiltonError).code}`),
      )
      .withGracePeriod(10)
      .build();
    const controller = new AbortController();
    const run = dr.execute(["a"], { signal: controller.signal });
    await called.promise;
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(ran).toBe(false);
    expect(log).toEqual(["afterGraph success=false"]);
    expect(errors).toEqual(["hanging.beforeGraphExecution: ABANDONED", "hanging.afterGraphExecution: ABANDONED"]);
  });

  it("lets an outer graph wrapper finish when an inner one hangs after a stop", async () => {
    const outer: string[] = [];
    const dr = new Builder()
      .withModules({
        fails: () => {
          throw new Error("x");
        },
      })
      .withAdapters(
        {
          wrapGraphExecution: (_e, next) =>
            next().catch((e: unknown) => (outer.push(`outer saw ${(e as HamiltonError).code}`), Promise.reject(e))),
        },
        { wrapGraphExecution: (_e, next) => next().catch(() => new Promise(() => undefined)) }, // never settles after a failure
      )
      .withGracePeriod(10)
      .build();
    await expect(dr.execute(["fails"])).rejects.toMatchObject({ code: "NODE_FAILED" });
    expect(outer).toEqual(["outer saw ABANDONED"]);
  });

  it("still rejects with ABORTED when the abort comes while only after-run work is pending", async () => {
    const afterCalled = deferred();
    const finishAfter = deferred();
    const dr = new Builder()
      .withModules({ a: async () => 1 })
      .withAdapters({
        afterGraphExecution: () => {
          afterCalled.resolve();
          return finishAfter.promise;
        },
      })
      .build();
    const controller = new AbortController();
    const run = dr.execute(["a"], { signal: controller.signal });
    await afterCalled.promise;
    controller.abort();
    finishAfter.resolve();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("awaits slow observers in full when nothing stops the run", async () => {
    const gate = deferred();
    let done = false;
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters({ afterGraphExecution: () => gate.promise.then(() => void (done = true)) })
      .withGracePeriod(0)
      .build();
    const run = dr.execute(["a"]);
    setImmediate(() => gate.resolve());
    expect(await run).toEqual({ a: 1 });
    expect(done).toBe(true);
  });
});

describe("abort reaches a parallelize source", () => {
  const fanOut = (source: () => unknown) => ({
    item: parallelize(source as () => Iterable<number>),
    double: ({ item }: { item: number }) => item * 2,
    all: collect(({ double }: { double: number[] }) => double),
  });

  it("stops pulling an async iterable and calls its return() when the run is aborted", async () => {
    const controller = new AbortController();
    let pulled = 0;
    let closed = false;
    const source = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (++pulled === 3) controller.abort(); // the run stops while the source still has items
          return { done: false, value: pulled };
        },
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const log: string[] = [];
    const dr = new Builder()
      .withModules(fanOut(() => source))
      .withAdapters(recorder(log))
      .build();
    await expect(dr.execute(["all"], { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect(closed).toBe(true);
    expect(pulled).toBe(3);
    expect(log.at(-1)).toBe("afterGraph success=false");
  });

  it("calls return() without waiting behind a next() that never settles", async () => {
    const controller = new AbortController();
    const pending = deferred();
    let closed = false;
    const source = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          pending.resolve();
          return new Promise<IteratorResult<number>>(() => undefined);
        },
        return: () => {
          closed = true;
          return new Promise<IteratorResult<number>>(() => undefined); // a generator's return() would queue behind next()
        },
      }),
    };
    const dr = new Builder().withModules(fanOut(() => source)).build();
    const run = dr.execute(["all"], { signal: controller.signal });
    await pending.promise;
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(closed).toBe(true);
  });

  it("stops an endless async generator on abort", async () => {
    const controller = new AbortController();
    let pulled = 0;
    let finished = false;
    async function* endless() {
      try {
        for (;;) {
          await new Promise((r) => setImmediate(r));
          if (++pulled === 50) controller.abort();
          yield pulled;
        }
      } finally {
        finished = true;
      }
    }
    const dr = new Builder().withModules(fanOut(endless)).build();
    await expect(dr.execute(["all"], { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect(pulled).toBeLessThanOrEqual(51);
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(true);
  });

  it("drains a synchronous iterator in slices, so that an abort gets in", async () => {
    const controller = new AbortController();
    let pulled = 0;
    let closed = false;
    function* endless() {
      try {
        for (;;) {
          if (++pulled === 10) setImmediate(() => controller.abort());
          yield pulled;
        }
      } finally {
        closed = true;
      }
    }
    const dr = new Builder().withModules(fanOut(endless)).build();
    await expect(dr.execute(["all"], { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(100_000);
  });

  it("fails the parallelize node with TOO_MANY_ITEMS past withMaxFanOutItems, for arrays and iterators", async () => {
    const array = await new Builder()
      .withModules(fanOut(() => [1, 2, 3, 4]))
      .withMaxFanOutItems(3)
      .build()
      .execute(["all"])
      .catch((e: unknown) => e);
    expect(array).toBeInstanceOf(NodeExecutionError);
    expect((array as NodeExecutionError).nodeName).toBe("item");
    expect(((array as Error).cause as HamiltonError).code).toBe("TOO_MANY_ITEMS");
    expect((array as Error).message).toMatch(/produced more than 3 items \(the limit of Builder.withMaxFanOutItems\)/);
    function* endless() {
      for (let i = 0; ; i++) yield i;
    }
    const sync = await new Builder()
      .withModules(fanOut(endless))
      .withMaxFanOutItems(10_000)
      .build()
      .execute(["all"])
      .catch((e: unknown) => e);
    expect(((sync as Error).cause as HamiltonError).code).toBe("TOO_MANY_ITEMS");
    async function* endlessAsync() {
      for (let i = 0; ; i++) yield i;
    }
    const asyncOne = await new Builder()
      .withModules(fanOut(endlessAsync))
      .withMaxFanOutItems(100)
      .build()
      .execute(["all"])
      .catch((e: unknown) => e);
    expect(((asyncOne as Error).cause as HamiltonError).code).toBe("TOO_MANY_ITEMS");
    expect(
      await new Builder()
        .withModules(fanOut(() => [1, 2, 3]))
        .withMaxFanOutItems(3)
        .build()
        .execute(["all"]),
    ).toEqual({ all: [2, 4, 6] });
    expect(() => new Builder().withMaxFanOutItems(1.5)).toThrow(/withMaxFanOutItems\(n\): n must be a whole number/);
  });
});
