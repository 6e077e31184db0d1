// What the cache did, after the fact: driver.cache.runs, view(runId), logs(runId) and
// visualize({ cache: runId }).
import { describe, expect, it, onTestFinished } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import { cacheHistoryLimit } from "./cache.js";
import { cache } from "./modifiers.js";
import { HamiltonError } from "./errors.js";
import { fingerprint } from "./fingerprint.js";
import { MemoryStore } from "./fixtures/memory-store.js";

const modules = {
  client: cache({ behavior: "ignore" }, () => ({ url: "http://127.0.0.1" })),
  prompt: ({ topic }: { topic: string }) => `Tell me about ${topic}`,
  answer: ({ prompt, client }: { prompt: string; client: { url: string } }) => `${prompt} via ${client.url}`,
  urls: parallelize(({ pages }: { pages: string[] }) => pages),
  page: ({ urls }: { urls: string }) => urls.toUpperCase(),
  all: collect(({ page }: { page: string[] }) => page.join(",")),
};

function build() {
  return new Builder().withModules(modules).withCache({ store: new MemoryStore() }).build();
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    return HamiltonError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return "no error";
}

describe("driver.cache inspection", () => {
  it("lists the runs, and views each one per node and per fan-out item", async () => {
    const dr = build();
    expect(dr.cache!.runs).toEqual([]);
    expect(errorOf(() => dr.cache!.view())).toBe(
      "INVALID_ARGUMENT: driver.cache.view(): this driver has not finished a run with the cache yet. Call it after an execute settled.",
    );
    const outputs = ["answer", "all"] as const;
    await dr.execute(outputs, { inputs: { topic: "owls", pages: ["a", "b"] } });
    await dr.execute(outputs, { inputs: { topic: "owls", pages: ["a", "c"] } });
    const [first, second] = dr.cache!.runs;
    expect(dr.cache!.runs).toHaveLength(2);

    const view = dr.cache!.view();
    expect(dr.cache!.view(second)).toBe(view);
    const versions = new Map(dr.graph.nodes.map((n) => [n.name, n.version]));
    const row = (node: string, taskId?: string) => view.find((e) => e.node === node && e.taskId === taskId)!;
    expect(row("prompt")).toEqual({
      node: "prompt",
      taskId: undefined,
      outcome: "hit",
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      fromRun: first,
      missReason: undefined,
      behavior: "default",
      codeVersion: versions.get("prompt"),
      dataVersion: fingerprint("Tell me about owls"),
    });
    expect(row("client")).toMatchObject({
      outcome: "disabled",
      behavior: "ignore",
      key: undefined,
      dataVersion: undefined,
    });
    expect(row("page", "urls[0]")).toMatchObject({ outcome: "hit", fromRun: first, dataVersion: fingerprint("A") });
    expect(row("page", "urls[1]")).toMatchObject({
      outcome: "miss",
      missReason: { kind: "dependency", name: "urls" },
      dataVersion: fingerprint("C"),
    });
    expect(row("all")).toMatchObject({ outcome: "miss", dataVersion: fingerprint("A,C") });
    // The first run is still there, all misses.
    expect(
      dr
        .cache!.view(first)
        .filter((e) => e.behavior === "default" && e.node !== "urls")
        .map((e) => e.outcome),
    ).toEqual(Array(5).fill("miss"));
    expect(dr.cache!.lastRun).toBe(view);
  });

  it("logs the decisions and writes in order", async () => {
    const dr = build();
    await dr.execute(["answer"], { inputs: { topic: "owls" } });
    expect(dr.cache!.logs().map((e) => [e.event, e.node, e.detail])).toEqual([
      ["disabled", "client", undefined],
      ["miss", "prompt", "new"],
      ["stored", "prompt", undefined],
      ["miss", "answer", "new"],
      ["stored", "answer", undefined],
    ]);
    await dr.execute(["answer"], { inputs: { topic: "owls" } });
    expect(dr.cache!.logs().map((e) => [e.event, e.node])).toEqual([
      ["disabled", "client"],
      ["hit", "prompt"],
      ["hit", "answer"],
    ]);
    const keys = dr.cache!.view().map((e) => e.key);
    expect(dr.cache!.logs().map((e) => e.key)).toEqual(keys);
  });

  it("an unknown run id is an error that lists the known ones", async () => {
    const dr = build();
    await dr.execute(["prompt"], { inputs: { topic: "owls" } });
    const [run] = dr.cache!.runs;
    const tail = `this driver has no cache log of run "nope". It keeps its last 100 runs, fewer when they hold over 100000 node runs (driver.cache.runs): "${run}".`;
    expect(errorOf(() => dr.cache!.view("nope"))).toBe(`INVALID_ARGUMENT: driver.cache.view("nope"): ${tail}`);
    expect(errorOf(() => dr.cache!.logs("nope"))).toBe(`INVALID_ARGUMENT: driver.cache.logs("nope"): ${tail}`);
    expect(errorOf(() => dr.visualize({ cache: "nope" }))).toBe(
      `INVALID_ARGUMENT: visualize({ cache: "nope" }): ${tail}`,
    );
    const plain = new Builder().withModules(modules).build();
    expect(errorOf(() => plain.visualize({ cache: "x" }))).toContain("this driver has no cache");
  });

  it("keeps the last 100 runs", async () => {
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withCache({ store: new MemoryStore() })
      .build();
    for (let i = 0; i < 101; i++) await dr.execute(["a"]);
    expect(dr.cache!.runs).toHaveLength(100);
    expect(new Set(dr.cache!.runs).size).toBe(100);
  });

  it("keeps at most 100,000 node runs' records: the oldest runs of a large pipeline go first", async () => {
    expect(cacheHistoryLimit.nodeRuns).toBe(100_000);
    // Lowered to 1,000 for the test, 250 node runs a run: the fifth run takes the first one's place.
    cacheHistoryLimit.nodeRuns = 1_000;
    onTestFinished(() => {
      cacheHistoryLimit.nodeRuns = 100_000;
    });
    const dr = new Builder()
      .withModules({
        item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
        double: ({ item }: { item: number }) => item * 2,
        total: collect(({ double }: { double: number[] }) => double.length),
      })
      .withCache({ store: new MemoryStore() })
      .build();
    for (let i = 0; i < 5; i++) await dr.execute(["total"], { inputs: { n: 248 } });
    const runs = dr.cache!.runs;
    expect(runs).toHaveLength(4);
    expect(runs.map((r) => dr.cache!.view(r).length)).toEqual([250, 250, 250, 250]);
    // The decisions are the log's steps too, as events, in order.
    const events = dr.cache!.logs();
    expect(events.filter((e) => e.event === "hit")).toHaveLength(249);
    expect(events[0]).toMatchObject({ event: "recompute", node: "item" });
  });

  it("visualize({ cache: runId }) colours the nodes by outcome, with a legend", async () => {
    const dr = build();
    await dr.execute(["answer", "all"], { inputs: { topic: "owls", pages: ["a", "b"] } });
    await dr.execute(["answer", "all"], { inputs: { topic: "owls", pages: ["a", "c"] } });
    const [first, second] = dr.cache!.runs;
    const chart = dr.visualize({ cache: second! });
    const lines = chart.split("\n");
    expect(lines).toContain(
      `  %% cache outcomes of run ${second}: green = hit (served from the cache); orange = miss (computed and stored); ` +
        "blue = recompute (computed on purpose); light grey = ignored (left out of its dependents' keys); " +
        "yellow = partial (fan-out items differ)",
    );
    expect(lines).toContain("  classDef cacheHit fill:#c8f0c8,stroke:#555");
    expect(lines).toContain("  class n_prompt cacheHit");
    expect(lines).toContain("  class n_answer cacheHit");
    expect(lines).toContain("  class n_client cacheIgnored");
    expect(lines).toContain("  class n_page cachePartial");
    expect(lines).toContain("  class n_all cacheMiss");
    expect(lines).toContain("  class n_urls cacheRecompute");
    // Nodes the run did not reach are not coloured; the first run is all misses.
    expect(dr.visualize({ cache: first! }).split("\n")).toContain("  class n_page cacheMiss");
    const dot = dr.visualize({ format: "dot", cache: second! });
    expect(dot).toContain('"prompt" [shape=box, style=rounded, style=filled, fillcolor="#c8f0c8"];');
    // Without cache the chart is unchanged.
    expect(dr.visualize()).not.toContain("cache");
  });
});
