/**
 * The dataflows the bench runs, built the way real code would be: every node is its own function
 * with its own source text (made with `new Function`), so graph build pays for reading each one.
 *
 * - chain: `n_0({ start }) = start`, `n_i({ n_{i-1} }) = n_{i-1} + 1` — the deepest graph.
 * - fan: `f_i({ x }) = x + i`, `total({ f_0, …, f_{n-1} }) = f_0 + … + f_{n-1}` — the widest.
 * - io: like fan, but every `f_i` awaits a 20 ms timer first — concurrency, not CPU.
 *
 * These are the shapes of Python Hamilton's figures (research/hamilton.md §6.1).
 */

/** A node function as the engine and the plain baseline call it. */
export type NodeFn = (kwargs: Record<string, unknown>) => unknown;

/** One node of a shape, in topological order, with its dependencies spelled out. */
export interface Step {
  readonly name: string;
  readonly fn: NodeFn;
  /** Dependency names (the keys of the kwargs object). */
  readonly deps: readonly string[];
  /** Slots of the dependencies in the baseline's value array, parallel to `deps`. */
  readonly depSlots: readonly number[];
  /**
   * Makes the step's kwargs object: a plain object from a constructor of the step's own, as the
   * engine makes each node's, so neither fills V8's shared `{}` transition tree with 100,000 names.
   */
  readonly Kwargs: new () => Record<string, unknown>;
}

/** A shape at one size, with fresh functions. */
export interface Shape {
  readonly kind: "chain" | "fan" | "io";
  /** Number of function nodes (external inputs not counted). */
  readonly nodes: number;
  /** The module object handed to `withModules`: name → function. */
  readonly module: Record<string, NodeFn>;
  /** Nodes in topological order (what the plain baseline calls). */
  readonly steps: readonly Step[];
  /** External inputs, by name; they occupy the first slots of the baseline's value array. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly finalVar: string;
  /** The value `finalVar` must have, checked after every run of every variant. */
  readonly expected: number;
}

function kwargsConstructor(): new () => Record<string, unknown> {
  function Kwargs(): void {}
  Kwargs.prototype = Object.prototype;
  return Kwargs as unknown as new () => Record<string, unknown>;
}

/** Compiles one node's source on its own, like a function in a module file. */
function compile(source: string): NodeFn {
  return new Function(`"use strict"; return (${source});`)() as NodeFn;
}

function shape(
  kind: Shape["kind"],
  inputs: Record<string, unknown>,
  defs: readonly { name: string; source: string; deps: readonly string[] }[],
  expected: number,
): Shape {
  const slot = new Map<string, number>();
  for (const name of Object.keys(inputs)) slot.set(name, slot.size);
  const module: Record<string, NodeFn> = {};
  const steps: Step[] = [];
  for (const def of defs) {
    const fn = compile(def.source);
    module[def.name] = fn;
    steps.push({
      name: def.name,
      fn,
      deps: def.deps,
      depSlots: def.deps.map((d) => slot.get(d)!),
      Kwargs: kwargsConstructor(),
    });
    slot.set(def.name, slot.size);
  }
  return { kind, nodes: defs.length, module, steps, inputs, finalVar: defs[defs.length - 1]!.name, expected };
}

/** A chain of `n` nodes: `n_0 = start`, `n_i = n_{i-1} + 1`; the last is `n - 1`. */
export function chain(n: number): Shape {
  const defs = [{ name: "n_0", source: "({ start }) => start", deps: ["start"] }];
  for (let i = 1; i < n; i++) {
    const prev = `n_${i - 1}`;
    defs.push({ name: `n_${i}`, source: `({ ${prev} }) => ${prev} + 1`, deps: [prev] });
  }
  return shape("chain", { start: 0 }, defs, n - 1);
}

function fanDefs(n: number, body: (i: number) => string) {
  const defs: { name: string; source: string; deps: string[] }[] = [];
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    names.push(`f_${i}`);
    defs.push({ name: `f_${i}`, source: body(i), deps: ["x"] });
  }
  // One statement per term: a 100,000-term `a + b + …` expression is legal but needlessly deep.
  const sum = names.map((f) => `s += ${f};`).join(" ");
  defs.push({ name: "total", source: `({ ${names.join(", ")} }) => { let s = 0; ${sum} return s; }`, deps: names });
  return defs;
}

/** `n` nodes `f_i = x + i` and `total` = their sum: `n + 1` function nodes. */
export function fan(n: number): Shape {
  const defs = fanDefs(n, (i) => `({ x }) => x + ${i}`);
  return shape("fan", { x: 1 }, defs, n + (n * (n - 1)) / 2);
}

/** Like {@link fan}, but each `f_i` first awaits a `delayMs` timer (I/O-bound nodes). */
export function ioFan(n: number, delayMs: number): Shape {
  const defs = fanDefs(
    n,
    (i) => `async ({ x }) => { await new Promise((resolve) => setTimeout(resolve, ${delayMs})); return x + ${i}; }`,
  );
  return shape("io", { x: 1 }, defs, n + (n * (n - 1)) / 2);
}

/** Builds a shape by kind and size (io uses 20 ms). */
export function makeShape(kind: Shape["kind"], size: number): Shape {
  if (kind === "chain") return chain(size);
  if (kind === "fan") return fan(size);
  return ioFan(size, 20);
}
