import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAppended, readAppendedSync } from "./read-appended.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "store-read-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe.each([
  ["readAppended", readAppended],
  ["readAppendedSync", readAppendedSync],
] as const)("%s", (_, read) => {
  it("reads the complete lines since an offset; a line without its newline waits", async () => {
    const path = join(dir, "f.jsonl");
    await writeFile(path, "één\n\ntwo\nthr");
    const first = await read(path, 0);
    expect(first).toMatchObject({
      lines: ["één", "two"],
      offsets: [0, 7],
      lengths: [5, 3],
      nextOffset: 11,
      tail: true,
      more: false,
    });
    await appendFile(path, "ee\nfour\n");
    const second = await read(path, first.nextOffset);
    expect(second).toMatchObject({
      lines: ["three", "four"],
      offsets: [11, 17],
      nextOffset: 22,
      size: 22,
      tail: false,
    });
    expect(await read(path, second.nextOffset)).toMatchObject({ lines: [], nextOffset: 22, tail: false });
  });

  it("reads in slices of about maxBytes, and a longer line whole", async () => {
    const path = join(dir, "f.jsonl");
    const long = "x".repeat(50);
    await writeFile(path, `a\nb\n${long}\nc\n`);
    const slices: string[][] = [];
    let offset = 0;
    for (;;) {
      const got = await read(path, offset, { maxBytes: 5 });
      slices.push(got.lines);
      offset = got.nextOffset;
      if (!got.more) break;
    }
    // The long line is read whole, with what follows it in the last doubling of the buffer.
    expect(slices).toEqual([
      ["a", "b"],
      [long, "c"],
    ]);
  });

  it("reads a missing file as empty", async () => {
    expect(await read(join(dir, "none"), 0)).toMatchObject({ lines: [], nextOffset: 0, size: 0, tail: false });
  });
});
