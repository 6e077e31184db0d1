import { describe, expect, it, vi } from "vitest";
import { AdapterSet, adapterName } from "./adapter-set.js";
import type { GraphInfo, LifecycleAdapter, NodeExecutionEvent, NodeExecutionResultEvent, NodeInfo } from "./types.js";
import { MAX_NODE_WARNINGS, MAX_WARNING_LENGTH } from "./warning-limits.js";

const node: NodeInfo = {
  name: "a",
  dependencies: [],
  optionalDependencies: [],
  tags: {},
  isExternalInput: false,
  kind: "transform",
  documentation: "",
  source: "() => 1",
  functionName: "a",
  version: "v1",
};
const graph: GraphInfo = {
  nodes: [node],
  node: (name) => (name === "a" ? node : undefined),
  version: "g1",
  config: {},
};
const init = { runId: "r1", node, kwargs: {}, taskId: undefined };
const graphInit = {
  runId: "r1",
  graph,
  finalVars: ["a"],
  inputs: {},
  overrides: {},
  executionPath: ["a"],
};

function recorder(name: string, log: string[]): LifecycleAdapter {
  return {
    beforeNodeExecution: (e) => void log.push(`${name}:before:${e.node.name}:${e.attempt}`),
    afterNodeExecution: (e) => void log.push(`${name}:after:${e.node.name}:${e.success}`),
    wrapNodeExecution: async (_e, next) => {
      log.push(`${name}:wrap-in`);
      try {
        return await next();
      } finally {
        log.push(`${name}:wrap-out`);
      }
    },
    beforeGraphExecution: () => void log.push(`${name}:beforeGraph`),
    afterGraphExecution: (e) => void log.push(`${name}:afterGraph:${e.success}`),
    wrapGraphExecution: async (_e, next) => {
      log.push(`${name}:wrapGraph-in`);
      try {
        return await next();
      } finally {
        log.push(`${name}:wrapGraph-out`);
      }
    },
  };
}

