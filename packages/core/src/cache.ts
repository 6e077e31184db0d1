/**
 * Caching node results (Hamilton's `with_cache()`): the behaviours, the driver's cache (store,
 * code versions, warnings, the last run's log, `explain`) and one run's cache state (data versions
 * by slot, keys, outcomes, why a miss missed).
 *
 * A node's key is a SHA-256 of its name, its code version (its `NodeInfo.version`, the values
 * bound to it by `inject`/`parameterize`/`value`/`subdag`, and the config) and the data version of
 * each dependency (a {@link fingerprint} of its value). Data versions travel with the values: a hit
 * reads its value's version from the entry, so a run that hits everywhere fingerprints only its
 * inputs. An entry keeps the run that stored it (a hit's `fromRun`); a miss is explained against
 * the node's last-entry record (`cache-last.ts`), read only on a miss.
 *
 * @module
 */
import type { CacheMissReason, CacheOutcome } from "@hamilton-ts/lifecycle";
import { type CacheEntry, decodeEntry, encodeEntry } from "./cache-entry.js";
import { decodeLastEntry, encodeLastEntry, type LastEntry, lastEntryKey } from "./cache-last.js";
import { readsRunIdentity } from "./cache-run-identity.js";
import { type CacheStore, FileCacheStore } from "./cache-store.js";
import { HamiltonError } from "./errors.js";
import { fingerprint, isFingerprint } from "./fingerprint.js";
import type { Graph, GraphNode } from "./graph.js";
import { isVersion, sha, UNVERSIONED } from "./cache-versions.js";

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
  /** Where the cache's warnings go; default `console.warn`. Each distinct warning once per driver. */
  readonly onWarning?: (message: string) => void;
}

/** One node run of the last execute, as {@link DriverCache.lastRun} lists it. */
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

