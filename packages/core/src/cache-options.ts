/**
 * The cache's public vocabulary: behaviours, `withCache` options and their checks, the record of
 * one node run's cache decision, the decision log's events, and what `driver.cache` offers.
 *
 * @module
 */
import type { CacheMissReason, CacheOutcome } from "@hamilton-ts/lifecycle";
import type { CacheStore, MaybePromise } from "./cache-store.js";
import { HamiltonError } from "./errors.js";

/**
 * What the cache does for a node (Hamilton's behaviours):
 *
 * - `default`: look the result up; on a miss run the node and store its result.
 * - `recompute`: always run the node, and store its result (for dependents of later runs).
 * - `disable`: never look up or store; its dependents cannot be keyed, so they run too.
 * - `ignore`: never look up or store, and leave the node out of its dependents' keys (for a value
 *   that does not decide the result, e.g. a client); its outcome reads `disabled`.
 */
export type CacheBehavior = "default" | "recompute" | "disable" | "ignore";

const BEHAVIORS: readonly CacheBehavior[] = ["default", "recompute", "disable", "ignore"];

/** Options of `Builder.withCache`. */
export interface CacheOptions {
  /** The directory of the default file store; default `.hamilton-ts/.cache` (see `DEFAULT_CACHE_DIR`). */
  readonly dir?: string;
  /** A store of your own instead of the file store (`dir` must then be absent). */
  readonly store?: CacheStore;
  /** The behaviour of every node without one of its own; default `default`. */
  readonly behavior?: CacheBehavior;
  /**
   * Behaviours by node name. They win over the `cache({ behavior }, fn)` modifier, so a run can
   * recompute a node without a code change.
   */
  readonly nodes?: Readonly<Record<string, CacheBehavior>>;
  /** Where the cache's warnings go; default `console.warn`. Each distinct warning once per driver, a store's failure once per run. */
  readonly onWarning?: (message: string) => void;
  /**
   * Entries are kept at most this long after they were written (milliseconds): an older entry is
   * a miss, and after each run the entries older than this are deleted from the store.
   */
  readonly maxAgeMs?: number;
  /**
   * The store's size budget in bytes: after each run (and after expiry), while the entries add up
   * to more, the least recently used (read by a hit, or written) are deleted.
   */
  readonly maxBytes?: number;
}

/** One node run's cache decision: one per node (and fan-out item) of a run, in the order the nodes were decided. */
export interface CacheLogEntry {
  /** The node's name. */
  readonly node: string;
  /** The fan-out item (`urls[3]`), for a per-item node; else undefined. */
  readonly taskId: string | undefined;
  /** What the cache did. */
  readonly outcome: CacheOutcome;
  /** The node's cache key (64 hex digits), or undefined when it could not be keyed. */
  readonly key: string | undefined;
  /** For a `hit`: the run that stored the result it replayed (undefined for entries from before runs were kept). */
  readonly fromRun: string | undefined;
  /** For a `miss`: why (see `CacheMissReason`). */
  readonly missReason: CacheMissReason | undefined;
  /** The node's cache behaviour in this run (`ignore` reads as outcome `disabled`). */
  readonly behavior: CacheBehavior;
  /** The node's code version (`NodeInfo.version`). */
  readonly codeVersion: string;
  /**
   * The data version (fingerprint) of the node's value: a hit's from its entry, a computed one's
   * once the node finished; undefined when the value cannot be fingerprinted, the node failed, or
   * its behaviour is `disable`/`ignore`.
   */
  readonly dataVersion: string | undefined;
}

/** What the cache did, one step of {@link CacheInspector.logs}. */
export type CacheEventKind =
  /** A decision: the node run's outcome (`hit`, `miss`, `recompute`, `disabled`). */
  | CacheOutcome
  /** A computed result was written to the store. */
  | "stored"
  /** A computed result was not written (`detail` says why: it cannot be fingerprinted or serialized, a codec threw). */
  | "not-stored"
  /** The store failed (`detail`: the error); the rest of the run goes on without the cache. */
  | "store-failed"
  /** After the run, an entry was deleted by `maxAgeMs` or `maxBytes` (`detail` says which). */
  | "evicted";

/** One step of a run's cache log. */
export interface CacheEvent {
  /** What happened. */
  readonly event: CacheEventKind;
  /** The node, when the step is about one. */
  readonly node: string | undefined;
  /** The fan-out item, for a per-item node. */
  readonly taskId: string | undefined;
  /** The key concerned, when there is one. */
  readonly key: string | undefined;
  /** More: a miss's reason kind, why a result was not stored, the store's error, why an entry was evicted. */
  readonly detail: string | undefined;
}

/** What {@link CacheInspector.explain} says about a node run. */
export interface CacheExplanation {
  /** What the cache did. */
  readonly outcome: CacheOutcome;
  /** The node's cache key, or undefined when it could not be keyed. */
  readonly key: string | undefined;
  /** For a `hit`: the run that stored the result it replayed. */
  readonly fromRun?: string | undefined;
  /** For a `miss`: why. */
  readonly missReason?: CacheMissReason | undefined;
  /** The run this explanation is about: the driver's last run, or the run that last stored a result for the node. */
  readonly runId: string;
}