describe("AdapterSet", () => {
  it("nests wrappers with the first adapter outermost and runs observers inside them, in adapter order", async () => {
    const log: string[] = [];
    const set = new AdapterSet([recorder("A", log), recorder("B", log)]);
    const value = await set.runNode(init, () => {
      log.push("work");
      return 42;
    });
    expect(value).toBe(42);
    expect(log).toEqual([
      "A:wrap-in",
      "B:wrap-in",
      "A:before:a:1",
      "B:before:a:1",
      "work",
      "A:after:a:true",
      "B:after:a:true",
      "B:wrap-out",
      "A:wrap-out",
    ]);
  });

  it("keeps a synchronous node synchronous when there are only synchronous observers", () => {
    const set = new AdapterSet([{ beforeNodeExecution: () => undefined, afterNodeExecution: () => undefined }]);
    expect(set.runNode(init, () => 7)).toBe(7);
  });

  describe("aroundNodeExecution", () => {
    function around(name: string, log: string[]): LifecycleAdapter {
      return {
        beforeNodeExecution: () => void log.push(`${name}:before`),
        afterNodeExecution: (e) => void log.push(`${name}:after:${e.success}`),
        aroundNodeExecution: (_e, next) => {
          log.push(`${name}:in`);
          const out = next();
          if (out instanceof Promise) return out.finally(() => log.push(`${name}:out(async)`));
          log.push(`${name}:out`);
          return out;
        },
      };
    }

    it("keeps a synchronous node synchronous through the wrappers, first adapter outermost", () => {
      const log: string[] = [];
      const set = new AdapterSet([around("A", log), around("B", log)]);
      const value = set.runNode(init, () => {
        log.push("work");
        return 7;
      });
      expect(value).toBe(7);
      expect(log).toEqual([
        "A:in",
        "B:in",
        "A:before",
        "B:before",
        "work",
        "A:after:true",
        "B:after:true",
        "B:out",
        "A:out",
      ]);
    });

    it("hands an asynchronous node's promise through, and settles after it", async () => {
      const log: string[] = [];
      const set = new AdapterSet([around("A", log)]);
      const out = set.runNode(init, async () => 8);
      expect(out).toBeInstanceOf(Promise);
      expect(await out).toBe(8);
      expect(log).toEqual(["A:in", "A:before", "A:after:true", "A:out(async)"]);
    });

    it("lets a synchronous failure through as a throw, unchanged", () => {
      const boom = new Error("boom");
      const seen: unknown[] = [];
      const set = new AdapterSet([
        {
          aroundNodeExecution: (_e, next) => {
            try {
              return next();
            } catch (error) {
              seen.push(error);
              throw error;
            }
          },
        },
      ]);
      expect(() =>
        set.runNode(init, () => {
          throw boom;
        }),
      ).toThrow(boom);
      expect(seen).toEqual([boom]);
    });

    it("nests with promise-style wrappers in adapter order: inside one, next() is a promise", async () => {
      const log: string[] = [];
      const kinds: string[] = [];
      const set = new AdapterSet([
        recorder("P", log),
        {
          aroundNodeExecution: (_e, next) => {
            const out = next();
            kinds.push(out instanceof Promise ? "promise" : "value");
            return out;
          },
        },
      ]);
      expect(await set.runNode(init, () => 3)).toBe(3);
      // The around wrapper is inside the promise-style one but nothing inside it is async.
      expect(kinds).toEqual(["value"]);
      expect(log).toEqual(["P:wrap-in", "P:before:a:1", "P:after:a:true", "P:wrap-out"]);

      const outer = new AdapterSet([
        {
          aroundNodeExecution: (_e, next) => {
            const out = next();
            kinds.push(out instanceof Promise ? "promise" : "value");
            return out;
          },
        },
        { wrapNodeExecution: (_e, next) => next() },
      ]);
      expect(await outer.runNode(init, () => 4)).toBe(4);
      expect(kinds).toEqual(["value", "promise"]);
    });

    it("is preferred over wrapNodeExecution when an adapter has both", () => {
      const calls: string[] = [];
      const set = new AdapterSet([
        {
          wrapNodeExecution: (_e, next) => (calls.push("wrap"), next()),
          aroundNodeExecution: (_e, next) => (calls.push("around"), next()),
        },
      ]);
      expect(set.runNode(init, () => 5)).toBe(5);
      expect(calls).toEqual(["around"]);
      expect(set.hasNodeHooks).toBe(true);
    });

    it("can retry: each call of next() is one more attempt", () => {
      const attempts: number[] = [];
      let calls = 0;
      const set = new AdapterSet([
        {
          beforeNodeExecution: (e) => void attempts.push(e.attempt),
          aroundNodeExecution: (_e, next) => {
            try {
              return next();
            } catch {
              return next();
            }
          },
        },
      ]);
      const value = set.runNode(init, () => {
        if (calls++ === 0) throw new Error("flaky");
        return "ok";
      });
      expect(value).toBe("ok");
      expect(attempts).toEqual([1, 2]);
    });
  });

  it("runs graph observers inside graph wrappers and passes the results through", async () => {
    const log: string[] = [];
    const set = new AdapterSet([recorder("A", log), recorder("B", log)]);
    const results = await set.runGraph(graphInit, () => ({ a: 1 }));
    expect(results).toEqual({ a: 1 });
    expect(log).toEqual([
      "A:wrapGraph-in",
      "B:wrapGraph-in",
      "A:beforeGraph",
      "B:beforeGraph",
      "A:afterGraph:true",
      "B:afterGraph:true",
      "B:wrapGraph-out",
      "A:wrapGraph-out",
    ]);
  });

  it("applies a bound to each graph observer's promise and to each wrapper, so one hanging adapter does not starve the others", async () => {
    const log: string[] = [];
    const reported: string[] = [];
    const late = new Error("late");
    // A bound that gives up on every hook at once: what the engine's does after a stop and its grace period.
    const bound = <T>(p: Promise<T>, inside?: () => Promise<unknown> | undefined): Promise<T> => {
      void p.catch(() => undefined);
      const first = inside?.();
      return (first ?? Promise.resolve()).then(
        () => Promise.reject(late),
        () => Promise.reject(late),
      );
    };
    const set = new AdapterSet(
      [
        {
          wrapGraphExecution: (_e, next) =>
            next().catch((e: unknown) => (log.push(`outer next: ${(e as Error).message}`), Promise.reject(e))),
        },
        {
          name: "hangs",
          wrapGraphExecution: (_e, next) => next().then(() => new Promise(() => undefined)),
          afterGraphExecution: () => new Promise(() => undefined),
        } as LifecycleAdapter,
        { afterGraphExecution: () => void log.push("last adapter's afterGraph") },
      ],
      {
        onAdapterError: (error, info) =>
          void reported.push(`${info.adapterName}.${info.hook}: ${(error as Error).message}`),
      },
    );
    await expect(set.runGraph(graphInit, () => ({ a: 1 }), bound)).rejects.toBe(late);
    expect(log).toEqual(["last adapter's afterGraph", "outer next: late"]);
    expect(reported).toEqual(["hangs.afterGraphExecution: late"]);
  });

  it("completes the graph event with the outcome of a failed run and rejects with the run's error", async () => {
    const seen: unknown[] = [];
    const set = new AdapterSet([{ afterGraphExecution: (e) => void seen.push([e.success, e.error, e.results]) }]);
    const boom = new Error("boom");
    await expect(
      set.runGraph(graphInit, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(seen).toEqual([[false, boom, undefined]]);
  });

  it("reports a throwing or rejecting observer and never changes the outcome", async () => {
    const onAdapterError = vi.fn();
    const set = new AdapterSet(
      [
        {
          name: "sync-thrower",
          beforeNodeExecution: () => {
            throw new Error("sync");
          },
        } as LifecycleAdapter,
        { afterNodeExecution: () => Promise.reject(new Error("async")) },
      ],
      { onAdapterError },
    );
    await expect(Promise.resolve(set.runNode(init, () => "ok"))).resolves.toBe("ok");
    expect(onAdapterError).toHaveBeenCalledTimes(2);
    expect(onAdapterError.mock.calls[0]![1]).toMatchObject({
      adapterName: "sync-thrower",
      hook: "beforeNodeExecution",
    });
    expect(onAdapterError.mock.calls[1]![1]).toMatchObject({ adapterName: "adapter #1", hook: "afterNodeExecution" });
  });

  it("warns once per adapter and hook by default", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const set = new AdapterSet([
        {
          afterNodeExecution: () => {
            throw new Error("again and again");
          },
        },
      ]);
      set.runNode(init, () => 1);
      set.runNode(init, () => 2);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain("afterNodeExecution");
      expect(String(warn.mock.calls[0]![0])).toContain("again and again");
    } finally {
      warn.mockRestore();
    }
  });

  it("redacts secrets in its default warning, and describes any thrown value", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const set = new AdapterSet([
        {
          name: "leaky",
          beforeNodeExecution: () => {
            throw new Error("connect failed: password=hunter2");
          },
          afterNodeExecution: () => {
            throw Object.create(null); // String() of it would throw
          },
        } as LifecycleAdapter,
      ]);
      expect(set.runNode(init, () => 1)).toBe(1);
      expect(warn).toHaveBeenCalledTimes(2);
      const [first, second] = warn.mock.calls.map((call) => String(call[0]));
      expect(first).toContain(
        'adapter "leaky" threw in beforeNodeExecution: Error: connect failed: password=[REDACTED]',
      );
      expect(first).not.toContain("hunter2");
      expect(second).toContain("threw in afterNodeExecution: a thrown object.");
    } finally {
      warn.mockRestore();
    }
  });

  it("awaits asynchronous observers in adapter order before running the node", async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const set = new AdapterSet([
      {
        beforeNodeExecution: async () => {
          log.push("first starts");
          await gate;
          log.push("first ends");
        },
      },
      { beforeNodeExecution: () => void log.push("second") },
    ]);
    const done = set.runNode(init, () => log.push("work"));
    // Drain the microtasks (and a macrotask turn): nothing may pass the pending observer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["first starts"]);
    release();
    await done;
    expect(log).toEqual(["first starts", "first ends", "second", "work"]);
  });

  it("fails the node with a wrapper's own error and passes next()'s errors through unchanged", async () => {
    const own = new Error("wrapper broke");
    const set1 = new AdapterSet([
      {
        wrapNodeExecution: async () => {
          throw own;
        },
      },
    ]);
    await expect(set1.runNode(init, () => 1)).rejects.toBe(own);

    const nodeError = new Error("node broke");
    let seen: unknown;
    const set2 = new AdapterSet([
      {
        wrapNodeExecution: async (_e, next) => {
          try {
            return await next();
          } catch (error) {
            seen = error;
            throw error;
          }
        },
      },
    ]);
    await expect(
      set2.runNode(init, () => {
        throw nodeError;
      }),
    ).rejects.toBe(nodeError);
    expect(seen).toBe(nodeError);
  });

  it("shows every attempt of a retrying wrapper to the observers", async () => {
    const attempts: Array<[number, boolean]> = [];
    let calls = 0;
    const set = new AdapterSet([
      {
        wrapNodeExecution: async (_e, next) => {
          try {
            return await next();
          } catch {
            return next();
          }
        },
        afterNodeExecution: (e) => void attempts.push([e.attempt, e.success]),
      },
    ]);
    const value = await set.runNode(init, () => {
      calls += 1;
      if (calls === 1) throw new Error("flaky");
      return "second time";
    });
    expect(value).toBe("second time");
    expect(attempts).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("shares one event object, and its attributes, between all adapters of a node run", async () => {
    const events: NodeExecutionEvent[] = [];
    const set = new AdapterSet([
      {
        wrapNodeExecution: (e, next) => {
          e.attributes.trace_id = "t-1";
          return next();
        },
      },
      {
        beforeNodeExecution: (e) => void events.push(e),
        afterNodeExecution: (e) => void events.push(e),
      },
    ]);
    await set.runNode(init, () => 1);
    expect(events[0]).toBe(events[1]);
    expect(events[0]!.attributes).toEqual({ trace_id: "t-1" });
    // An ordinary record to adapters: keys, spread, JSON, `in`.
    const attributes = events[0]!.attributes;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.keys(attributes)).toEqual(["trace_id"]);
    expect({ ...attributes }).toStrictEqual({ trace_id: "t-1" });
    expect(JSON.stringify(attributes)).toBe('{"trace_id":"t-1"}');
    expect("trace_id" in attributes && !("span_id" in attributes)).toBe(true);
  });

  it("records the outcome and timing on the after-event", async () => {
    let after: unknown;
    const set = new AdapterSet([{ afterNodeExecution: (e) => void (after = { ...e }) }]);
    const failure = new Error("nope");
    await expect(
      set.runNode(init, async () => {
        await new Promise((r) => setTimeout(r, 10));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(after).toMatchObject({ success: false, error: failure, result: undefined });
    expect((after as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(5);
  });

  it("collects validator problems and lets validator errors propagate", () => {
    const set = new AdapterSet([
      {
        name: "naming",
        validateNode: ({ node }) => (node.name.length < 2 ? `name "${node.name}" is too short` : undefined),
        validateGraph: () => "graph too small",
      } as LifecycleAdapter,
    ]);
    expect(set.validate(graph)).toEqual([
      { adapterName: "naming", node: "a", message: 'name "a" is too short' },
      { adapterName: "naming", node: undefined, message: "graph too small" },
    ]);
    const broken = new AdapterSet([
      {
        validateGraph: () => {
          throw new Error("validator crashed");
        },
      },
    ]);
    expect(() => broken.validate(graph)).toThrow("validator crashed");
  });

  it("rejects something that is not an adapter with a clear error", () => {
    expect(() => new AdapterSet([null as unknown as LifecycleAdapter])).toThrow(/Adapter #0 is null/);
  });

  it("tells which hooks exist so the engine can skip node events", () => {
    expect(new AdapterSet([]).hasNodeHooks).toBe(false);
    expect(new AdapterSet([{ afterGraphExecution: () => undefined }]).hasNodeHooks).toBe(false);
    expect(new AdapterSet([{ afterGraphExecution: () => undefined }]).hasGraphHooks).toBe(true);
    expect(new AdapterSet([{ wrapNodeExecution: (_e, n) => n() }]).hasNodeHooks).toBe(true);
  });

  it("collects the warnings a node reports on its after-event", async () => {
    let warnings: readonly string[] | undefined;
    const set = new AdapterSet([{ afterNodeExecution: (e) => void (warnings = e.warnings) }]);
    set.runNode(init, (warn) => {
      warn("3 values out of range");
      warn("schema drift");
      return 1;
    });
    expect(warnings).toEqual(["3 values out of range", "schema drift"]);
    set.runNode(init, () => 1);
    expect(warnings).toBeUndefined();
  });

  it("inside a retrying wrapper, each attempt's after-event has that attempt's warnings only", () => {
    const seen: (readonly string[] | undefined)[] = [];
    const set = new AdapterSet([
      {
        aroundNodeExecution: (_e, next) => {
          try {
            return next();
          } catch {
            return next();
          }
        },
      },
      { afterNodeExecution: (e) => void seen.push(e.warnings) },
    ]);
    let calls = 0;
    const out = set.runNode(init, (warn) => {
      warn(`attempt ${++calls}`);
      if (calls === 1) throw new Error("flaky");
      return 2;
    });
    expect(out).toBe(2);
    expect(seen).toEqual([["attempt 1"], ["attempt 2"]]);
  });

  it("names adapters by name, class or position", () => {
    class MyTracer {}
    expect(adapterName(new MyTracer() as LifecycleAdapter, 0)).toBe("MyTracer");
    expect(adapterName({}, 3)).toBe("adapter #3");
  });
});

describe("AdapterSet warning limits", () => {
  const init = { runId: "r1", node: { name: "n" } as NodeInfo, kwargs: {}, taskId: undefined };

  it("keeps at most 100 warnings per node run, each cut to 2,000 characters, and counts the rest", () => {
    let seen: NodeExecutionResultEvent | undefined;
    const set = new AdapterSet([{ afterNodeExecution: (e) => void (seen = { ...e }) }]);
    set.runNode(init, (warn) => {
      for (let i = 0; i < 50_000; i++) warn(`warning ${i} ${"x".repeat(1_000)}`);
      warn("y".repeat(10_000));
      return 1;
    });
    expect(seen!.warnings).toHaveLength(MAX_NODE_WARNINGS);
    expect(seen!.warnings![99]).toBe(`warning 99 ${"x".repeat(1_000)}`);
    expect(seen!.warningsDropped).toBe(50_001 - 100);

    set.runNode(init, (warn) => {
      warn("z".repeat(10_000));
      return 1;
    });
    expect(seen!.warnings).toEqual([`${"z".repeat(MAX_WARNING_LENGTH - 1)}…`]);
    expect(seen!.warningsDropped).toBe(0);
  });

  it("starts each attempt of a retried node with no warnings and none dropped", async () => {
    const dropped: Array<number | undefined> = [];
    const retry: LifecycleAdapter = {
      wrapNodeExecution: async (_e, next) => {
        try {
          return await next();
        } catch {
          return next();
        }
      },
    };
    const set = new AdapterSet([retry, { afterNodeExecution: (e) => void dropped.push(e.warningsDropped) }]);
    let attempt = 0;
    await set.runNode(init, (warn) => {
      if (attempt++ === 0) {
        for (let i = 0; i < 150; i++) warn("w");
        throw new Error("first attempt fails");
      }
      return 1;
    });
    expect(dropped).toEqual([50, 0]);
  });
});
