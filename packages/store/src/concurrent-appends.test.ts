import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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

/** Resolves when the child prints `text` on a line; rejects when it exits first (with its stderr). */
function waitFor(child: ChildProcess, text: string, output: { stdout: string; stderr: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (output.stdout.split("\n").includes(text)) resolve();
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`writer exited (${code}) before "${text}": ${output.stderr}`)));
    check();
  });
}

describe("appends from several processes at once", () => {
  it("keeps every record whole and readable, none lost, with 1–4 MB records among small ones", async () => {
    const path = join(dir, "shared.jsonl");
    const children = Array.from({ length: WRITERS }, (_, w) => {
      const output = { stdout: "", stderr: "" };
      const child = spawn(process.execPath, [join("test", "writer.mjs"), path, `w${w}`, String(LARGE), String(SMALL)], {
        cwd: packageDir,
        stdio: ["pipe", "pipe", "pipe"],
      });
      child.stdout.setEncoding("utf8").on("data", (t: string) => (output.stdout += t));
      child.stderr.setEncoding("utf8").on("data", (t: string) => (output.stderr += t));
      return { child, output };
    });
    try {
      await Promise.all(children.map(({ child, output }) => waitFor(child, "ready", output)));
      // Every writer has loaded the code: start them together.
      for (const { child } of children) child.stdin!.write("go\n");
      await Promise.all(children.map(({ child, output }) => waitFor(child, "done", output)));
    } finally {
      for (const { child } of children) child.kill();
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
