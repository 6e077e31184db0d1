/** The dataflow of the BullMQ footprint row: a fan-out whose items all read one large value. */
import { collect, parallelize } from "@hamilton-ts/core";

export const big = ({ size }: { size: number }) => "x".repeat(size);
export const x = parallelize(({ xs }: { xs: number[] }) => xs);
export const measured = ({ x, big }: { x: number; big: string }) => x + big.length;
export const all = collect(({ measured }: { measured: number }) => measured);
