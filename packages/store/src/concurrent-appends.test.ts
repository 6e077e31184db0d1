import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startReadyProcess } from "@hamilton-ts/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { padding } from "../test/records.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRITERS = 4;
const LARGE = 8;
const SMALL = 400;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "store-concurrent-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("appends from several processes at once", () => {
  it("keeps every record whole and readable, none lost, with 1–4 MB records among small ones", async () => {
    const path = join(dir, "shared.jsonl");
    const started = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, w) =>
        startReadyProcess({
          command: process.execPath,
          args: [join("test", "writer.mjs"), path, `w${w}`, String(LARGE), String(SMALL)],
          cwd: packageDir,
          ready: (message) => message === "ready",
          name: `writer w${w}`,
        }),
      ),
    );
    const writers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    try {
      for (const result of started) if (result.status === "rejected") throw result.reason;
      // Every writer has loaded the code: start them together.
      for (const writer of writers) writer.child.send("go");
      for (const writer of writers) {
        const exit = await writer.exited;
        expect({ ...exit, done: writer.stdout().split("\n").includes("done") }, writer.output()).toEqual({
          code: 0,
          signal: null,
          done: true,
        });
      }
    } finally {
      await Promise.all(writers.map((writer) => writer.kill()));
    }

    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    const seen = new Map<string, Set<number>>();
    let torn = 0;
    for (const line of lines) {
      // An empty line is what a writer leaves when it saw another's append half-way (readers skip it).
      if (line.length === 0) continue;
      let record: { writer: string; n: number; pad: string };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        torn++;
        continue;
      }
      // A record mixed with another's bytes would not carry its own padding.
      expect(record.pad).toBe(padding(record.writer, record.n, record.pad.length));
      let numbers = seen.get(record.writer);
      if (numbers === undefined) seen.set(record.writer, (numbers = new Set()));
      numbers.add(record.n);
    }
    expect(torn).toBe(0);
    expect(lines.filter((line) => line.length > 0)).toHaveLength(WRITERS * (LARGE + SMALL));
    for (let w = 0; w < WRITERS; w++) expect(seen.get(`w${w}`)?.size).toBe(LARGE + SMALL);
  }, 240_000); // Four processes that each start Vite and write 20 MB: generous for a busy machine.
});
