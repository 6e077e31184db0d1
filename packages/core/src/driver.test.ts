import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { rejection } from "./fixtures/errors.js";
import { barrier, ticks } from "./fixtures/scheduling.js";
import { MissingInputsError, NodeExecutionError } from "./errors.js";
import { node, type NodeContext } from "./modifiers.js";

describe("Driver.execute", () => {
  it("runs only the ancestors of the requested outputs, each once, and returns exactly those keys in order", async () => {
    const calls: string[] = [];
    const dr = new Builder()
      .withModules({
        a: () => (calls.push("a"), 1),
        b: ({ a }: { a: number }) => (calls.push("b"), a + 1),
        c: ({ a }: { a: number }) => (calls.push("c"), a + 2),
        d: ({ b, c }: { b: number; c: number }) => (calls.push("d"), b * c),
        unrelated: () => (calls.push("unrelated"), 0),
      })
      .build();
    const out = await dr.execute(["d", "a"]);
    expect(out).toEqual({ d: 6, a: 1 });
    expect(Object.keys(out)).toEqual(["d", "a"]);
    expect(calls.sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("prunes what only an overridden node needed", async () => {
    const calls: string[] = [];
    const dr = new Builder()
      .withModules({
        a: () => (calls.push("a"), 1),
        b: ({ a }: { a: number }) => (calls.push("b"), a + 1),
        c: ({ b }: { b: number }) => (calls.push("c"), b * 10),
      })
      .build();
    expect(await dr.execute(["c"], { overrides: { b: 5 } })).toEqual({ c: 50 });
    expect(calls).toEqual(["c"]);
  });

  it("returns an input requested as an output, and config values as inputs", async () => {
    const dr = new Builder()
      .withModules({
        greeting: ({ name, punctuation }: { name: string; punctuation: string }) => `hi ${name}${punctuation}`,
      })
      .withConfig({ punctuation: "!" })
      .build();
    expect(await dr.execute(["greeting", "name", "punctuation"], { inputs: { name: "ada" } })).toEqual({
      greeting: "hi ada!",
      name: "ada",
      punctuation: "!",
    });
  });

  it("lets an absent optional dependency take its default, and passes it when given", async () => {
    const dr = new Builder()
      .withModules({ answer: ({ model = "gpt-4o-mini" }: { model?: string }) => `model=${model}` })
      .build();
    expect(await dr.execute(["answer"])).toEqual({ answer: "model=gpt-4o-mini" });
    expect(await dr.execute(["answer"], { inputs: { model: "o3" } })).toEqual({ answer: "model=o3" });
  });

  it("computes optional dependencies that are nodes", async () => {
    const dr = new Builder()
      .withModules({ model: () => "from-node", answer: ({ model = "default" }: { model?: string }) => model })
      .build();
    expect(await dr.execute(["answer"])).toEqual({ answer: "from-node" });
  });

  it("lists every missing input and which nodes need it, in one error", async () => {
    const dr = new Builder()
      .withModules({
        a: ({ x, y }: { x: number; y: number }) => x + y,
        b: ({ x, z = 1 }: { x: number; z?: number }) => x + z,
        c: ({ a, b }: { a: number; b: number }) => a + b,
      })
      .build();
    const error = await rejection(dr.execute(["c"]));
    expect(error).toBeInstanceOf(MissingInputsError);
    expect(error.code).toBe("MISSING_INPUTS");
    expect((error as MissingInputsError).missing).toEqual([
      { name: "x", neededBy: ["a", "b"] },
      { name: "y", neededBy: ["a"] },
    ]);
    expect(error.message).toMatch(/"x" \(needed by "a", "b"\), "y" \(needed by "a"\)/);
    expect(() => dr.validateExecution(["c"], { inputs: { x: 1 } })).toThrow(/Missing required input: "y"/);
    expect(() => dr.validateExecution(["c"], { inputs: { x: 1, y: 2 } })).not.toThrow();
  });

  it("rejects unknown outputs with did-you-mean suggestions", async () => {
    const dr = new Builder().withModules({ universalTruth: () => "42", universalLie: () => "41" }).build();
    const error = await rejection(dr.execute(["univrsalTruth" as "universalTruth"]));
    expect(error.code).toBe("UNKNOWN_OUTPUTS");
    expect(error.message).toMatch(/"univrsalTruth" \(did you mean "universalTruth"/);
  });

  it("rejects overrides of unknown nodes, inputs that name computed nodes, and inputs that clash with config", async () => {
    const dr = new Builder()
      .withModules({ a: ({ x }: { x: number }) => x, b: ({ a }: { a: number }) => a })
      .withConfig({ x: 1 })
      .build();
    const unknown = await rejection(dr.execute(["b"], { overrides: { A: 1 } as never }));
    expect(unknown.code).toBe("UNKNOWN_OVERRIDES");
    expect(unknown.message).toMatch(/did you mean "a"/); // differs only in case
    const noise = await rejection(dr.execute(["b"], { overrides: { c: 1 } as never }));
    expect(noise.message).not.toMatch(/did you mean/); // a short name is close to every short name
    const computed = await rejection(dr.execute(["b"], { inputs: { a: 2 } as never }));
    expect(computed.code).toBe("INVALID_INPUTS");
    expect(computed.message).toMatch(/pass it in overrides/);
    const clash = await rejection(dr.execute(["b"], { inputs: { x: 2 } }));
    expect(clash.code).toBe("INVALID_INPUTS");
    expect(clash.message).toMatch(/also set in the config/);
    const notAnObject = await rejection(dr.execute(["b"], { inputs: [] as never }));
    expect(notAnObject.code).toBe("INVALID_ARGUMENT");
    expect(notAnObject.message).toMatch(/^execute\(\.\.\., \{ inputs \}\): inputs must be an object/);
  });

  it("rejects finalVars that is not an array, and a config that is not a record, saying where", async () => {
    const dr = new Builder().withModules({ a: () => 1 }).build();
    const notArray = await rejection(dr.execute("a" as never));
    expect(notArray.code).toBe("INVALID_ARGUMENT");
    expect(notArray.message).toMatch(/finalVars must be an array of node names/);
    expect(() => dr.validateExecution("a" as never)).toThrow(/finalVars must be an array/);
    expect(() => new Builder().withConfig([1] as never)).toThrow(
      /^withConfig\(config\): config must be an object of name → value, got an array/,
    );
  });

  it("runs independent async nodes concurrently", async () => {
    // Each node waits until all three are in flight (or, if they are not, gives up after a while of
    // event-loop turns, so that a serial engine fails on peak instead of hanging).
    const allRunning = barrier(3);
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      await Promise.race([allRunning(), ticks(50)]);
      running--;
      return 1;
    };
    const dr = new Builder()
      .withModules({
        a: slow,
        b: async () => slow(),
        c: async () => slow(),
        total: ({ a, b, c }: { a: number; b: number; c: number }) => a + b + c,
      })
      .build();
    expect(await dr.execute(["total"])).toEqual({ total: 3 });
    expect(peak).toBe(3);
  });

  it("respects the concurrency limit", async () => {
    let running = 0;
    let peak = 0;
    const mod: Record<string, () => Promise<number>> = {};
    for (let i = 0; i < 12; i++) {
      mod[`n${i}`] = async () => {
        running++;
        peak = Math.max(peak, running);
        await ticks(1);
        running--;
        return i;
      };
    }
    const dr = new Builder().withModules(mod).withMaxConcurrency(3).build();
    const out = await dr.execute(Object.keys(mod));
    expect(Object.values(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(peak).toBe(3);
    expect(() => new Builder().withMaxConcurrency(0)).toThrow(/whole number ≥ 1/);
  });

  it("fails with a NodeExecutionError naming the node and keeping the cause, and starts nothing new", async () => {
    const boom = new Error("boom");
    const started: string[] = [];
    const dr = new Builder()
      .withModules({
        a: () => 1,
        b: ({ a }: { a: number }) => {
          started.push("b");
          if (a === 1) throw boom;
          return a;
        },
        c: ({ b }: { b: number }) => (started.push("c"), b),
      })
      .build();
    const error = await rejection(dr.execute(["c"]));
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error.code).toBe("NODE_FAILED");
    expect((error as NodeExecutionError).nodeName).toBe("b");
    expect(error.cause).toBe(boom);
    expect(error.message).toBe('Node "b" failed: boom');
    expect(started).toEqual(["b"]);
  });

  it("fires the context signal of still-running nodes when another node fails", async () => {
    let siblingSawAbort: unknown;
    const dr = new Builder()
      .withModules({
        failing: async () => {
          await null; // after `sibling` has started (both start in the same pass)
          throw new Error("first failure");
        },
        sibling: async (_: unknown, ctx: NodeContext) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          siblingSawAbort = ctx.signal.reason;
          return 1;
        },
        both: ({ failing, sibling }: { failing: number; sibling: number }) => failing + sibling,
      })
      .build();
    const error = await rejection(dr.execute(["both"]));
    expect((error as NodeExecutionError).nodeName).toBe("failing");
    // execute settled only after `sibling` did: no waiting needed.
    expect(siblingSawAbort).toBe(error);
  });

  it("rejects with ABORTED after the grace period, even while a node ignores the signal", async () => {
    const controller = new AbortController();
    let release!: () => void;
    let finished = false;
    const dr = new Builder()
      .withModules({
        stubborn: async () => {
          await new Promise<void>((resolve) => (release = resolve)); // ignores its signal
          finished = true;
          return 1;
        },
      })
      .withGracePeriod(10)
      .build();
    const pending = dr.execute(["stubborn"], { signal: controller.signal });
    controller.abort(new Error("user pressed Ctrl-C"));
    const error = await rejection(pending);
    expect(error.code).toBe("ABORTED");
    expect(error.message).toMatch(/user pressed Ctrl-C/);
    expect(finished).toBe(false);
    release();
    const already = await rejection(dr.execute(["stubborn"], { signal: AbortSignal.abort() }));
    expect(already.code).toBe("ABORTED");
  });

  it("aborts when the signal fires during a node's synchronous start", async () => {
    const controller = new AbortController();
    const dr = new Builder()
      .withModules({
        eager: async (_: unknown, ctx: NodeContext) => {
          controller.abort(new Error("changed my mind"));
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          return 1;
        },
      })
      .build();
    const error = await rejection(dr.execute(["eager"], { signal: controller.signal }));
    expect(error.code).toBe("ABORTED");
    expect(error.message).toMatch(/changed my mind/);
  });

  it("gives nodes a context with runId and nodeName", async () => {
    const seen: Array<[string, string]> = [];
    const dr = new Builder()
      .withModules({
        a: (_: unknown, ctx: NodeContext) => (seen.push([ctx.nodeName, ctx.runId]), ctx.signal.aborted),
      })
      .withAdapters({ beforeGraphExecution: (e) => void seen.push(["run", e.runId]) })
      .build();
    expect(await dr.execute(["a"])).toEqual({ a: false });
    expect(seen[1]![0]).toBe("a");
    expect(seen[1]![1]).toBe(seen[0]![1]);
  });

  it("runs many executes at once on one driver without mixing their values", async () => {
    const dr = new Builder()
      .withModules({
        doubled: async ({ x }: { x: number }) => {
          await ticks(Math.floor(Math.random() * 5));
          return x * 2;
        },
        plusOne: async ({ doubled }: { doubled: number }) => {
          await ticks(Math.floor(Math.random() * 5));
          return doubled + 1;
        },
      })
      .build();
    const outs = await Promise.all(Array.from({ length: 100 }, (_, x) => dr.execute(["plusOne"], { inputs: { x } })));
    expect(outs.map((o) => o.plusOne)).toEqual(Array.from({ length: 100 }, (_, x) => x * 2 + 1));
  });

  it("hands each node a plain object holding exactly its dependencies", async () => {
    const seen: Record<string, unknown>[] = [];
    const dr = new Builder()
      .withModules({
        a: () => 1,
        b: node(["a", "x"], (deps: Record<string, unknown>) => (seen.push(deps), 2)),
      })
      .build();
    await dr.execute(["b"], { inputs: { x: "in" } });
    await dr.execute(["b"], { inputs: { x: "again" } });
    for (const deps of seen) {
      expect(Object.getPrototypeOf(deps)).toBe(Object.prototype);
      expect(deps.constructor).toBe(Object);
      expect(Object.keys(deps)).toEqual(["a", "x"]);
    }
    expect(seen.map((d) => JSON.stringify(d))).toEqual(['{"a":1,"x":"in"}', '{"a":1,"x":"again"}']);
    expect(seen[0]).not.toBe(seen[1]); // a fresh object per run
  });

  it("runs a long synchronous chain without recursion limits", async () => {
    const mod: Record<string, Function> = { n0: () => 0 };
    for (let i = 1; i < 20_000; i++) {
      mod[`n${i}`] = new Function(`return ({ n${i - 1} }) => n${i - 1} + 1`)();
    }
    const dr = new Builder().withModules(mod).build();
    expect(await dr.execute(["n19999"] as never)).toEqual({ n19999: 19_999 });
  });
});

describe("Driver introspection", () => {
  const dr = new Builder()
    .withModules({
      raw: () => [1, 2, 3],
      total: ({ raw, weight }: { raw: number[]; weight: number }) => raw.length * weight,
      report: ({ total }: { total: number }) => `total=${total}`,
    })
    .build();

  it("lists nodes and external inputs, filtered by tags", async () => {
    const { tag } = await import("./modifiers.js");
    const tagged = new Builder()
      .withModules({
        a: tag({ owner: "growth", stage: "raw" }, () => 1),
        b: tag({ owner: "bi" }, () => 2),
        c: tag({ owner: ["growth", "bi"] }, () => 3),
      })
      .build();
    expect(dr.listAvailableVariables().map((n) => n.name)).toEqual(["raw", "report", "total", "weight"]);
    expect(tagged.listAvailableVariables({ tagFilter: { owner: "growth" } }).map((n) => n.name)).toEqual(["a", "c"]);
    expect(tagged.listAvailableVariables({ tagFilter: { stage: null } }).map((n) => n.name)).toEqual(["a"]);
    expect(tagged.listAvailableVariables({ tagFilter: { owner: ["bi"], stage: "raw" } }).map((n) => n.name)).toEqual(
      [],
    );
  });

  it("draws an execution in Mermaid with inputs, overrides and outputs distinguished", () => {
    const text = dr.visualizeExecution(["report"], { inputs: { weight: 2 } });
    expect(text.split("\n")[0]).toBe("flowchart LR");
    expect(text).toContain('n_weight(["weight"]):::input');
    expect(text).toContain('n_report[["report"]]:::output');
    expect(text).toContain("n_raw --> n_total");
    const overridden = dr.visualizeExecution(["report"], { overrides: { total: 5 } });
    expect(overridden).toContain('n_total{{"total"}}:::override');
    expect(overridden).not.toContain("n_raw");
  });

  it("draws DOT too, and rejects unknown formats", () => {
    const text = dr.visualizeExecution(["report"], { inputs: { weight: 2 }, format: "dot" });
    expect(text).toMatch(/^digraph hamilton \{/);
    expect(text).toContain('"weight" [shape=ellipse, style=dashed');
    expect(text).toContain('"total" -> "report";');
    expect(() => dr.visualizeExecution(["report"], { inputs: { weight: 2 }, format: "png" as never })).toThrow(
      /format must be "mermaid" or "dot"/,
    );
  });
});
