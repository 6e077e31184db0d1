import type { TagValue } from "@hamilton-ts/lifecycle";
import { type CacheBehavior, checkBehavior } from "./cache.js";
import { HamiltonError } from "./errors.js";
import type { ConfigWhenBrand } from "./types.js";

/** The context a node function receives as its second argument. */
export interface NodeContext {
  /**
   * Fires when the run is aborted (the caller's `signal`) or fails (another node threw). Pass it to
   * `fetch`, the OpenAI client, timers... so abandoned work stops.
   */
  readonly signal: AbortSignal;
  /** The id of this execute call, as adapters see it. */
  readonly runId: string;
  /** The name of the node being run. */
  readonly nodeName: string;
  /** The fan-out task this node runs in (e.g. `urls[3]`), if any. */
  readonly taskId: string | undefined;
  /**
   * Reports a non-fatal problem with this node's result: adapters see it in the after-event's
   * `warnings` (the tracer as a span event, the tracker with the node run).
   */
  warn(message: string): void;
}

/** A config condition: a value to equal, a list of accepted values, or a predicate over the config. */
export type ConfigConditions =
  | Readonly<Record<string, unknown>>
  | ((config: Readonly<Record<string, unknown>>) => boolean);

/**
 * How a variant's conditions are read: Hamilton's `config.when` (`when`), `config.when_not`
 * (`whenNot`), `config.when_in` (`whenIn`) and `config.when_not_in` (`whenNotIn`).
 */
export type ConfigMode = "when" | "whenNot" | "whenIn" | "whenNotIn";

/** The conditions a `configWhen*` modifier attached, with how to read them. */
export interface ConfigRule {
  readonly mode: ConfigMode;
  readonly conditions: ConfigConditions;
}

/** Metadata that `node`, `tag` and `configWhen` attach to a function. */
export interface NodeSpec {
  /** The function the engine calls with `(dependencies, context)`. */
  readonly fn: Function;
  /**
   * `wrapNode`: the function whose parameter list (dependencies) and source (code version, the
   * page) define the node, when `fn` is a wrapper around it.
   */
  readonly definedBy?: Function | undefined;
  /** Explicit dependencies (from `node(deps, fn)`); read from `fn`'s parameter when absent. */
  readonly dependencies: readonly { readonly name: string; readonly optional: boolean }[] | undefined;
  readonly usesContext: boolean | undefined;
  readonly tags: Readonly<Record<string, TagValue>>;
  readonly doc: string | undefined;
  /** Conditions on the config; the node exists only when they hold. */
  readonly configWhen: ConfigRule | undefined;
  /** `extractFields`: one more node per field of the result. */
  readonly fields?: readonly string[] | undefined;
  /** `inject`: parameters bound to values, other nodes or groups. */
  readonly bindings?: Readonly<Record<string, Binding>> | undefined;
  /** `parameterize`: one node per entry, each with its own bindings (the export itself is no node). */
  readonly parameterize?: Readonly<Record<string, Readonly<Record<string, Binding>>>> | undefined;
  /** `checkOutput`: checks run on the result. */
  readonly checks?: readonly OutputCheck[] | undefined;
  /** `parallelize` / `collect`: the ends of a dynamic fan-out. */
  readonly kind?: "expand" | "collect" | undefined;
  /** `subdag`: an embedded dataflow. */
  readonly subdag?: SubdagSpec | undefined;
  /** `cache`: the node's cache behaviour. */
  readonly cache?: CacheBehavior | undefined;
}

/** A parameter bound to a literal value. */
export interface ValueBinding<T = unknown> {
  readonly kind: "value";
  readonly value: T;
}
/** A parameter bound to another node (or input) by name. */
export interface SourceBinding<Name extends string = string> {
  readonly kind: "source";
  readonly name: Name;
}
/** A parameter bound to an array (or object) of values and sources. */
export interface GroupBinding {
  readonly kind: "group";
  readonly items: readonly (ValueBinding | SourceBinding)[] | Readonly<Record<string, ValueBinding | SourceBinding>>;
}
/** What a parameter can be bound to, with `value`, `source` or `group`. */
export type Binding = ValueBinding | SourceBinding | GroupBinding;

/** A check `checkOutput` runs on a node's result. */
export interface OutputCheck {
  /** Returns the problems found (empty when the value is fine); may be asynchronous. */
  readonly validate: (value: unknown) => readonly string[] | Promise<readonly string[]>;
  readonly importance: "warn" | "fail";
  /** A short description for messages. */
  readonly description: string;
}

/** What `subdag` attaches; see {@link subdag}. */
export interface SubdagSpec {
  readonly modules: readonly object[];
  readonly inputs: Readonly<Record<string, ValueBinding | SourceBinding>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly namespace: string | undefined;
}

const SPEC = Symbol.for("hamilton-ts.node-spec");

