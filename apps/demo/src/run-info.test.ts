import { Builder } from "@hamilton-ts/core";
import type { GraphExecutionEvent, LifecycleAdapter } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { RunInfo } from "./run-info.js";

/** Stands in for the tracer: leaves a trace id, and notes when its wrapper has finished. */
const fakeTracer = (log: string[]): LifecycleAdapter => ({
  async wrapGraphExecution(event: GraphExecutionEvent, next: () => Promise<Record<string, unknown>>) {
    event.attributes.trace_id = "0af7651916cd43dd8448eb211c80319c";
    try {
      return await next();
    } finally {
      log.push("tracer done");
    }
  },
});

describe("RunInfo", () => {
  it("records each run's id and the trace id an inner adapter left in the run's attributes", async () => {
    const info = new RunInfo();
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(info, fakeTracer([]))
      .build();
    await dr.execute(["a"]);
    await dr.execute(["a"]);
    expect(info.runs).toHaveLength(2);
    expect(info.last).toMatchObject({
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(info.runs[0]!.runId).not.toBe(info.runs[1]!.runId);
  });

  it("has no trace id without a tracer", async () => {
    const info = new RunInfo();
    await new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(info)
      .build()
      .execute(["a"]);
    expect(info.last?.traceId).toBeUndefined();
  });

  it("needs no waiting: when a failed execute rejects, the run is over for every adapter", async () => {
    const log: string[] = [];
    const info = new RunInfo();
    const dr = new Builder()
      .withModules({
        bad: async (): Promise<number> => {
          throw new Error("bad");
        },
        // Honours its signal, as the demo's LLM nodes do.
        slow: (_: unknown, ctx: { signal: AbortSignal }) =>
          new Promise<number>((resolve) => ctx.signal.addEventListener("abort", () => resolve(1))),
        both: ({ bad, slow }: { bad: number; slow: number }) => bad + slow,
      })
      .withAdapters(info, fakeTracer(log))
      .build();
    await expect(dr.execute(["both"])).rejects.toThrow('Node "bad" failed');
    expect(log).toEqual(["tracer done"]);
    expect(info.last?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
  });
});
