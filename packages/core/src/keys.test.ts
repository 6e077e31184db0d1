import { describe, expect, it } from "vitest";
import { parameterize } from "./bindings.js";
import { Builder } from "./builder.js";
import { GraphBuildError, HamiltonError } from "./errors.js";

describe("names that Object.prototype has", () => {
  it("give optional parameters their defaults, not the prototype's functions", async () => {
    const dr = new Builder()
      .withModules({
        out: ({
          toString = "d1",
          valueOf = "d2",
          hasOwnProperty = "d3",
          isPrototypeOf = "d4",
        }: {
          toString?: string;
          valueOf?: string;
          hasOwnProperty?: string;
          isPrototypeOf?: string;
        }) => [toString, valueOf, hasOwnProperty, isPrototypeOf].join(","),
      })
      .build();
    expect(await dr.execute(["out"])).toEqual({ out: "d1,d2,d3,d4" });
    expect(await dr.execute(["out"], { inputs: { valueOf: "given" } as never })).toEqual({ out: "d1,given,d3,d4" });
  });

  it("work as config keys and inputs", async () => {
    const dr = new Builder()
      .withModules({ out: ({ constructor: c, toString: t }: { constructor: string; toString: string }) => `${c}/${t}` })
      .withConfig({ constructor: "from config" })
      .build();
    expect(await dr.execute(["out"], { inputs: { toString: "from inputs" } })).toEqual({
      out: "from config/from inputs",
    });
    await expect(dr.execute(["out"])).rejects.toMatchObject({ code: "MISSING_INPUTS" });
  });

  it('reject "__proto__" as a dependency, a node name or a config key, with a clear error', () => {
    const build = () => new Builder().withModules({ f: ({ __proto__: p = "x" }: { __proto__?: string }) => p }).build();
    expect(build).toThrow(GraphBuildError);
    expect(build).toThrow(/Node "f" \("f"\) has a dependency named "__proto__".*Rename the parameter/);
    const outputs = JSON.parse('{"__proto__": {}}') as Record<string, Record<string, never>>;
    expect(() => new Builder().withModules({ f: parameterize(outputs, () => 1) }).build()).toThrow(
      /A node cannot be named "__proto__"/,
    );
    const config = JSON.parse('{"__proto__": 1}') as Record<string, unknown>;
    expect(() => new Builder().withConfig(config)).toThrow(/a config key cannot be "__proto__"/);
  });
});

describe("the plan cache", () => {
  it("never confuses two requests, whatever characters the names hold", async () => {
    const dr = new Builder().withModules({ x: () => "X", y: () => "Y" }).build();
    expect(await dr.execute(["x", "y"])).toEqual({ x: "X", y: "Y" });
    await expect(dr.execute(["x\u0000y"] as never)).rejects.toMatchObject({ code: "UNKNOWN_OUTPUTS" });
    expect(await dr.execute(["y"], { overrides: { x: "o" as never } })).toEqual({ y: "Y" });
    expect(await dr.execute(["y", "x"], {})).toEqual({ y: "Y", x: "X" });
  });
});

describe("bad arguments to execute", () => {
  const dr = new Builder().withModules({ a: async ({ x }: { x: number }) => x + 1 }).build();

  it("reject a signal that is not AbortSignal-like before anything runs", async () => {
    for (const signal of [{}, "abort", 1, { aborted: false }]) {
      const error = await dr.execute(["a"], { inputs: { x: 1 }, signal: signal as never }).catch((e: unknown) => e);
      expect(HamiltonError.isInstance(error)).toBe(true);
      expect((error as HamiltonError).code).toBe("INVALID_ARGUMENT");
      expect((error as Error).message).toMatch(/signal must be an AbortSignal.*Pass controller.signal/);
    }
  });

  it("name what was passed as a signal by its class, without running its getters", async () => {
    class Timer {}
    let ran = false;
    const sneaky = Object.defineProperty(new Timer(), "constructor", {
      get() {
        ran = true;
        return Map;
      },
    });
    const cases: [unknown, string][] = [
      [sneaky, "got an object (Timer)"],
      [Object.create(null), "got an object (no class name)"],
      [[], "got an array"],
    ];
    for (const [signal, said] of cases) {
      const error = await dr.execute(["a"], { inputs: { x: 1 }, signal: signal as never }).catch((e: unknown) => e);
      expect((error as Error).message).toContain(said);
    }
    expect(ran).toBe(false);
  });

  it("accept null, and any AbortSignal-like object (another realm, a polyfill)", async () => {
    expect(await dr.execute(["a"], { inputs: { x: 1 }, signal: null })).toEqual({ a: 2 });
    const listeners: (() => void)[] = [];
    const polyfill = {
      aborted: false,
      reason: "polyfilled stop",
      addEventListener: (_type: "abort", listener: () => void) => void listeners.push(listener),
    };
    const slow = new Builder()
      .withModules({ a: () => new Promise(() => undefined) })
      .withGracePeriod(0)
      .build();
    const run = slow.execute(["a"], { signal: polyfill });
    polyfill.aborted = true;
    for (const l of listeners) l();
    await expect(run).rejects.toMatchObject({ code: "ABORTED", message: "The run was aborted: polyfilled stop." });
  });

  it("reject a Map of inputs, overrides or config instead of ignoring it", async () => {
    const inputs = await dr.execute(["a"], { inputs: new Map([["x", 1]]) as never }).catch((e: unknown) => e);
    expect(inputs).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((inputs as Error).message).toMatch(
      /inputs must be an object of name → value, got a Map.*Object\.fromEntries\(map\)/,
    );
    const overrides = await dr.execute(["a"], { overrides: new Map([["a", 5]]) as never }).catch((e: unknown) => e);
    expect(overrides).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(() => new Builder().withConfig(new Map() as never)).toThrow(/config must be an object.*got a Map/);
  });
});
