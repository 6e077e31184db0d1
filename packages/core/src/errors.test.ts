import { describe, expect, it } from "vitest";
import { GraphBuildError, HamiltonError, MissingInputsError, NodeExecutionError } from "./errors.js";

/** A second instance of this module, as a second installed copy of the package would load it. */
async function otherCopy(): Promise<typeof import("./errors.js")> {
  const url = "./errors.ts?copy=2";
  return (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
}

describe("HamiltonError", () => {
  it("carries its code, name, message and cause (none when none was given)", () => {
    const cause = new Error("root");
    const error = new HamiltonError("INVALID_ARGUMENT", "m", { cause });
    expect(error).toMatchObject({ name: "HamiltonError", code: "INVALID_ARGUMENT", message: "m" });
    expect(error.cause).toBe(cause);
    expect("cause" in new HamiltonError("CYCLE", "m")).toBe(false);
  });

  it("keeps each subclass's own name, and every subclass is a HamiltonError", () => {
    const subclasses = [
      new GraphBuildError([{ code: "CYCLE", node: "a", message: "a cycle" }]),
      new MissingInputsError([{ name: "x", neededBy: ["y"] }]),
      new NodeExecutionError("n", new Error("boom")),
    ];
    expect(subclasses.map((e) => e.name)).toEqual(["GraphBuildError", "MissingInputsError", "NodeExecutionError"]);
    for (const error of subclasses) expect(HamiltonError.isInstance(error)).toBe(true);
  });

  it("is recognised by another copy of the package, both ways, where instanceof is not", async () => {
    const copy = await otherCopy();
    expect(copy.HamiltonError).not.toBe(HamiltonError);
    const theirs = new copy.NodeExecutionError("n", new Error("boom"));
    const ours = new HamiltonError("ABORTED", "m");
    expect(theirs instanceof HamiltonError).toBe(false);
    expect(HamiltonError.isInstance(theirs)).toBe(true);
    expect(copy.HamiltonError.isInstance(ours)).toBe(true);
    for (const value of [new Error("plain"), null, undefined, "HamiltonError", { code: "ABORTED" }]) {
      expect(HamiltonError.isInstance(value)).toBe(false);
    }
  });
});
