/**
 * A dataflow whose node reads a module constant: `rated(2)` and `rated(3)` have the same node
 * sources, so the same graph version, and compute different results.
 */
import { collect, parallelize } from "@hamilton-ts/core";

export function rated(rate: number) {
  return {
    x: parallelize(({ xs }: { xs: number[] }) => xs),
    scaled: ({ x }: { x: number }) => x * rate,
    all: collect(({ scaled }: { scaled: number }) => scaled),
  };
}
