/**
 * Caching node results (Hamilton's `with_cache()`): the behaviours, the driver's cache (store,
 * code versions, warnings, the last run's log) and one run's cache state (data versions by slot,
 * keys, outcomes).
 *
 * A node's key is a SHA-256 of its name, its code version (its source, the values bound to it by
 * `inject`/`parameterize`/`value`/`subdag`, and the config) and the data version of each
 * dependency (a {@link fingerprint} of its value). Data versions travel with the values: a hit
 * reads its value's version from the entry, so a run that hits everywhere fingerprints only its
 * inputs.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { CacheOutcome } from "@hamilton-ts/lifecycle";
import { decodeEntry, encodeEntry } from "./cache-entry.js";
import { readsRunIdentity } from "./cache-run-identity.js";
import { type CacheStore, FileCacheStore } from "./cache-store.js";
import { HamiltonError } from "./errors.js";
import { fingerprint, fingerprintForStore, isFingerprint } from "./fingerprint.js";
import type { Graph, GraphNode } from "./graph.js";
import { PER_ITEM, type Plan } from "./plan.js";

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
}

/** What `driver.cache` offers: the last run's keys and outcomes, and the store. */
export interface CacheInspector {
  /** The store results are kept in. */
  readonly store: CacheStore;
  /** Every node run of the execute that settled last, in the order the nodes ran. */
  readonly lastRun: readonly CacheLogEntry[];
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

/** Data version markers: values that are not fingerprints. */
/** The value could not be fingerprinted: dependents cannot be keyed (and are warned about). */
const UNVERSIONED = "!unversioned";
/** The node's behaviour is `disable`: dependents cannot be keyed. */
const DISABLED = "!disabled";
/** The node's behaviour is `ignore`: dependents leave it out of their keys. */
const IGNORED = "!ignored";
/** A dependency the node declared optional and the run does not have. */
const ABSENT = "!absent";

function isVersion(v: string | undefined): v is string {
  return v !== undefined && v.charCodeAt(0) !== 33; // "!"
}

/** The cache of one driver: the store, each node's behaviour and code version, warnings given. */
export class DriverCache implements CacheInspector {
  readonly store: CacheStore;
  lastRun: readonly CacheLogEntry[] = [];
  readonly #graph: Graph;
  readonly #options: CacheOptions;
  readonly #warned = new Set<string>();
  readonly #warn: (message: string) => void;
  /** The code version of each node, by graph index; computed on first use. */
  readonly #codeVersions: (string | undefined)[] = [];
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
    if (config === undefined) version = UNVERSIONED;
    else if (!isFingerprint(bound)) {
      this.warnOnce(
        `hamilton-ts cache: node "${node.name}" has a bound value that cannot be fingerprinted (${bound.reason}), so it is never cached.`,
      );
      version = UNVERSIONED;
    } else version = sha(`${node.info.source}\0${bound}\0${config}`);
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
  lookup(key: string): { value: unknown; warnings: readonly string[]; version: string } | undefined {
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

  /** Stores an entry; a store that fails is reported once per driver and the run goes on. */
  save(key: string, value: unknown, warnings: readonly string[], version: string): void {
    if (this.#storeBroken) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeEntry({ value, warnings, version });
    } catch {
      return;
    }
    try {
      this.store.set(key, bytes);
    } catch (error) {
      this.#storeBroken = true;
      this.warnOnce(
        `hamilton-ts cache: cannot write to the cache store (${error instanceof Error ? error.message : String(error)}); ` +
          `this driver runs uncached from now on. Check the directory's permissions, or pass withCache({ dir }).`,
      );
    }
  }

  get storeBroken(): boolean {
    return this.#storeBroken;
  }
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** What the cache decided for one node run. */
export interface CacheDecision {
  readonly outcome: CacheOutcome;
  /** The key, when the node could be keyed. */
  readonly key: string | undefined;
  /** The entry, on a hit. */
  readonly hit: { readonly value: unknown; readonly warnings: readonly string[] } | undefined;
  /** Store the result under {@link key} after the node ran. */
  readonly store: boolean;
}

/** One run's cache state: the data version of each slot's value, and the log of outcomes. */
export class RunCache {
  readonly driver: DriverCache;
  readonly #plan: Plan;
  readonly #versions: (string | undefined)[];
  readonly log: CacheLogEntry[];
  readonly #taskId: string | undefined;

  constructor(
    driver: DriverCache,
    plan: Plan,
    taskId: string | undefined,
    log: CacheLogEntry[],
    given: ReadonlyMap<string, string | undefined> | undefined,
  ) {
    this.driver = driver;
    this.#plan = plan;
    this.#taskId = taskId;
    this.log = log;
    this.#versions = new Array(plan.slotNode.length);
    this.#givenVersions = given;
  }

  readonly #givenVersions: ReadonlyMap<string, string | undefined> | undefined;

  /** Versions the given values (inputs, overrides, config, a fan-out's item and outer values). */
  versionGiven(slot: number, name: string, value: unknown, override: boolean): void {
    if (!override && this.driver.isConfig(name)) this.#configSlots.add(slot);
    const known = this.#givenVersions?.get(name);
    if (known !== undefined) {
      this.#versions[slot] = known;
      return;
    }
    const f = fingerprint(value);
    if (isFingerprint(f)) this.#versions[slot] = f;
    else {
      this.#versions[slot] = UNVERSIONED;
      this.#unversionedReason.set(slot, f.reason);
    }
  }

  readonly #unversionedReason = new Map<number, string>();
  readonly #configSlots = new Set<number>();

  /** The data version of a slot (for a fan-out's item runs: computed once per run). */
  versionOf(slot: number): string | undefined {
    return this.#versions[slot];
  }

  /** Decides what the cache does for a node about to run with `kwargs`. */
  decide(slot: number, node: GraphNode): CacheDecision {
    const driver = this.driver;
    if (node.kind === "expand") return this.#logged(node, "recompute", undefined, undefined, false);
    const behavior = driver.behaviorOf(node);
    if (behavior === "disable" || behavior === "ignore") {
      this.#versions[slot] = behavior === "disable" ? DISABLED : IGNORED;
      return this.#logged(node, "disabled", undefined, undefined, false);
    }
    if (driver.isRunDependent(node)) return this.#runDependent(node);
    const key = this.#key(slot, node, undefined);
    if (key === undefined || driver.storeBroken) return this.#logged(node, "miss", key, undefined, false);
    if (behavior === "recompute") return this.#logged(node, "recompute", key, undefined, true);
    const entry = driver.lookup(key);
    if (entry === undefined) return this.#logged(node, "miss", key, undefined, true);
    this.#versions[slot] = entry.version;
    return this.#logged(node, "hit", key, entry, false);
  }

  /** Decides for a collect node, whose per-item dependencies arrive as arrays in `kwargs`. */
  decideCollect(slot: number, node: GraphNode, kwargs: Record<string, unknown>): CacheDecision {
    const behavior = this.driver.behaviorOf(node);
    if (behavior === "disable" || behavior === "ignore") {
      this.#versions[slot] = behavior === "disable" ? DISABLED : IGNORED;
      return this.#logged(node, "disabled", undefined, undefined, false);
    }
    if (this.driver.isRunDependent(node)) return this.#runDependent(node);
    const key = this.#key(slot, node, kwargs);
    if (key === undefined || this.driver.storeBroken) return this.#logged(node, "miss", key, undefined, false);
    if (behavior === "recompute") return this.#logged(node, "recompute", key, undefined, true);
    const entry = this.driver.lookup(key);
    if (entry === undefined) return this.#logged(node, "miss", key, undefined, true);
    this.#versions[slot] = entry.version;
    return this.#logged(node, "hit", key, entry, false);
  }

  /**
   * A node that reads its run's identity runs every time and is not stored (its result belongs to
   * its run). It has no key, so a value that cannot be fingerprinted is not versioned by one: its
   * dependents are keyed by its value's fingerprint, and miss when the value changed.
   */
  #runDependent(node: GraphNode): CacheDecision {
    return this.#logged(node, "recompute", undefined, undefined, false);
  }

  #logged(
    node: GraphNode,
    outcome: CacheOutcome,
    key: string | undefined,
    hit: CacheDecision["hit"],
    store: boolean,
  ): CacheDecision {
    this.log.push({ node: node.name, taskId: this.#taskId, outcome, key });
    return { outcome, key, hit, store };
  }

  #key(slot: number, node: GraphNode, kwargs: Record<string, unknown> | undefined): string | undefined {
    const code = this.driver.codeVersion(node);
    if (code === undefined) return undefined;
    const { start, items } = this.#plan.argSlots;
    const first = start[slot]!;
    const count = start[slot + 1]! - first;
    const names = node.depNames;
    let text = `${node.name}\0${code}`;
    for (let k = 0; k < count; k++) {
      const a = items[first + k]!;
      let version: string | undefined;
      if (a >= 0) version = this.#versions[a];
      else if (a === PER_ITEM) {
        const f = fingerprint(kwargs?.[names[k]!]);
        version = isFingerprint(f) ? f : UNVERSIONED;
      } else version = ABSENT;
      if (version === IGNORED) continue;
      if (version === DISABLED) return undefined;
      if (version === undefined || version === UNVERSIONED) {
        const from = a >= 0 ? this.#plan.slotNode[a]!.name : names[k]!;
        const reason = a >= 0 ? this.#unversionedReason.get(a) : undefined;
        this.driver.warnOnce(
          `hamilton-ts cache: node "${node.name}" is not cached because the value of "${from}" cannot be fingerprinted` +
            `${reason === undefined ? "" : ` (${reason})`}. If that value does not change the result, mark "${from}" ` +
            `with cache({ behavior: "ignore" }, fn) or withCache({ nodes: { ${JSON.stringify(from)}: "ignore" } }).`,
        );
        return undefined;
      }
      text += `\0${names[k]}=${version}`;
    }
    return sha(text);
  }

  /**
   * After the node function returned `value` (on a miss or recompute): versions the value for
   * dependents and stores it when the decision says so. A value that cannot be fingerprinted is
   * never stored (`v8.serialize` would flatten it): a node with no dependencies but config
   * (a client) is then versioned by its key, anything else makes its dependents miss.
   */
  completed(slot: number, node: GraphNode, decision: CacheDecision, value: unknown, warnings: readonly string[]): void {
    try {
      this.#completed(slot, node, decision, value, warnings);
    } catch {
      // The cache's own failure never fails the node: dependents cannot be keyed, that is all.
      this.#versions[slot] = UNVERSIONED;
    }
  }

  #completed(
    slot: number,
    node: GraphNode,
    decision: CacheDecision,
    value: unknown,
    warnings: readonly string[],
  ): void {
    if (node.kind === "expand") {
      const f = fingerprint(value);
      this.#versions[slot] = isFingerprint(f) ? f : UNVERSIONED;
      return;
    }
    if (decision.outcome === "disabled") return;
    const { version: f, nullPrototypeAt } = fingerprintForStore(value);
    if (isFingerprint(f)) {
      this.#versions[slot] = f;
      if (!decision.store || decision.key === undefined) return;
      if (nullPrototypeAt === undefined) this.driver.save(decision.key, value, warnings, f);
      else
        this.driver.warnOnce(
          `hamilton-ts cache: node "${node.name}" returned a null-prototype object${nullPrototypeAt === "" ? "" : ` at ${nullPrototypeAt}`}, ` +
            `which the store would give Object.prototype, so it is not stored and runs every time. ` +
            `Return a plain object ({ ...value }) or a Map to cache it.`,
        );
      return;
    }
    if (decision.key !== undefined && this.#onlyConfigDeps(slot)) {
      this.#versions[slot] = `k${decision.key}`;
      return;
    }
    this.#versions[slot] = UNVERSIONED;
    this.#unversionedReason.set(slot, f.reason);
    if (decision.store)
      this.driver.warnOnce(
        `hamilton-ts cache: node "${node.name}" returned a value that cannot be stored (${f.reason}), so it runs every time.`,
      );
  }

  #onlyConfigDeps(slot: number): boolean {
    const { start, items } = this.#plan.argSlots;
    for (let i = start[slot]!, end = start[slot + 1]!; i < end; i++) {
      const a = items[i]!;
      if (a < 0) continue;
      if (!this.#configSlots.has(a)) return false;
    }
    return true;
  }
}
