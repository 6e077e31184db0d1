/** A dataflow with two independent fan-outs that start together in one run. */
import { collect, parallelize } from "@hamilton-ts/core";

export const a = parallelize(({ xs }: { xs: number[] }) => xs);
export const aDouble = ({ a }: { a: number }) => a * 2;
export const aAll = collect(({ aDouble }: { aDouble: number }) => aDouble);
export const b = parallelize(({ ys }: { ys: string[] }) => ys);
export const bNeg = ({ b }: { b: string }) => `neg:${b}`;
export const bAll = collect(({ bNeg }: { bNeg: string }) => bNeg);
