import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";
import { appendLines, FileLog, fileErrorCode } from "./file-log.js";
import { readAppended } from "./read-appended.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "store-log-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("appendLines", () => {
  it("appends each line with its newline, creating the file", async () => {
    const path = join(dir, "a.jsonl");
    const result = await appendLines(path, ['{"a":1}', '{"b":2}']);
    await appendLines(path, ['{"c":3}']);
    expect(await readFile(path, "utf8")).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(result).toEqual({ bytes: 16, endedTornLine: false, shortWrites: 0 });
  });

  it("starts on a fresh line after a torn last line, so the torn line costs only itself", async () => {
    const path = join(dir, "torn.jsonl");
    await appendLines(path, ['{"n":1}', '{"n":2,"long":"xxxxxxxx"}']);
    // A crash mid-write: the file is cut inside the second record.
    await truncate(path, 8 + 10);
    const result = await appendLines(path, ['{"n":3}']);
    expect(result.endedTornLine).toBe(true);
    expect(await readFile(path, "utf8")).toBe('{"n":1}\n{"n":2,"lo\n{"n":3}\n');
    const { lines } = await readAppended(path, 0);
    const parsed = lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as { n: number }];
      } catch {
        return [];
      }
    });
    expect(parsed.map((r) => r.n)).toEqual([1, 3]);
    expect(lines.length - parsed.length).toBe(1);
  });

  it("writes a batch larger than one write in several writes of whole lines", async () => {
    const path = join(dir, "big.jsonl");
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i, pad: "p".repeat(30) }));
    await appendLines(path, lines, { maxWriteBytes: 100 });
    expect((await readFile(path, "utf8")).split("\n").slice(0, -1)).toEqual(lines);
  });

  it("refuses a line larger than one write, and a line holding a newline, with what to do", async () => {
    const path = join(dir, "refused.jsonl");
    await expect(appendLines(path, ["x".repeat(200)], { maxWriteBytes: 100 })).rejects.toMatchObject({
      code: "RECORD_TOO_LARGE",
      message: expect.stringContaining("make the record smaller"),
    });
    await expect(appendLines(path, ["a\nb"])).rejects.toMatchObject({
      code: "INVALID_LINE",
      message: expect.stringContaining("line 0 holds a newline"),
    });
    await expect(readFile(path, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("fails with WRITE_FAILED naming the file when its folder is missing, unless asked to create it", async () => {
    const path = join(dir, "no", "such", "t.jsonl");
    const error = await appendLines(path, ["{}"]).catch((e: unknown) => e);
    expect(StoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "WRITE_FAILED", message: expect.stringContaining("createDir: true") });
    expect(fileErrorCode(error)).toBe("ENOENT");
    await appendLines(path, ["{}"], { createDir: true, sync: true });
    expect(await readFile(path, "utf8")).toBe("{}\n");
  });

  it("does not touch the file for an empty batch", async () => {
    const path = join(dir, "none.jsonl");
    expect(await appendLines(path, [])).toEqual({ bytes: 0, endedTornLine: false, shortWrites: 0 });
    await expect(readFile(path)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("FileLog", () => {
  it("keeps this process's appends in call order and reports each failure to its own caller", async () => {
    const path = join(dir, "log.jsonl");
    const log = new FileLog(path);
    const results = await Promise.allSettled([
      log.append(["1"]),
      log.append(["bad\nline"]),
      ...Array.from({ length: 20 }, (_, i) => log.append([String(i + 2)])),
    ]);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    await log.idle();
    expect((await readFile(path, "utf8")).split("\n").slice(0, -1)).toEqual(
      Array.from({ length: 21 }, (_, i) => String(i === 0 ? 1 : i + 1)),
    );
  });

  it("creates the folder when constructed with createDir", async () => {
    const log = new FileLog(join(dir, "made", "t.jsonl"), { createDir: true });
    await log.append(["{}"]);
    await writeFile(join(dir, "made", "other"), "");
    expect(await readFile(log.path, "utf8")).toBe("{}\n");
  });
});
