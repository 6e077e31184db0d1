import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { ticks } from "./fixtures/scheduling.js";

/**
 * The planner, through what a run does: which nodes run, in which order relative to their
 * dependencies, what an override prunes, what an absent optional input does, which values stay
 * available to the nodes that still need them.
 */
describe("the plan of an execute", () => {
  /** A dataflow whose nodes log when they start and end; `wait` makes some of them asynchronous. */
  function dataflow(log: string[], wait: Readonly<Record<string, number>> = {}) {
    const step =
      <T>(name: string, fn: () => T) =>
      (): T | Promise<T> => {
        log.push(`start ${name}`);
        const n = wait[name];
        if (n === undefined) {
          const out = fn();
          log.push(`end ${name}`);
          return out;
        }
        return ticks(n).then(() => {
          log.push(`end ${name}`);
          return fn();
        });
      };
    // x → source → a; x → b; a, b → c (a diamond); a, y? → d; e stands apart.
    return {
      source: ({ x }: { x: number }) => step("source", () => x * 10)(),
      a: ({ source }: { source: number }) => step("a", () => source + 1)(),
      b: ({ x }: { x: number }) => step("b", () => x + 2)(),
      c: ({ a, b }: { a: number; b: number }) => step("c", () => a * b)(),
      d: ({ a, y = 100 }: { a: number; y?: number }) => step("d", () => a + y)(),
      e: ({ z }: { z: number }) => step("e", () => z)(),
    };
  }

  const started = (log: readonly string[]) => log.filter((l) => l.startsWith("start ")).map((l) => l.slice(6));

  it("runs only the ancestors of the requested outputs, each once", async () => {
    const log: string[] = [];
    const dr = new Builder().withModules(dataflow(log)).build();
    // e's input z is not given: it is not needed, so it is not missing either.
    expect(await dr.execute(["c"], { inputs: { x: 1 } })).toEqual({ c: 33 });
    expect(started(log).sort()).toEqual(["a", "b", "c", "source"]);
  });

  it("starts a node only after every one of its dependencies has finished, whatever order they finish in", async () => {
    const waits: Readonly<Record<string, number>>[] = [
      {},
      { source: 3, b: 1 },
      { b: 4, a: 1 },
      { source: 1, a: 2, b: 2, c: 1 },
    ];
    for (const wait of waits) {
      const log: string[] = [];
      const dr = new Builder().withModules(dataflow(log, wait)).build();
      expect(await dr.execute(["c", "d"], { inputs: { x: 1 } })).toEqual({ c: 33, d: 111 });
      const deps: Record<string, string[]> = { source: [], a: ["source"], b: [], c: ["a", "b"], d: ["a"] };
      for (const [name, needs] of Object.entries(deps)) {
        const start = log.indexOf(`start ${name}`);
        expect(start, `${name} runs (${JSON.stringify(wait)})`).toBeGreaterThanOrEqual(0);
        for (const dep of needs) {
          expect(log.indexOf(`end ${dep}`), `${dep} ends before ${name} starts (${JSON.stringify(wait)})`).toBeLessThan(
            start,
          );
        }
      }
      expect(log.filter((l) => l.startsWith("start ")).length).toBe(5);
    }
  });

  it("starts independent ready nodes in the order they were written", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({
        third: () => log.push("third"),
        first: () => log.push("first"),
        second: () => log.push("second"),
      })
      .build();
    await dr.execute(["first", "second", "third"]);
    expect(log).toEqual(["third", "first", "second"]);
  });

  it("does not run an overridden node, nor what only it needed, and uses the override's value", async () => {
    const log: string[] = [];
    const dr = new Builder().withModules(dataflow(log)).build();
    // source needs x; a is overridden, so neither source nor its input x is needed any more.
    expect(await dr.execute(["c"], { inputs: {}, overrides: { a: 5, b: 2 } })).toEqual({ c: 10 });
    expect(started(log)).toEqual(["c"]);
    log.length = 0;
    // b is still computed from x: an override prunes only what nothing else needs.
    expect(await dr.execute(["c", "d"], { inputs: { x: 1 }, overrides: { source: 0 } })).toEqual({ c: 3, d: 101 });
    expect(started(log).sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("leaves an absent optional input to its default, and passes one that is given", async () => {
    const log: string[] = [];
    const dr = new Builder().withModules(dataflow(log)).build();
    expect(await dr.execute(["d"], { inputs: { x: 1 } })).toEqual({ d: 111 });
    expect(await dr.execute(["d"], { inputs: { x: 1, y: 7 } })).toEqual({ d: 18 });
    // A required input is not optional: its absence is an error naming who needs it.
    await expect(dr.execute(["d"])).rejects.toMatchObject({
      code: "MISSING_INPUTS",
      missing: [{ name: "x", neededBy: ["source"] }],
    });
  });

  it("keeps a value until its last reader has run, and keeps requested outputs to the end", async () => {
    // `early` reads a at once; `late` reads it only after slow's wait: a must still be there.
    const dr = new Builder()
      .withModules({
        a: ({ x }: { x: number }) => ({ x }),
        early: ({ a }: { a: { x: number } }) => a.x + 1,
        slow: async () => (await ticks(5), 2),
        late: ({ a, slow }: { a: { x: number }; slow: number }) => a.x * slow,
        last: ({ late, early }: { late: number; early: number }) => late + early,
      })
      .build();
    expect(await dr.execute(["last"], { inputs: { x: 3 } })).toEqual({ last: 10 });
    // a and early are read by nodes that ran before the end, yet requested: they come back.
    expect(await dr.execute(["a", "last", "early"], { inputs: { x: 3 } })).toEqual({ a: { x: 3 }, last: 10, early: 4 });
  });

  it("reports the order it will run in to adapters, dependencies first", async () => {
    let path: readonly string[] = [];
    const dr = new Builder()
      .withModules(dataflow([]))
      .withAdapters({ beforeGraphExecution: (e) => void (path = e.executionPath) })
      .build();
    await dr.execute(["c"], { inputs: { x: 1 }, overrides: { b: 0 } });
    expect(path).toEqual(["source", "a", "c"]);
  });
});
