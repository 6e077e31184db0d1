/** The dataflow of the tests: one fan-out whose items say what their block does. */
import { collect, type NodeContext, parallelize } from "@hamilton-ts/core";

/** What an item asks of its block. */
export interface Item {
  readonly id: number;
  /**
   * `ok` (default), `throw` (the node fails), `class` (returns a class instance), `wait` (marks
   * its start in BULLMQ_TEST_MARKERS, then waits for the abort — unless the worker has
   * BULLMQ_TEST_RELEASE), `slow` (waits `ms`), `meet` (marks its start, then waits until items
   * have started in two processes).
   */
  readonly mode?: "ok" | "throw" | "class" | "wait" | "slow" | "meet";
  readonly ms?: number;
}

/** What `processed` returns for an `ok` item. */
export interface Processed {
  readonly id: number;
  readonly text: string;
  readonly scaled: bigint;
  readonly when: Date;
  readonly tags: Map<string, Set<number>>;
  readonly bytes: Float64Array;
  readonly pid: number;
}

class Thing {
  constructor(readonly x: number) {}
}

/**
 * Leaves a marker file in BULLMQ_TEST_MARKERS (how a test learns that a `wait` item started).
 * Through a global, not an import: the coordinator (under Vite) and the workers (under tsx) must
 * see the same function source, which a rewritten import inside a node would change.
 */
const mark = (name: string): void => (globalThis as { bullmqTestMark?: (name: string) => void }).bullmqTestMark?.(name);
/** Waits until items have started in `processes` processes (test/marks.ts), through a global for the same reason. */
const meet = (processes: number): Promise<void> | undefined =>
  (globalThis as { bullmqTestMeet?: (processes: number) => Promise<void> }).bullmqTestMeet?.(processes);

export const client = ({ greeting }: { greeting: string }) => ({ greet: (s: string) => `${greeting} ${s}` });

export const item = parallelize(({ items }: { items: Item[] }) => items);

export async function processed(
  { item, client, factor }: { item: Item; client: { greet(s: string): string }; factor: number },
  ctx: NodeContext,
): Promise<Processed> {
  if (item.mode === "throw") throw new RangeError(`item ${item.id} is out of range`);
  if (item.mode === "class") return new Thing(item.id) as unknown as Processed;
  if (item.mode === "wait") {
    mark(`started-${item.id}-${process.pid}`);
    // A worker started with BULLMQ_TEST_RELEASE runs waiting items through at once.
    if (process.env.BULLMQ_TEST_RELEASE === undefined) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      mark(`aborted-${item.id}-${process.pid}`);
      throw new Error(`item ${item.id} saw the abort`);
    }
  }
  if (item.mode === "meet") {
    mark(`started-${item.id}-${process.pid}`);
    await meet(2);
  }
  if (item.mode === "slow") {
    mark(`started-${item.id}-${process.pid}`);
    await new Promise((r) => setTimeout(r, item.ms ?? 10));
  }
  return {
    id: item.id,
    text: client.greet(String(item.id)),
    scaled: BigInt(item.id) * BigInt(factor),
    when: new Date(Date.UTC(2026, 0, item.id + 1)),
    tags: new Map([[`k${item.id}`, new Set([item.id])]]),
    bytes: new Float64Array([item.id, item.id / 2]),
    pid: process.pid,
  };
}

export const processedAll = collect(({ processed }: { processed: Processed[] }) => processed);
