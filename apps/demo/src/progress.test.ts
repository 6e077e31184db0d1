import { Builder } from "@hamilton-ts/core";
import { collect, parallelize } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { ProgressReporter } from "./progress.js";
import { createStyle } from "./style.js";

/** A stream that keeps what is written. */
const sink = (columns?: number) => {
  const chunks: string[] = [];
  return { chunks, columns, write: (text: string) => chunks.push(text), text: () => chunks.join("") };
};

/** A clock that advances 5 ms per reading, so times are predictable. */
const ticking = () => {
  let t = 1000;
  return () => (t += 5);
};

// eslint-disable-next-line no-control-regex
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI sequences it removes.
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");

const modules = {
  base: () => 2,
  item: parallelize(({ base }: { base: number }) => [base, base * 10]),
  scaled: ({ item }: { item: number }) => item * 3,
  total: collect(({ scaled }: { scaled: number[] }) => scaled.reduce((a, b) => a + b, 0)),
  broken: ({ base }: { base: number }): number => {
    throw new Error(`bad\nbase ${base}`);
  },
};

describe("ProgressReporter, plain lines", () => {
  it("writes a start and an end line per node run, with the time since the run started and the duration", async () => {
    const out = sink();
    const dr = new Builder()
      .withModules(modules)
      .withAdapters(new ProgressReporter({ out, live: false, now: ticking() }))
      .build();
    expect(await dr.execute(["total"])).toEqual({ total: 66 });
    const lines = out.text().split("\n").filter(Boolean);
    expect(lines).toHaveLength(10); // base, item, 2 × scaled, total: a start and an end each
    expect(lines[0]).toMatch(/^ {2}\+0\.\d{3}s {2}▶ base$/);
    expect(lines[1]).toMatch(/^ {2}\+0\.\d{3}s {2}✓ base {32} \d+\.\d ms$/);
    expect(
      lines
        .filter((l) => l.includes("▶ scaled item["))
        .map((l) => l.replace(/^.*▶ /, ""))
        .sort(),
    ).toEqual(["scaled item[0]", "scaled item[1]"]);
    expect(lines.at(-1)).toMatch(/✓ total/);
    expect(out.text()).not.toContain("\u001b"); // no colours unless asked for
  });

  it("marks the node runs the engine's cache answered, and only those", async () => {
    const store = new Map<string, Uint8Array>();
    const cacheStore = {
      get: (k: string) => store.get(k),
      set: (k: string, v: Uint8Array) => void store.set(k, v),
      delete: (k: string) => void store.delete(k),
      clear: () => store.clear(),
      entries: () => [],
    };
    const run = async () => {
      const out = sink();
      await new Builder()
        .withModules(modules)
        .withAdapters(new ProgressReporter({ out, live: false, now: ticking() }))
        .withCache({ store: cacheStore })
        .build()
        .execute(["total"]);
      return out
        .text()
        .split("\n")
        .filter((l) => l.includes("✓"));
    };
    expect((await run()).filter((l) => l.includes("cache hit"))).toEqual([]);
    const second = await run();
    expect(
      second
        .filter((l) => l.endsWith("  cache hit"))
        .map((l) => l.replace(/^.*✓ (\S+( item\[\d\])?).*$/, "$1"))
        .sort(),
    ).toEqual(["base", "scaled item[0]", "scaled item[1]", "total"]);
    expect(second.find((l) => l.includes("✓ item"))).not.toContain("cache hit"); // parallelize always runs
  });

  it("shows a failing node's error on one line", async () => {
    const out = sink();
    const dr = new Builder()
      .withModules(modules)
      .withAdapters(new ProgressReporter({ out, live: false, now: ticking() }))
      .build();
    await expect(dr.execute(["broken"])).rejects.toThrow();
    expect(out.text()).toMatch(/✗ broken {30} \d+\.\d ms {2}bad base 2\n$/);
  });

  it("colours marks when given a style", async () => {
    const out = sink();
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(new ProgressReporter({ out, live: false, style: createStyle(true), now: ticking() }))
      .build();
    await dr.execute(["a"]);
    expect(out.text()).toContain("\u001b[32m✓\u001b[39m a");
  });
});

describe("ProgressReporter, live view", () => {
  it("redraws every node in place and ends with the final state; fan-out tasks follow the node that fans out", async () => {
    const out = sink(120);
    // A long frame interval: the only frames are the first and the last.
    const dr = new Builder()
      .withModules(modules)
      .withAdapters(new ProgressReporter({ out, live: true, frameMs: 60_000, now: ticking() }))
      .build();
    await dr.execute(["total"]);
    const frames = out.chunks;
    expect(frames).toHaveLength(2);
    // The first frame lists the plan, all pending; later frames first move the cursor back up.
    // (Per-item nodes are not in the plan: their tasks appear after the node that fans out.)
    expect(
      stripAnsi(frames[0]!)
        .split("\n")
        .filter(Boolean)
        .map((l) => l.trim()),
    ).toEqual(["· base", "· item", "· total", expect.stringMatching(/elapsed$/)]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the cursor-up sequence.
    expect(frames.at(-1)).toMatch(/^\u001b\[4A/); // up over the first frame: 3 nodes and the clock line
    const last = stripAnsi(frames.at(-1)!)
      .split("\n")
      .filter(Boolean)
      .map((l) => l.trim());
    expect(last.slice(0, -1).map((l) => l.replace(/\s+\d.*$/, ""))).toEqual([
      "✓ base",
      "✓ item",
      "✓ scaled item[0]",
      "✓ scaled item[1]",
      "✓ total",
    ]);
    expect(last.at(-1)).toMatch(/elapsed$/);
  });

  it("cuts lines to the terminal width so redraws never wrap", async () => {
    const out = sink(40);
    const dr = new Builder()
      .withModules(modules)
      .withAdapters(new ProgressReporter({ out, live: true, now: ticking() }))
      .build();
    await expect(dr.execute(["broken"])).rejects.toThrow();
    const last = stripAnsi(out.chunks.at(-1)!).split("\n").filter(Boolean);
    for (const line of last) expect(line.length).toBeLessThanOrEqual(39);
    expect(last.find((l) => l.includes("✗ broken"))).toMatch(/…$/);
  });
});