/** What {@link CacheInspector.delete} removes: entries of `node`, entries older than `olderThanMs`, or both at once. */
export interface CacheDeleteOptions {
  /** Only this node's entries (its results and its last-entry records, fan-out items included). */
  readonly node?: string;
  /** Only entries written more than this many milliseconds ago. */
  readonly olderThanMs?: number;
}

/**
 * What `driver.cache` offers: what the cache did in this driver's runs, why a node missed, and the
 * store's maintenance. Methods that reach the store return what the store returns: a value with a
 * synchronous store (`FileCacheStore`), a promise with an asynchronous one — `await` them.
 */
export interface CacheInspector {
  /** The store results are kept in. */
  readonly store: CacheStore;
  /** Every node run of the execute that settled last, in the order the nodes were decided. */
  readonly lastRun: readonly CacheLogEntry[];
  /**
   * The ids of the runs this driver executed with the cache, oldest first: the last 100, fewer
   * when they hold over 100,000 node runs in all (the last run is always kept).
   */
  readonly runs: readonly string[];
  /**
   * Per node run (fan-out items each on their own) of run `runId` (default: the last): key,
   * outcome, miss reason, code and data versions, the run a hit's value came from. Throws
   * `INVALID_ARGUMENT` for a run id this driver does not know, listing the ones it does.
   */
  view(runId?: string): readonly CacheLogEntry[];
  /** The cache's steps in run `runId` (default: the last), in order: decisions, writes, store failures, evictions. */
  logs(runId?: string): readonly CacheEvent[];
  /**
   * What the cache did for `node` (and fan-out item `taskId`, e.g. `"urls[3]"`) and why: from the
   * last execute of this driver that ran it; else from the store, about the run (of any driver or
   * process) that last stored a result for it. Undefined when neither knows the node run. Throws
   * `INVALID_ARGUMENT` for a name that is not a node of the graph.
   */
  explain(node: string, taskId?: string): MaybePromise<CacheExplanation | undefined>;
  /** Deletes the entries matching `options` (all of them when it is empty); resolves with how many. */
  delete(options?: CacheDeleteOptions): MaybePromise<number>;
  /** Removes every entry from the store. */
  clear(): MaybePromise<void>;
}

/** Checks and completes `withCache` options; throws `INVALID_ARGUMENT` on bad ones. */
export function checkCacheOptions(options: unknown): CacheOptions {
  const where = "Builder.withCache(options)";
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: options must be an object such as { dir: ".cache" }, got ${describe(options)}.`,
    );
  }
  const o = options as Record<string, unknown>;
  const known = ["dir", "store", "behavior", "nodes", "onWarning", "maxAgeMs", "maxBytes"];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: unknown option ${unknown.map((u) => `"${u}"`).join(", ")}; the options are ${known.join(", ")}.`,
    );
  }
  if (o.dir !== undefined && (typeof o.dir !== "string" || o.dir.length === 0))
    throw new HamiltonError("INVALID_ARGUMENT", `${where}: dir must be a non-empty path, got ${describe(o.dir)}.`);
  if (o.store !== undefined) {
    const s = o.store as Record<string, unknown> | null;
    const methods = ["get", "set", "delete", "clear", "entries"];
    if (s === null || typeof s !== "object" || methods.some((m) => typeof s[m] !== "function"))
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: store must implement get(key), set(key, data, info), delete(key), clear() and entries() (see CacheStore), got ${describeStore(s)}.`,
      );
    if (o.dir !== undefined)
      throw new HamiltonError("INVALID_ARGUMENT", `${where}: give dir or store, not both (dir is the file store's).`);
  }
  if (o.behavior !== undefined) checkBehavior(o.behavior, `${where}: behavior`);
  if (o.nodes !== undefined) {
    if (o.nodes === null || typeof o.nodes !== "object" || Array.isArray(o.nodes))
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: nodes must map node names to behaviours, e.g. { answer: "recompute" }, got ${describe(o.nodes)}.`,
      );
    for (const [name, b] of Object.entries(o.nodes)) checkBehavior(b, `${where}: nodes["${name}"]`);
  }
  if (o.onWarning !== undefined && typeof o.onWarning !== "function")
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: onWarning must be a function, got ${describe(o.onWarning)}.`,
    );
  for (const name of ["maxAgeMs", "maxBytes"] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0) || v === Number.POSITIVE_INFINITY))
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: ${name} must be a finite number of ${name === "maxAgeMs" ? "milliseconds" : "bytes"} (0 or more), got ${typeof v === "number" ? v : describe(v)}. Leave it out for no limit.`,
      );
  }
  return o as CacheOptions;
}

/** Checks a behaviour name. */
export function checkBehavior(value: unknown, where: string): asserts value is CacheBehavior {
  if (!BEHAVIORS.includes(value as CacheBehavior)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where} must be one of ${BEHAVIORS.map((b) => `"${b}"`).join(", ")}, got ${describe(value)}.`,
    );
  }
}

function describeStore(s: Record<string, unknown> | null): string {
  if (s === null || typeof s !== "object") return describe(s);
  const missing = ["get", "set", "delete", "clear", "entries"].filter((m) => typeof s[m] !== "function");
  return `an object without ${missing.join(", ")}`;
}

/** A short description of a bad option value. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
