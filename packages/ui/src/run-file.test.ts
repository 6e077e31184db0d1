import { join } from "node:path";
import { FileSink } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { runRecord } from "../test/records.js";
import { tempDir } from "../test/temp.js";
import { hasRunFile } from "./run-file.js";

describe("hasRunFile", () => {
  it("finds a run's file in any project, long (hashed) ids included, without reading it", async () => {
    const dir = await tempDir();
    const long = `r-${"x".repeat(400)}`;
    await new FileSink({ dir, fsync: false }).write("p1", [runRecord("short")]);
    await new FileSink({ dir, fsync: false }).write("a project/with:odd chars", [runRecord(long)]);
    expect(await hasRunFile(dir, "short")).toBe(true);
    expect(await hasRunFile(dir, long)).toBe(true);
    expect(await hasRunFile(dir, "other")).toBe(false);
    expect(await hasRunFile(dir, `${long}y`)).toBe(false);
    expect(await hasRunFile(join(dir, "missing"), "short")).toBe(false);
  });
});
