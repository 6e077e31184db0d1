import { HamiltonError } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { BullMQError } from "./errors.js";

describe("BullMQError", () => {
  it("is a HamiltonError with its own name; code follows the reason", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new BullMQError("CONNECTION", "m", { cause });
    expect(error).toMatchObject({ name: "BullMQError", code: "TASK_FAILED", reason: "CONNECTION", message: "m" });
    expect(error.cause).toBe(cause);
    expect(new BullMQError("INVALID_OPTION", "m").code).toBe("INVALID_ARGUMENT");
  });

  it("is recognised by HamiltonError.isInstance from another copy of the package", async () => {
    const url = "./errors.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
    expect(copy.BullMQError).not.toBe(BullMQError);
    const theirs = new copy.BullMQError("NO_WORKER", "m");
    expect(theirs instanceof BullMQError).toBe(false);
    expect(HamiltonError.isInstance(theirs)).toBe(true);
    expect(theirs.name).toBe("BullMQError");
  });
});
