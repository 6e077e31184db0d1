/** The dataflow of the cache tests: one fan-out whose item runs say which process computed them. */
import { collect, parallelize } from "@hamilton-ts/core";

/** What `work` returns: the item's value, and the process that computed it. */
export interface Worked {
  readonly item: number;
  readonly value: number;
  readonly pid: number;
}

export const item = parallelize(({ items }: { items: number[] }) => items);

export const work = ({ item, factor }: { item: number; factor: number }): Worked => ({
  item,
  value: item * factor,
  pid: process.pid,
});

export const results = collect(({ work }: { work: Worked[] }) => work);