/** What `driver.cache` offers: the last run's keys and outcomes, why a node missed, and the store. */
export interface CacheInspector {
  /** The store results are kept in. */
  readonly store: CacheStore;
  /** Every node run of the execute that settled last, in the order the nodes ran. */
  readonly lastRun: readonly CacheLogEntry[];
  /**
   * What the cache did for `node` (and fan-out item `taskId`, e.g. `"urls[3]"`) and why: from the
   * last execute of this driver that ran it; else from the store, about the run (of any driver or
   * process) that last stored a result for it. Undefined when neither knows the node run. Throws
   * `INVALID_ARGUMENT` for a name that is not a node of the graph.
   */
  explain(node: string, taskId?: string): CacheExplanation | undefined;
  /** Removes every entry from the store. */
  clear(): void;
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
  const known = ["dir", "store", "behavior", "nodes", "onWarning"];
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
    if (
      s === null ||
      typeof s !== "object" ||
      typeof s.get !== "function" ||
      typeof s.set !== "function" ||
      typeof s.clear !== "function"
    )
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: store must implement get(key), set(key, data) and clear() (see CacheStore), got ${describe(o.store)}.`,
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

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** The cache of one driver: the store, each node's behaviour and code version, warnings given. */
export class DriverCache implements CacheInspector {
  readonly store: CacheStore;
  lastRun: readonly CacheLogEntry[] = [];
  /** The run id of {@link lastRun}. */
  lastRunId: string | undefined = undefined;

  /** Keeps the log of the execute that settled last. */
  ranLast(runId: string, log: readonly CacheLogEntry[]): void {
    this.lastRun = log;
    this.lastRunId = runId;
  }
  readonly #graph: Graph;
  readonly #options: CacheOptions;
  readonly #warned = new Set<string>();
  readonly #warn: (message: string) => void;
  /** The code version of each node, by graph index; computed on first use. */
  readonly #codeVersions: (string | undefined)[] = [];
  /** The fingerprint of each node's bound values, by graph index (with {@link #codeVersions}). */
  readonly #boundVersions: string[] = [];
  /** Why a node has no code version, by graph index (with {@link #codeVersions}). */
  readonly #unversionedCode: string[] = [];
  /** Whether each node reads `ctx.runId`/`ctx.taskId`, by graph index; computed on first use. */
  readonly #runDependent: (boolean | undefined)[] = [];
  #configVersion: string | undefined;
  readonly #configNames: ReadonlySet<string>;
  #storeBroken = false;

  constructor(graph: Graph, options: CacheOptions) {
    this.#graph = graph;
    this.#options = options;
    this.store = options.store ?? new FileCacheStore(options.dir);
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    this.#configNames = new Set(Object.keys(graph.config));
  }

  clear(): void {
    this.store.clear();
  }

  explain(node: string, taskId?: string): CacheExplanation | undefined {
    if (!this.#graph.byName.has(node)) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `driver.cache.explain("${node}"): the graph has no node "${node}". Pass the name of one of its nodes.`,
      );
    }
    const log = this.lastRun;
    for (let i = log.length - 1; i >= 0; i--) {
      const e = log[i]!;
      if (e.node === node && e.taskId === taskId)
        return { outcome: e.outcome, key: e.key, fromRun: e.fromRun, missReason: e.missReason, runId: this.lastRunId! };
    }
    const last = this.readLast(node, taskId);
    if (last === undefined) return undefined;
    return { outcome: last.outcome, key: last.key, fromRun: undefined, missReason: last.missReason, runId: last.run };
  }

  /** The last-entry record of a node (and task), or undefined (none, unreadable, or a store that throws). */
  readLast(node: string, taskId: string | undefined): LastEntry | undefined {
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.store.get(lastEntryKey(node, taskId));
    } catch {
      return undefined;
    }
    return bytes === undefined ? undefined : decodeLastEntry(bytes);
  }

  /** Writes the last-entry record of a node (and task); a failure only costs the next miss its reason. */
  writeLast(node: string, taskId: string | undefined, entry: LastEntry): void {
    if (this.#storeBroken) return;
    try {
      this.store.set(lastEntryKey(node, taskId), encodeLastEntry(entry));
    } catch {
      // The entry itself was written; a miss without its reason reads "new".
    }
  }

  /** Why the node has no code version (after {@link codeVersion} returned undefined). */
  unversionedCode(node: GraphNode): string {
    return this.#unversionedCode[node.index] ?? "its code version cannot be made";
  }

  /** The bound-values fingerprint of a node that has a code version. */
  boundVersion(node: GraphNode): string {
    return this.#boundVersions[node.index] ?? "";
  }

  /** The config's fingerprint, once a node has a code version. */
  get configVersion(): string {
    return this.#configVersion ?? "";
  }

  /** Reports `message` once per driver. */
  warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    try {
      this.#warn(message);
    } catch {
      // A warning callback's failure is not the run's.
    }
  }

  behaviorOf(node: GraphNode): CacheBehavior {
    return this.#options.nodes?.[node.name] ?? node.cacheBehavior ?? this.#options.behavior ?? "default";
  }

  /**
   * True when the node's code reads its run's identity (`ctx.runId`, `ctx.taskId`): its result
   * belongs to one run, so it is never served from the cache (see `readsRunIdentity`).
   */
  isRunDependent(node: GraphNode): boolean {
    if (!node.usesContext) return false;
    let known = this.#runDependent[node.index];
    if (known === undefined) {
      known = readsRunIdentity(node.compiledSource);
      this.#runDependent[node.index] = known;
    }
    return known;
  }

  isConfig(name: string): boolean {
    return this.#configNames.has(name);
  }

  /** The node's code version: source, bound values and config; `undefined` when they cannot be fingerprinted. */
  codeVersion(node: GraphNode): string | undefined {
    const known = this.#codeVersions[node.index];
    if (known !== undefined) return isVersion(known) ? known : undefined;
    const config = this.#config();
    const bound = node.codeInputs === undefined ? "" : fingerprint(node.codeInputs);
    let version: string;
    if (config === undefined) {
      version = UNVERSIONED;
      this.#unversionedCode[node.index] = "the config cannot be fingerprinted";
    } else if (!isFingerprint(bound)) {
      this.warnOnce(
        `hamilton-ts cache: node "${node.name}" has a bound value that cannot be fingerprinted (${bound.reason}), so it is never cached.`,
      );
      version = UNVERSIONED;
      this.#unversionedCode[node.index] = `a bound value cannot be fingerprinted (${bound.reason})`;
    } else {
      version = sha(`${node.info.version}\0${bound}\0${config}`);
      this.#boundVersions[node.index] = bound;
    }
    this.#codeVersions[node.index] = version;
    return isVersion(version) ? version : undefined;
  }

  #config(): string | undefined {
    if (this.#configVersion === undefined) {
      const f = fingerprint(this.#graph.config);
      if (isFingerprint(f)) this.#configVersion = f;
      else {
        this.#configVersion = UNVERSIONED;
        this.warnOnce(
          `hamilton-ts cache: the config cannot be fingerprinted (${f.reason}), so no node is cached. Pass such values as inputs instead.`,
        );
      }
    }
    return isVersion(this.#configVersion) ? this.#configVersion : undefined;
  }

  /** The entry under `key`, or undefined (a store that throws or holds something unreadable is a miss). */
  lookup(key: string): CacheEntry | undefined {
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.store.get(key);
    } catch {
      return undefined;
    }
    if (bytes === undefined) return undefined;
    const entry = decodeEntry(bytes);
    if (entry === undefined) return undefined;
    return entry;
  }

  /**
   * Stores an entry; a store that fails is reported once per driver and the run goes on. Returns
   * true when stored, else why not (`undefined` when the store failed).
   */
  save(
    key: string,
    value: unknown,
    warnings: readonly string[],
    version: string,
    run: string,
  ): true | string | undefined {
    if (this.#storeBroken) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = encodeEntry({ value, warnings, version, run });
    } catch (error) {
      return `it cannot be serialized: ${error instanceof Error ? error.message : String(error)}`;
    }
    try {
      this.store.set(key, bytes);
      return true;
    } catch (error) {
      this.#storeBroken = true;
      this.warnOnce(
        `hamilton-ts cache: cannot write to the cache store (${error instanceof Error ? error.message : String(error)}); ` +
          `this driver runs uncached from now on. Check the directory's permissions, or pass withCache({ dir }).`,
      );
      return undefined;
    }
  }

  get storeBroken(): boolean {
    return this.#storeBroken;
  }
}

export { type CacheDecision, RunCache } from "./cache-run.js";
