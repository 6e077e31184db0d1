/**
 * A fan-out whose node is synchronous CPU work (`ms` of busy waiting per item), counting its runs
 * per item in this process (through a global: a module's exports are its nodes).
 */
import { collect, parallelize } from "@hamilton-ts/core";

export const x = parallelize(({ xs }: { xs: number[] }) => xs);
export const busy = ({ x, ms }: { x: number; ms: number }) => {
  const runs = ((globalThis as { bullmqTestRuns?: Map<number, number> }).bullmqTestRuns ??= new Map());
  runs.set(x, (runs.get(x) ?? 0) + 1);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // blocks the event loop, as synchronous work does
  }
  return x;
};
export const all = collect(({ busy }: { busy: number }) => busy);
