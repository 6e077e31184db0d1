import { mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { FileSink } from "./file-sink.js";
import { readFileStore } from "./index.js";
import { HamiltonTracker } from "./tracker.js";

const dataflow = {
  prompt: ({ topic }: { topic: string }) => `Tell me about ${topic}`,
  answer: ({ prompt }: { prompt: string }) => `${prompt.length} characters`,
};

/** Runs the dataflow once with a tracker writing the store in `store` and the cache in `cache`. */
async function run(store: string, cache: string, topic: string): Promise<void> {
  const tracker = new HamiltonTracker({
    projectId: "p",
    username: "u",
    dagName: "qa",
    sink: new FileSink({ dir: store }),
  });
  const dr = new Builder().withModules(dataflow).withAdapters(tracker).withCache({ dir: cache }).build();
  await dr.execute(["answer"], { inputs: { topic } });
  await tracker.shutdown({ timeoutMs: 10_000 });
}

describe("HamiltonTracker: what the cache did and why, in the store", () => {
  it("node run records keep the key, the run a hit replayed and why a miss missed; run records the host and pid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracker-cache-why-"));
    const store = join(dir, "store");
    const cache = join(dir, "cache");
    await run(store, cache, "owls");
    await run(store, cache, "owls");
    await run(store, cache, "penguins");
    const { runs } = await readFileStore(store);
    expect(runs).toHaveLength(3);
    const [first, second, third] = [...runs].sort((a, b) => a.run.startTime - b.run.startTime);
    for (const r of runs) expect([r.run.host, r.run.pid]).toEqual([hostname(), process.pid]);
    const byNode = (r: typeof first) => Object.fromEntries(r!.nodes.map((n) => [n.node, n]));
    const one = byNode(first);
    expect(one.prompt).toMatchObject({ cache: "miss", cacheMissReason: { kind: "new" } });
    expect(one.prompt!.cacheFromRun).toBeUndefined();
    expect(one.prompt!.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    const two = byNode(second);
    for (const name of ["prompt", "answer"]) {
      expect(two[name]).toMatchObject({ cache: "hit", cacheKey: one[name]!.cacheKey, cacheFromRun: first!.run.runId });
      expect(two[name]!.cacheMissReason).toBeUndefined();
    }
    const three = byNode(third);
    expect(three.prompt!.cacheMissReason).toEqual({ kind: "dependency", name: "topic" });
    expect(three.answer!.cacheMissReason).toEqual({ kind: "dependency", name: "prompt" });
    expect(three.answer!.cacheKey).not.toBe(one.answer!.cacheKey);
  });
});
