/** The dataflows of the cache-redis rows: one cached node over a 1 KB value, and a fan-out of waiting items. */
import { collect, parallelize } from "@hamilton-ts/core";

/** One node whose result is a 1 KB string (a hit reads it back). */
export const kilobyte = {
  value: ({ seed }: { seed: number }) => `${seed}`.padEnd(1024, "x"),
};

/** Each item waits `ms` (an LLM call, say) and returns its number. */
export const waiting = {
  item: parallelize(({ items }: { items: { n: number; ms: number }[] }) => items),
  work: ({ item }: { item: { n: number; ms: number } }): Promise<number> =>
    new Promise((resolve) => setTimeout(() => resolve(item.n), item.ms)),
  results: collect(({ work }: { work: number[] }) => work),
};