/** The metadata attached to a function by a modifier, if any. */
export function specOf(value: Function): NodeSpec | undefined {
  return (value as unknown as Record<symbol, NodeSpec | undefined>)[SPEC];
}

/** A function marked with {@link configWhen}: the types strip its `__variant` suffix. */
export type ConfigWhenFn<F> = F & ConfigWhenBrand;

export function attach<F extends Function>(fn: F, changes: Partial<NodeSpec>): F {
  const base = specOf(fn);
  const spec: NodeSpec = {
    fn: base?.fn ?? fn,
    dependencies: undefined,
    usesContext: undefined,
    tags: {},
    doc: undefined,
    configWhen: undefined,
    ...base,
    ...changes,
  };
  const target = spec.fn as (...args: unknown[]) => unknown;
  // A new function each time, so the user's own function is never mutated and stays testable.
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return target.apply(this, args);
  };
  Object.defineProperty(wrapped, "name", { value: spec.fn.name });
  Object.defineProperty(wrapped, SPEC, { value: spec });
  return wrapped as unknown as F;
}

export function checkFunction(fn: unknown, where: string): asserts fn is Function {
  if (typeof fn !== "function") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where} expects a function as its last argument, got ${fn === null ? "null" : typeof fn}.`,
    );
  }
}

function checkTags(tags: unknown, where: string): asserts tags is Record<string, TagValue> {
  const ok =
    typeof tags === "object" &&
    tags !== null &&
    Object.values(tags).every(
      (v) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")),
    );
  if (!ok) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: tags must be an object of strings or string arrays, e.g. { owner: "data-team" }.`,
    );
  }
}

/** Options of {@link node}. */
export interface NodeOptions {
  /** Tags for the node (shown by adapters, filterable with `listAvailableVariables`). */
  tags?: Readonly<Record<string, TagValue>>;
  /** Documentation for the node. */
  doc?: string;
  /** Which of the dependencies may be missing (the function then gets no such key). */
  optional?: readonly string[];
}

/**
 * Declares a node explicitly: `fn` receives one object `{ [dep]: value }` and the run context.
 * Use it when the dependencies cannot be read from a destructured parameter (a function written
 * elsewhere, a parameter object that is not destructured).
 *
 * @example
 * export const summary = node(["article", "model"], (deps: { article: string; model: string }) => ...);
 */
export function node<F extends (deps: never, ctx: NodeContext) => unknown>(
  dependencies: readonly string[],
  fn: F,
  options: NodeOptions = {},
): F {
  if (
    !Array.isArray(dependencies) ||
    !dependencies.every((d) => typeof d === "string" && d.length > 0) ||
    new Set(dependencies).size !== dependencies.length
  ) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `node(dependencies, fn): dependencies must be an array of distinct node names, e.g. node(["a", "b"], fn).`,
    );
  }
  checkFunction(fn, "node(dependencies, fn)");
  const optional = new Set(options.optional ?? []);
  for (const name of optional) {
    if (!dependencies.includes(name)) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `node(...): optional dependency "${name}" is not in the dependency list [${dependencies.join(", ")}].`,
      );
    }
  }
  if (options.tags !== undefined) checkTags(options.tags, "node(...)");
  return attach(fn, {
    dependencies: dependencies.map((name) => ({ name, optional: optional.has(name) })),
    usesContext: true,
    ...(options.tags !== undefined ? { tags: { ...(specOf(fn)?.tags ?? {}), ...options.tags } } : {}),
    ...(options.doc !== undefined ? { doc: options.doc } : {}),
  });
}

/**
 * Adds tags to a node (Hamilton's `@tag`). Tags are strings or string arrays.
 *
 * @example
 * export const report = tag({ owner: "growth", pii: "false" }, ({ rows }: { rows: Row[] }) => ...);
 */
export function tag<F extends Function>(tags: Readonly<Record<string, TagValue>>, fn: F): F {
  checkTags(tags, "tag(tags, fn)");
  checkFunction(fn, "tag(tags, fn)");
  return attach(fn, { tags: { ...(specOf(fn)?.tags ?? {}), ...tags } });
}

/**
 * Sets the node's cache behaviour (Hamilton's `@cache(behavior=...)`), used when the driver has
 * `Builder.withCache`: `default` (look up, store), `recompute` (always run, store), `disable`
 * (never look up or store; dependents run too) or `ignore` (never look up or store, and leave the
 * node out of its dependents' keys). `withCache({ nodes })` wins over it.
 *
 * @example
 * export const llmClient = cache({ behavior: "ignore" }, () => new OpenAI());
 */
export function cache<F extends Function>(options: { readonly behavior: CacheBehavior }, fn: F): F {
  if (options === null || typeof options !== "object")
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `cache(options, fn): options must be an object such as { behavior: "recompute" }, got ${options === null ? "null" : typeof options}.`,
    );
  checkBehavior(options.behavior, "cache(options, fn): behavior");
  checkFunction(fn, "cache(options, fn)");
  return attach(fn, { cache: options.behavior });
}

