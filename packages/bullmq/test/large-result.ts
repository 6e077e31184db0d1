/** A fan-out whose items return a large value (`size` characters). */
import { collect, parallelize } from "@hamilton-ts/core";

export const x = parallelize(({ xs }: { xs: number[] }) => xs);
export const large = ({ x, size }: { x: number; size: number }) => String(x).repeat(size);
export const all = collect(({ large }: { large: string }) => large);
