import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import type { NodeContext } from "./modifiers.js";

/**
 * Runs `run` and returns every process warning emitted meanwhile. A sentinel warning emitted
 * afterwards marks the end: warnings arrive in order, so once it is seen, every earlier one is.
 */
async function warningsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const sentinel = `signal-listeners-sentinel-${Math.random()}`;
  let done!: () => void;
  const end = new Promise<void>((resolve) => (done = resolve));
  const listener = (warning: Error): void => {
    if (warning.message === sentinel) done();
    else seen.push(`${warning.name}: ${warning.message}`);
  };
  process.on("warning", listener);
  try {
    await run();
    process.emitWarning(sentinel);
    await end;
  } finally {
    process.off("warning", listener);
  }
  return seen;
}

/** What a client such as OpenAI's does with the signal it is given: one abort listener per call. */
function callClient(signal: AbortSignal, value: number): Promise<number> {
  signal.addEventListener("abort", () => undefined);
  return Promise.resolve(value);
}

describe("the run's signal", () => {
  it("takes a listener per node from a client, in a fan-out of 50 items, without MaxListenersExceededWarning", async () => {
    const dr = new Builder()
      .withModules({
        item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
        answer: ({ item }: { item: number }, ctx: NodeContext) => callClient(ctx.signal, item * 2),
        total: collect(({ answer }: { answer: number[] }) => answer.reduce((a, b) => a + b, 0)),
      })
      .build();
    let total: unknown;
    const warnings = await warningsDuring(async () => {
      ({ total } = await dr.execute(["total"], { inputs: { n: 50 } }));
    });
    expect(total).toBe(2 * ((50 * 49) / 2));
    expect(warnings).toEqual([]);
  });

  it("takes a listener from each of many nodes, sync and async, without a warning", async () => {
    const module: Record<string, Function> = {};
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      names.push(`n${i}`);
      module[`n${i}`] =
        i % 2 === 0
          ? (_: unknown, ctx: NodeContext) => callClient(ctx.signal, i)
          : (_: unknown, ctx: NodeContext) => {
              ctx.signal.addEventListener("abort", () => undefined);
              return i;
            };
    }
    const dr = new Builder().withModules(module).build();
    let out: Record<string, unknown> = {};
    const warnings = await warningsDuring(async () => {
      out = await dr.execute(names as never[]);
    });
    expect(Object.keys(out)).toHaveLength(40);
    expect(warnings).toEqual([]);
  });
});
