/** The dataflow of the BullMQ bench rows: one fan-out whose items say what their block does. */
import { collect, parallelize } from "@hamilton-ts/core";

/** A tiny item (`ms` 0), an item that waits `ms`, or one that computes for `ms` (`cpu`). */
export interface BenchItem {
  readonly n: number;
  readonly ms: number;
  readonly cpu: boolean;
}

export const item = parallelize(({ items }: { items: BenchItem[] }) => items);

export function work({ item }: { item: BenchItem }): number | Promise<number> {
  if (item.ms === 0) return item.n;
  if (!item.cpu) return new Promise((resolve) => setTimeout(() => resolve(item.n), item.ms));
  // Busy computation for item.ms of wall time (blocks the event loop, as CPU-bound work does).
  const end = performance.now() + item.ms;
  let x = item.n;
  while (performance.now() < end) x = (x * 1103515245 + 12345) % 2147483648;
  return x === -1 ? 0 : item.n;
}

export const results = collect(({ work }: { work: number[] }) => work);
