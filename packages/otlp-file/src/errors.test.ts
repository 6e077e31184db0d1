import { describe, expect, it } from "vitest";
import { OtlpFileError } from "./errors.js";

describe("OtlpFileError", () => {
  it("carries its code, name, message and cause", () => {
    const cause = new Error("ENOSPC");
    const error = new OtlpFileError("WRITE_FAILED", "m", { cause });
    expect(error).toMatchObject({ name: "OtlpFileError", code: "WRITE_FAILED", message: "m" });
    expect(error.cause).toBe(cause);
    expect("cause" in new OtlpFileError("SHUT_DOWN", "m")).toBe(false);
  });

  it("is recognised by another copy of the package, both ways, where instanceof is not", async () => {
    const url = "./errors.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ url)) as typeof import("./errors.js");
    expect(copy.OtlpFileError).not.toBe(OtlpFileError);
    const theirs = new copy.OtlpFileError("SHUT_DOWN", "m");
    expect(theirs instanceof OtlpFileError).toBe(false);
    expect(OtlpFileError.isInstance(theirs)).toBe(true);
    expect(copy.OtlpFileError.isInstance(new OtlpFileError("INVALID_OPTION", "m"))).toBe(true);
    expect(OtlpFileError.isInstance(new Error("plain"))).toBe(false);
    expect(OtlpFileError.isInstance(null)).toBe(false);
  });
});
