/**
 * Type tests of wrapNode: checked by `tsc -p tsconfig.test.json` (part of `pnpm test`). Each
 * `@ts-expect-error` is a case that must NOT compile.
 */
import { expectTypeOf } from "vitest";
import { Builder } from "./builder.js";
import { wrapNode } from "./wrap-node.js";

const timed =
  (fn: Function) =>
  (...args: unknown[]) =>
    fn(...args);

const dataflow = {
  count: wrapNode(({ text }: { text: string }) => text.length, timed),
  label: wrapNode(async ({ count }: { count: number }) => `n=${count}`, timed),
};

async function wrappedNodesKeepTheirTypes(): Promise<void> {
  const dr = new Builder().withModules(dataflow).build();
  const out = await dr.execute(["count", "label"], { inputs: { text: "abc" } });
  expectTypeOf(out.count).toEqualTypeOf<number>();
  expectTypeOf(out.label).toEqualTypeOf<string>();
  // @ts-expect-error The input keeps the wrapped function's type.
  await dr.execute(["count"], { inputs: { text: 3 } });
}
void wrappedNodesKeepTheirTypes;

const returnsNumber = () => 3;
const plain = ({ a }: { a: number }) => a;
// @ts-expect-error The wrapper must return a function.
wrapNode(plain, returnsNumber);