/**
 * Includes the node only when the config matches (Hamilton's `@config.when`). A value must equal
 * the config's; an array lists accepted values (like {@link configWhenIn}); a function decides
 * from the whole config.
 *
 * Variants of one node are exported under `name__variant` names: the suffix is stripped, and
 * exactly one variant per name may match the config. When none does, the node is absent, and a
 * node that needs it reports the variants and their conditions.
 *
 * @example
 * export const model__fast = configWhen({ quality: "fast" }, () => "gpt-4o-mini");
 * export const model__best = configWhen({ quality: ["best", "max"] }, () => "gpt-4o");
 */
export function configWhen<F extends Function>(conditions: ConfigConditions, fn: F): ConfigWhenFn<F> {
  return configRule("when", "configWhen", conditions, fn);
}

/**
 * Includes the node only when, for every key, the config's value differs from the one given
 * (Hamilton's `@config.when_not`); an array lists values the config must not have. A key absent
 * from the config differs from any value.
 *
 * @example
 * export const cache__disk = configWhenNot({ env: "test" }, () => new DiskCache());
 * export const cache__memory = configWhen({ env: "test" }, () => new Map());
 */
export function configWhenNot<F extends Function>(
  conditions: Readonly<Record<string, unknown>>,
  fn: F,
): ConfigWhenFn<F> {
  return configRule("whenNot", "configWhenNot", conditions, fn);
}

/**
 * Includes the node only when, for every key, the config's value is one of the values listed
 * (Hamilton's `@config.when_in`).
 *
 * @example
 * export const model__big = configWhenIn({ quality: ["best", "max"] }, () => "gpt-4o");
 */
export function configWhenIn<F extends Function>(
  conditions: Readonly<Record<string, readonly unknown[]>>,
  fn: F,
): ConfigWhenFn<F> {
  return configRule("whenIn", "configWhenIn", conditions, fn);
}

/**
 * Includes the node only when, for every key, the config's value is none of the values listed
 * (Hamilton's `@config.when_not_in`).
 *
 * @example
 * export const model__small = configWhenNotIn({ quality: ["best", "max"] }, () => "gpt-4o-mini");
 */
export function configWhenNotIn<F extends Function>(
  conditions: Readonly<Record<string, readonly unknown[]>>,
  fn: F,
): ConfigWhenFn<F> {
  return configRule("whenNotIn", "configWhenNotIn", conditions, fn);
}

function configRule<F extends Function>(mode: ConfigMode, api: string, conditions: unknown, fn: F): ConfigWhenFn<F> {
  const where = `${api}(conditions, fn)`;
  const predicateOk = mode === "when" && typeof conditions === "function";
  if (!predicateOk && (typeof conditions !== "object" || conditions === null || Array.isArray(conditions))) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: conditions must be an object like { key: ${mode === "whenIn" || mode === "whenNotIn" ? "[value, ...]" : "value"} }` +
        `${mode === "when" ? " or a predicate (config) => boolean" : ""}.`,
    );
  }
  if ((mode === "whenIn" || mode === "whenNotIn") && typeof conditions === "object") {
    for (const [key, values] of Object.entries(conditions as object)) {
      if (!Array.isArray(values)) {
        throw new HamiltonError(
          "INVALID_ARGUMENT",
          `${where}: the value of "${key}" must be an array of values, got ${values === null ? "null" : typeof values}. ` +
            `For a single value use ${mode === "whenIn" ? "configWhen" : "configWhenNot"}.`,
        );
      }
    }
  }
  checkFunction(fn, where);
  return attach(fn, { configWhen: { mode, conditions: conditions as ConfigConditions } }) as ConfigWhenFn<F>;
}

/** True when the config satisfies the rule. */
export function configMatches(rule: ConfigRule, config: Readonly<Record<string, unknown>>): boolean {
  const { mode, conditions } = rule;
  if (typeof conditions === "function") return conditions(config);
  for (const [key, expected] of Object.entries(conditions)) {
    const actual = Object.hasOwn(config, key) ? config[key] : undefined;
    const hit = Array.isArray(expected) ? expected.includes(actual) : Object.is(actual, expected);
    if ((mode === "when" || mode === "whenIn") !== hit) return false;
  }
  return true;
}

/** The rule in words, for messages: `format = "txt"`, `quality in ["best", "max"]`, … */
export function describeRule(rule: ConfigRule): string {
  const { mode, conditions } = rule;
  if (typeof conditions === "function") return "a predicate over the config";
  const negate = mode === "whenNot" || mode === "whenNotIn";
  const parts = Object.entries(conditions).map(([key, expected]) =>
    Array.isArray(expected)
      ? `${key} ${negate ? "not in" : "in"} [${expected.map((v) => show(v)).join(", ")}]`
      : `${key} ${negate ? "≠" : "="} ${show(expected)}`,
  );
  return parts.length === 0 ? "always" : parts.join(" and ");
}

function show(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
