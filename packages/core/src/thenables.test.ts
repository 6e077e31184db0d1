import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { NodeExecutionError } from "./errors.js";

/** A thenable that calls its callback twice (a buggy promise library, say). */
const twice = (first: string, second: string) => ({
  then(resolve: (v: string) => void) {
    resolve(first);
    resolve(second);
  },
});

const withAndWithoutAdapters: [string, LifecycleAdapter[]][] = [
  ["without adapters", []],
  ["with a node observer", [{ afterNodeExecution: () => undefined }]],
  ["with a node wrapper", [{ wrapNodeExecution: (_e, next) => next() }]],
];

describe.each(withAndWithoutAdapters)("a node's thenable value, %s", (_label, adapters) => {
  it("is resolved once, through Promise.resolve", async () => {
    let openB!: () => void;
    const bReady = new Promise<void>((r) => (openB = r));
    const dr = new Builder()
      .withModules({
        a: () => twice("A", "A-again") as unknown as Promise<string>,
        b: async () => {
          await bReady;
          return "B";
        },
        c: ({ a, b }: { a: string; b: string }) => `${a}+${b}`,
      })
      .withAdapters(...adapters)
      .build();
    const run = dr.execute(["c"]);
    setImmediate(openB);
    expect(await run).toEqual({ c: "A+B" });
  });

  it("fails its node with a NodeExecutionError when its then() throws", async () => {
    const dr = new Builder()
      .withModules({
        a: () =>
          ({
            then() {
              throw new RangeError("bad then");
            },
          }) as unknown as Promise<string>,
        b: () =>
          ({
            get then(): never {
              throw new RangeError("bad getter");
            },
          }) as unknown as Promise<string>,
      })
      .withAdapters(...adapters)
      .build();
    for (const name of ["a", "b"] as const) {
      const error = await dr.execute([name]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExecutionError);
      expect((error as NodeExecutionError).nodeName).toBe(name);
      expect((error as Error).cause).toBeInstanceOf(RangeError);
    }
  });
});
