/**
 * A one-node fan-out whose node calls a test hook before it returns (through a global, so the
 * coordinator and the worker see the same node source).
 */
import { collect, parallelize } from "@hamilton-ts/core";

export const x = parallelize(({ xs }: { xs: number[] }) => xs);
export const doubled = async ({ x }: { x: number }) => {
  await (globalThis as { bullmqTestBeforeReturn?: () => Promise<void> }).bullmqTestBeforeReturn?.();
  return x * 2;
};
export const all = collect(({ doubled }: { doubled: number }) => doubled);
