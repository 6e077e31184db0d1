import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { GraphBuildError, HamiltonError } from "./errors.js";
import { tag } from "./modifiers.js";
import type { NodeContext } from "./modifiers.js";
import { wrapNode } from "./wrap-node.js";

const sum = ({ a, b = 1 }: { a: number; b?: number }) => a + b;

describe("wrapNode", () => {
  it("runs the wrapper around the node, which keeps fn's dependencies, name and source", async () => {
    const calls: unknown[][] = [];
    const logged = wrapNode(sum, (fn) => (...args: unknown[]) => {
      calls.push(args);
      return (fn as (...a: unknown[]) => number)(...args) * 10;
    });
    expect(logged.name).toBe("sum");
    const wrapped = new Builder().withModules({ sum: logged }).build();
    const plain = new Builder().withModules({ sum }).build();
    expect(await wrapped.execute(["sum"], { inputs: { a: 2 } })).toEqual({ sum: 30 });
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toEqual({ a: 2, b: undefined });
    // The wrapper is given the run context, to pass on.
    expect((calls[0]![1] as NodeContext).nodeName).toBe("sum");
    expect((calls[0]![1] as NodeContext).signal).toBeInstanceOf(AbortSignal);
    const info = wrapped.graph.node("sum")!;
    const plainInfo = plain.graph.node("sum")!;
    expect(info.dependencies).toEqual(["a", "b"]);
    expect(info.optionalDependencies).toEqual(["b"]);
    // fn's own source: the TypeScript text this file has, found through the test's source map.
    expect(info.source).toBe("({ a, b = 1 }: { a: number; b?: number }) => a + b");
    expect(info.version).toBe(plainInfo.version);
  });

  it("keeps the other modifiers, in either order, and nests", async () => {
    const twice =
      (fn: Function) =>
      (...args: unknown[]) =>
        2 * (fn as (...a: unknown[]) => number)(...args);
    const dr = new Builder()
      .withModules({
        outer: tag({ owner: "x" }, wrapNode(sum, twice)),
        inner: wrapNode(
          tag({ owner: "y" }, ({ outer }: { outer: number }) => outer),
          twice,
        ),
        nested: wrapNode(
          wrapNode(({ inner }: { inner: number }) => inner, twice),
          twice,
        ),
      })
      .build();
    expect(await dr.execute(["outer", "inner", "nested"], { inputs: { a: 1 } })).toEqual({
      outer: 4,
      inner: 8,
      nested: 32,
    });
    expect(dr.graph.node("outer")!.tags).toEqual({ owner: "x" });
    expect(dr.graph.node("inner")!.tags).toEqual({ owner: "y" });
    expect(dr.graph.node("nested")!.dependencies).toEqual(["inner"]);
  });

  it("is what the INVALID_NODE message for a rest-parameter wrapper points to", () => {
    const timed =
      (fn: Function) =>
      (...args: unknown[]) =>
        fn(...args);
    let error: unknown;
    try {
      new Builder().withModules({ sum: timed(sum) }).build();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphBuildError);
    expect((error as HamiltonError).code).toBe("INVALID_NODE");
    expect((error as Error).message).toContain("rest element (...args)");
    expect((error as Error).message).toContain("wrapNode(fn, (fn) => (...args) => fn(...args))");
  });

  it("checks its arguments", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return HamiltonError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return "no error";
    };
    expect(code(() => wrapNode(1 as never, (f) => f))).toMatch(/^INVALID_ARGUMENT: wrapNode\(fn, wrapper\)/);
    expect(code(() => wrapNode(sum, null as never))).toMatch(/^INVALID_ARGUMENT: wrapNode.*wrapper must be a function/);
    expect(code(() => wrapNode(sum, () => 3 as never))).toMatch(/^INVALID_ARGUMENT: .*returned number, not a function/);
  });
});
