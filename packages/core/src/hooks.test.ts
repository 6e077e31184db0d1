import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { describe, expect, it, vi } from "vitest";
import { Builder } from "./builder.js";
import { HamiltonError } from "./errors.js";
import { ticks } from "./fixtures/scheduling.js";
import type { NodeContext } from "./modifiers.js";

/** An adapter that records every hook call as a line. */
function recorder(log: string[], prefix = ""): LifecycleAdapter {
  return {
    beforeGraphExecution: (e) =>
      void log.push(`${prefix}beforeGraph final=${e.finalVars.join(",")} path=${e.executionPath.join(",")}`),
    afterGraphExecution: (e) =>
      void log.push(
        `${prefix}afterGraph success=${e.success}${e.success ? ` results=${JSON.stringify(e.results)}` : ` error=${(e.error as Error).message}`}`,
      ),
    beforeNodeExecution: (e) => void log.push(`${prefix}before ${e.node.name} kwargs=${JSON.stringify(e.kwargs)}`),
    afterNodeExecution: (e) =>
      void log.push(
        `${prefix}after ${e.node.name} ${e.success ? `result=${JSON.stringify(e.result)}` : `error=${(e.error as Error).message}`}`,
      ),
  };
}

describe("lifecycle hooks", () => {
  it("fire in order with their payloads on a successful run", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({
        a: ({ x }: { x: number }) => x + 1,
        b: ({ a }: { a: number }) => a * 2,
      })
      .withAdapters(recorder(log))
      .build();
    expect(await dr.execute(["b"], { inputs: { x: 1 } })).toEqual({ b: 4 });
    expect(log).toEqual([
      "beforeGraph final=b path=a,b",
      'before a kwargs={"x":1}',
      "after a result=2",
      'before b kwargs={"a":2}',
      "after b result=4",
      'afterGraph success=true results={"b":4}',
    ]);
  });

  it("give the run's events its id, inputs, overrides, graph and duration", async () => {
    const events: Record<string, unknown>[] = [];
    const dr = new Builder()
      .withModules({
        a: ({ x }: { x: number }) => x,
        // A node that takes a known time, so that the durations can be checked against it.
        b: async ({ a }: { a: number }) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return a;
        },
      })
      .withConfig({ env: "test" })
      .withAdapters({
        beforeGraphExecution: (e) => void events.push({ ...e }),
        afterGraphExecution: (e) => void events.push({ ...e }),
        afterNodeExecution: (e) => void events.push({ runId: e.runId, node: e.node.name, durationMs: e.durationMs }),
      })
      .build();
    await dr.execute(["b"], { inputs: { x: 3 }, overrides: { a: 4 } });
    const [before, node, after] = events as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(before.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(before).toMatchObject({
      finalVars: ["b"],
      inputs: { env: "test", x: 3 },
      overrides: { a: 4 },
      executionPath: ["b"],
    });
    expect(before.graph).toBe(dr.graph);
    expect(node).toMatchObject({ runId: before.runId, node: "b" });
    expect(after).toMatchObject({ runId: before.runId, success: true, results: { b: 4 } });
    // The node awaited a 30 ms timer (timers may fire a little early, never much); the run holds it.
    expect(node.durationMs as number).toBeGreaterThanOrEqual(25);
    expect(after.durationMs as number).toBeGreaterThanOrEqual(node.durationMs as number);
  });

  it("show a failing node's own error to the node hooks and the wrapped error to the run hooks", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({
        a: () => {
          throw new TypeError("bad value");
        },
      })
      .withAdapters(recorder(log))
      .build();
    await expect(dr.execute(["a"])).rejects.toMatchObject({ code: "NODE_FAILED", nodeName: "a" });
    expect(log).toEqual([
      "beforeGraph final=a path=a",
      "before a kwargs={}",
      "after a error=bad value",
      'afterGraph success=false error=Node "a" failed: bad value',
    ]);
  });

  it("on failure, deliver the remaining node events and the run's before execute settles", async () => {
    const log: string[] = [];
    let slowStarted!: () => void;
    const started = new Promise<void>((r) => (slowStarted = r));
    const dr = new Builder()
      .withModules({
        fast: async () => {
          await started;
          throw new Error("fast failure");
        },
        slow: (_: unknown, ctx: NodeContext) => {
          slowStarted();
          // Honours its signal: stops when the run does.
          return new Promise<string>((resolve) => ctx.signal.addEventListener("abort", () => resolve("slow done")));
        },
        both: ({ fast, slow }: { fast: string; slow: string }) => fast + slow,
      })
      .withAdapters(recorder(log))
      .build();
    await expect(dr.execute(["both"])).rejects.toMatchObject({ nodeName: "fast" });
    log.push("execute rejected");
    expect(log).toEqual([
      "beforeGraph final=both path=fast,slow,both",
      "before fast kwargs={}",
      "before slow kwargs={}",
      "after fast error=fast failure",
      'after slow result="slow done"',
      'afterGraph success=false error=Node "fast" failed: fast failure',
      "execute rejected",
    ]);
  });

  it("fire every event before execute settles when nothing else is running", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({
        a: async () => {
          await ticks(1);
          throw new Error("alone");
        },
      })
      .withAdapters(recorder(log))
      .build();
    await expect(dr.execute(["a"])).rejects.toThrow(/alone/);
    expect(log.at(-1)).toMatch(/^afterGraph success=false/);
  });

  it("keep the run's after-event last on abort too, giving up on a node that ignores its signal", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const dr = new Builder()
      .withModules({ ignoring: () => new Promise(() => undefined) })
      .withAdapters(recorder(log))
      .withGracePeriod(10)
      .build();
    const run = dr.execute(["ignoring"], { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    log.push("execute rejected");
    expect(log.slice(-3)).toEqual([
      'after ignoring error=Node "ignoring" did not stop within the grace period of 10 ms after the run stopped, so the run gave up on it; whatever it does later is ignored. Make it honour its context\'s signal, or raise Builder.withGracePeriod(ms).',
      "afterGraph success=false error=The run was aborted: This operation was aborted.",
      "execute rejected",
    ]);
  });

  it("isolate a throwing observer: the result is unchanged and the error is reported", async () => {
    const onError = vi.fn();
    const log: string[] = [];
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(
        {
          beforeNodeExecution: () => {
            throw new Error("observer bug");
          },
          afterGraphExecution: async () => {
            throw new Error("async observer bug");
          },
        },
        recorder(log),
      )
      .withAdapterErrorHandler(onError)
      .build();
    expect(await dr.execute(["a"])).toEqual({ a: 1 });
    expect(onError.mock.calls.map(([e, info]) => [(e as Error).message, info.hook])).toEqual([
      ["observer bug", "beforeNodeExecution"],
      ["async observer bug", "afterGraphExecution"],
    ]);
    expect(log).toHaveLength(4);
  });

  it("nest wrappers around observers, first adapter outermost, for graphs and nodes", async () => {
    const log: string[] = [];
    const wrapper = (name: string): LifecycleAdapter => ({
      wrapGraphExecution: async (_e, next) => {
        log.push(`${name} graph in`);
        const out = await next();
        log.push(`${name} graph out`);
        return out;
      },
      wrapNodeExecution: async (e, next) => {
        log.push(`${name} ${e.node.name} in`);
        const out = await next();
        log.push(`${name} ${e.node.name} out`);
        return out;
      },
    });
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(wrapper("outer"), recorder(log), wrapper("inner"))
      .build();
    await dr.execute(["a"]);
    expect(log).toEqual([
      "outer graph in",
      "inner graph in",
      "beforeGraph final=a path=a",
      "outer a in",
      "inner a in",
      "before a kwargs={}",
      "after a result=1",
      "inner a out",
      "outer a out",
      'afterGraph success=true results={"a":1}',
      "inner graph out",
      "outer graph out",
    ]);
  });

  it("let a wrapper replace a value or fail the node with its own error", async () => {
    const dr = new Builder()
      .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
      .withAdapters({
        wrapNodeExecution: async (e, next) => {
          if (e.node.name === "a") return 10;
          return next();
        },
      })
      .build();
    expect(await dr.execute(["b"])).toEqual({ b: 11 });
    const strict = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters({
        wrapNodeExecution: async () => {
          throw new Error("policy says no");
        },
      })
      .build();
    await expect(strict.execute(["a"])).rejects.toMatchObject({
      code: "NODE_FAILED",
      cause: { message: "policy says no" },
    });
  });

  it("show every attempt of a retrying wrapper", async () => {
    const log: string[] = [];
    let calls = 0;
    const dr = new Builder()
      .withModules({
        flaky: () => {
          calls++;
          if (calls < 3) throw new Error(`attempt ${calls} failed`);
          return "ok";
        },
      })
      .withAdapters(
        {
          wrapNodeExecution: async (_e, next) => {
            for (let i = 1; ; i++) {
              try {
                return await next();
              } catch (error) {
                if (i === 3) throw error;
              }
            }
          },
        },
        {
          afterNodeExecution: (e) => void log.push(`${e.attempt}:${e.success ? e.result : (e.error as Error).message}`),
        },
      )
      .build();
    expect(await dr.execute(["flaky"])).toEqual({ flaky: "ok" });
    expect(log).toEqual(["1:attempt 1 failed", "2:attempt 2 failed", "3:ok"]);
  });

  it("keep concurrent runs apart: each run's node events precede its own after-event", async () => {
    const events: Array<{ runId: string; what: string }> = [];
    const dr = new Builder()
      .withModules({
        a: async ({ x }: { x: number }) => {
          await ticks(Math.floor(Math.random() * 4));
          return x;
        },
        b: async ({ a }: { a: number }) => {
          await ticks(Math.floor(Math.random() * 4));
          return a + 1;
        },
      })
      .withAdapters({
        afterNodeExecution: (e) => void events.push({ runId: e.runId, what: `${e.node.name}=${String(e.result)}` }),
        afterGraphExecution: (e) => void events.push({ runId: e.runId, what: `run=${String(e.results?.b)}` }),
      })
      .build();
    const outs = await Promise.all(Array.from({ length: 30 }, (_, x) => dr.execute(["b"], { inputs: { x } })));
    expect(outs.map((o) => o.b)).toEqual(Array.from({ length: 30 }, (_, x) => x + 1));
    const byRun = new Map<string, string[]>();
    for (const e of events) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e.what]);
    expect(byRun.size).toBe(30);
    for (const list of byRun.values()) {
      const x = Number(list[0]!.split("=")[1]);
      expect(list).toEqual([`a=${x}`, `b=${x + 1}`, `run=${x + 1}`]);
    }
  });

  it("do not run for validation errors, which reject before the run starts", async () => {
    const log: string[] = [];
    const dr = new Builder()
      .withModules({ a: ({ x }: { x: number }) => x })
      .withAdapters(recorder(log))
      .build();
    const error = await dr.execute(["a"]).catch((e: unknown) => e);
    expect(HamiltonError.isInstance(error) && error.code).toBe("MISSING_INPUTS");
    expect(log).toEqual([]);
  });
});
