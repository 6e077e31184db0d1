import { HamiltonError } from "./errors.js";
import {
  attach,
  checkFunction,
  specOf,
  type Binding,
  type GroupBinding,
  type SourceBinding,
  type ValueBinding,
} from "./modifiers.js";
import type { CollectBrand, ExpandBrand, FieldsBrand, InjectBrand, ParameterizeBrand } from "./types.js";

/** Binds a parameter to a literal value (Hamilton's `value`). */
export function value<const T>(v: T): ValueBinding<T> {
  return { kind: "value", value: v };
}

/** Binds a parameter to another node or input, by name (Hamilton's `source`). */
export function source<const Name extends string>(name: Name): SourceBinding<Name> {
  if (typeof name !== "string" || name.length === 0) {
    throw new HamiltonError("INVALID_ARGUMENT", `source(name): name must be a node name, got ${JSON.stringify(name)}.`);
  }
  return { kind: "source", name };
}

/**
 * Binds a parameter to an array — `group(source("a"), value(2))` — or an object —
 * `group({ first: source("a"), second: source("b") })` — of values and sources.
 */
export function group(
  ...items: [Readonly<Record<string, ValueBinding | SourceBinding>>] | (ValueBinding | SourceBinding)[]
): GroupBinding {
  const first = items[0];
  if (items.length === 1 && first !== undefined && !isBinding(first)) {
    const record = first as Readonly<Record<string, ValueBinding | SourceBinding>>;
    for (const [key, b] of Object.entries(record)) checkLeaf(b, `group({ ${key} })`);
    return { kind: "group", items: record };
  }
  const list = items as (ValueBinding | SourceBinding)[];
  list.forEach((b, i) => {
    checkLeaf(b, `group(...) item #${i}`);
  });
  return { kind: "group", items: list };
}

function isBinding(x: unknown): x is Binding {
  return (
    typeof x === "object" && x !== null && ["value", "source", "group"].includes((x as { kind?: string }).kind ?? "")
  );
}

function checkLeaf(b: unknown, where: string): void {
  if (!isBinding(b) || b.kind === "group") {
    throw new HamiltonError("INVALID_ARGUMENT", `${where}: expected value(...) or source(...).`);
  }
}

function checkBindings(bindings: unknown, where: string): asserts bindings is Record<string, Binding> {
  if (typeof bindings !== "object" || bindings === null) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: expected an object of parameter → value(...) | source(...) | group(...).`,
    );
  }
  for (const [param, b] of Object.entries(bindings)) {
    if (!isBinding(b)) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: parameter "${param}" must be bound with value(...), source(...) or group(...), got ${JSON.stringify(b)}.`,
      );
    }
  }
}

/**
 * Binds some of a node's parameters to values, other nodes or groups, without renaming the node
 * (Hamilton's `@inject`).
 *
 * @example
 * export const report = inject({ sections: group(source("intro"), source("body")) },
 *   ({ sections }: { sections: string[] }) => sections.join("\n\n"));
 */
export function inject<const B extends Readonly<Record<string, Binding>>, F extends Function>(
  bindings: B,
  fn: F,
): F & InjectBrand<B> {
  checkBindings(bindings, "inject(bindings, fn)");
  checkFunction(fn, "inject(bindings, fn)");
  return attach(fn, { bindings: { ...(specOf(fn)?.bindings ?? {}), ...bindings } }) as F & InjectBrand<B>;
}

/**
 * One function, many nodes: each key of `variants` becomes a node, the function called with that
 * entry's bound parameters (Hamilton's `@parameterize`). The export's own name is not a node.
 *
 * @example
 * export const _greeting = ...;
 * export const greetings = parameterize({
 *   helloAlice: { name: value("Alice") },
 *   helloUser: { name: source("userName") },
 * }, ({ name, greetingWord }: { name: string; greetingWord: string }) => `${greetingWord} ${name}`);
 */
export function parameterize<
  const S extends Readonly<Record<string, Readonly<Record<string, Binding>>>>,
  F extends Function,
>(variants: S, fn: F): F & ParameterizeBrand<S> {
  if (typeof variants !== "object" || variants === null || Object.keys(variants).length === 0) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `parameterize(variants, fn): variants must be a non-empty object of node name → { parameter: value(...) | source(...) }.`,
    );
  }
  for (const [name, bindings] of Object.entries(variants))
    checkBindings(bindings, `parameterize(...) variant "${name}"`);
  checkFunction(fn, "parameterize(variants, fn)");
  return attach(fn, { parameterize: variants }) as F & ParameterizeBrand<S>;
}

/**
 * A node returning an object also yields one node per named field, typed from the return type
 * (Hamilton's `@extract_fields`). The field nodes are named after the fields.
 *
 * @example
 * export const stats = extractFields(["mean", "max"], ({ xs }: { xs: number[] }) => ({ mean: avg(xs), max: Math.max(...xs) }));
 */
export function extractFields<const K extends string, F extends Function>(
  fields: readonly K[],
  fn: F,
): F & FieldsBrand<K> {
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === "string" && f.length > 0)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `extractFields(fields, fn): fields must be a non-empty array of field names, e.g. ["mean", "max"].`,
    );
  }
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup !== undefined)
    throw new HamiltonError("INVALID_ARGUMENT", `extractFields(fields, fn): field "${dup}" is listed twice.`);
  checkFunction(fn, "extractFields(fields, fn)");
  return attach(fn, { fields: [...fields] }) as F & FieldsBrand<K>;
}

/**
 * Marks a node whose result — an array, an iterable or an async iterable — fans out: the nodes
 * between it and a {@link collect} node run once per item, concurrently (within the driver's
 * limit), each seeing the item as this node's value.
 *
 * @example
 * export const url = parallelize(({ urls }: { urls: string[] }) => urls);
 * export const page = async ({ url }: { url: string }) => (await fetch(url)).text();
 * export const pages = collect(({ page }: { page: string[] }) => page);
 */
export function parallelize<F extends Function>(fn: F): F & ExpandBrand {
  checkFunction(fn, "parallelize(fn)");
  return attach(fn, { kind: "expand" }) as F & ExpandBrand;
}

/**
 * Marks the node that gathers a fan-out started by {@link parallelize}: each of its dependencies
 * computed per item arrives as the array of the items' values, in item order.
 */
export function collect<F extends Function>(fn: F): F & CollectBrand {
  checkFunction(fn, "collect(fn)");
  return attach(fn, { kind: "collect" }) as F & CollectBrand;
}
