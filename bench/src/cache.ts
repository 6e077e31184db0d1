/**
 * The engine's cache (`Builder.withCache`): a run that hits everywhere against the same run
 * uncached, on the 10,000-node chain and fan (per node and as a ratio), through the file store
 * as it is (synchronous) and through the same store behind promises (`…/async-store`: what a hit
 * costs when the store answers asynchronously, as a network store does, without the network);
 * and the cost of `fingerprint` for a 1 MB string and a 1e6-number array against SHA-256 over
 * the same bytes.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, type CacheEntryInfo, type CacheStore, FileCacheStore, fingerprint } from "@hamilton-ts/core";
import { median, measure, type Plan } from "./measure.js";
import type { Options } from "./options.js";
import { selected } from "./options.js";
import type { CacheFigure, FingerprintFigure } from "./results.js";
import { chain, fan, type Shape } from "./shapes.js";
import { log } from "./suites.js";

const SIZE = 10_000;

/** Cached (every node a hit, from a fresh `FileCacheStore`) against uncached, per shape. */
export async function cacheSuite(options: Options): Promise<CacheFigure[]> {
  const out: CacheFigure[] = [];
  const plan: Plan = options.quick ? { warmup: 3, runs: 5 } : { warmup: 10, runs: 20 };
  for (const [shape, async] of [
    [chain(SIZE), false],
    [fan(SIZE), false],
    [chain(SIZE), true],
    [fan(SIZE), true],
  ] as const) {
    const id = `cache/${shape.kind}/${SIZE}${async ? "/async-store" : ""}`;
    if (!selected(options, id)) continue;
    log(`${id}…`);
    const dir = mkdtempSync(join(tmpdir(), "bench-cache-"));
    try {
      const finalVars = [shape.finalVar] as never[];
      const check = (value: unknown) => {
        if ((value as Record<string, unknown>)[shape.finalVar] !== shape.expected)
          throw new Error(`${id}: wrong result`);
      };
      const plain = new Builder().withModules(shape.module).build();
      const store = async ? promised(new FileCacheStore(dir)) : new FileCacheStore(dir);
      const cached = new Builder().withModules(shape.module).withCache({ store }).build();
      await cached.execute(finalVars, { inputs: shape.inputs }); // fills the store
      const uncachedStats = await measure(
        { run: () => plain.execute(finalVars, { inputs: shape.inputs }), check },
        plan,
      );
      const cachedStats = await measure(
        { run: () => cached.execute(finalVars, { inputs: shape.inputs }), check },
        plan,
      );
      const hits = cached.cache!.lastRun.filter((e) => e.outcome === "hit").length;
      out.push(figure(id, shape, uncachedStats.medianMs, cachedStats.medianMs, hits, async));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** The same store with every answer behind a resolved promise. */
function promised(store: FileCacheStore): CacheStore {
  return {
    get: (key) => Promise.resolve(store.get(key)),
    set: (key, data, info) => Promise.resolve(store.set(key, data, info)),
    delete: (key) => Promise.resolve(store.delete(key)),
    clear: () => Promise.resolve(store.clear()),
    entries: (): Iterable<CacheEntryInfo> => store.entries(),
  };
}

function figure(
  id: string,
  shape: Shape,
  uncachedMs: number,
  cachedMs: number,
  hits: number,
  async: boolean,
): CacheFigure {
  return {
    id,
    shape: async ? `${shape.kind} (async store)` : shape.kind,
    nodes: shape.nodes,
    uncachedMs,
    cachedMs,
    cachedUsPerNode: (cachedMs * 1000) / shape.nodes,
    overUsPerNode: ((cachedMs - uncachedMs) * 1000) / shape.nodes,
    ratio: cachedMs / uncachedMs,
    hits,
  };
}

/** `fingerprint` of a 1 MB string and of a 1e6-number array, against SHA-256 over their bytes. */
export function fingerprintSuite(options: Options): FingerprintFigure[] {
  const runs = options.quick ? 5 : 15;
  const out: FingerprintFigure[] = [];
  const cases: { id: string; label: string; value: unknown; bytes: Uint8Array }[] = [
    {
      id: "fingerprint/string-1mb",
      label: "a 1 MB string",
      value: "x".repeat(2 ** 20),
      bytes: Buffer.from("x".repeat(2 ** 20)),
    },
    {
      id: "fingerprint/numbers-1e6",
      label: "an array of 1e6 numbers",
      value: Array.from({ length: 1_000_000 }, (_, i) => i * 0.5),
      bytes: new Uint8Array(new Float64Array(Array.from({ length: 1_000_000 }, (_, i) => i * 0.5)).buffer),
    },
  ];
  for (const c of cases) {
    if (!selected(options, c.id)) continue;
    log(`${c.id}…`);
    const time = (fn: () => unknown): number => {
      const times: number[] = [];
      for (let i = 0; i < runs + 3; i++) {
        const t0 = performance.now();
        fn();
        if (i >= 3) times.push(performance.now() - t0);
      }
      return median(times);
    };
    const ms = time(() => fingerprint(c.value));
    const hashMs = time(() => createHash("sha256").update(c.bytes).digest());
    out.push({ id: c.id, label: c.label, bytes: c.bytes.byteLength, ms, hashMs, ratio: ms / hashMs });
  }
  return out;
}
