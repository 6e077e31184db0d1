/**
 * Caching node results (Hamilton's `with_cache()`): the driver's cache (store, code versions,
 * warnings, each execute's state and the history of runs, inspection and maintenance); one run's
 * cache state (data versions by slot, keys, outcomes, why a miss missed) is `cache-run.ts`.
 *
 * A node's key is a SHA-256 of its name, its code version (its `NodeInfo.version`, the values
 * bound to it by `inject`/`parameterize`/`value`/`subdag`, and the config) and the data version of
 * each dependency (a {@link fingerprint} of its value). Data versions travel with the values: a hit
 * reads its value's version from the entry, so a run that hits everywhere fingerprints only its
 * inputs. An entry keeps the run that stored it (a hit's `fromRun`); a miss is explained against
 * the node's last-entry record (`cache-last.ts`), read only on a miss.
 *
 * The store may answer synchronously or with promises: every path here returns a value when the
 * store did, so a synchronous store keeps a synchronous node's hit synchronous.
 *
 * @module
 */
import { isThenable } from "@hamilton-ts/lifecycle/internal";
import { type CacheEntry, decodeEntry, encodeEntry } from "./cache-entry.js";
import { CacheExecution, type CacheRecord, eventsOf } from "./cache-execution.js";
import { decodeLastEntry, encodeLastEntry, type LastEntry, lastEntryKey } from "./cache-last.js";
import { andThen, deleteMatching, evict } from "./cache-maintenance.js";
import type {
  CacheBehavior,
  CacheDeleteOptions,
  CacheEvent,
  CacheExplanation,
  CacheInspector,
  CacheLogEntry,
  CacheOptions,
} from "./cache-options.js";
import { readsRunIdentity } from "./cache-run-identity.js";
import { type CacheStore, FileCacheStore, type MaybePromise } from "./cache-store.js";
import { isVersion, sha, UNVERSIONED } from "./cache-versions.js";
import { CodecFailure } from "./codecs.js";
import { HamiltonError } from "./errors.js";
import { type CacheColouring, type CacheLook, cacheLook } from "./visualize.js";
import { fingerprint, isFingerprint } from "./fingerprint.js";
import type { Graph, GraphNode } from "./graph.js";

/** How many runs' logs a driver keeps for `view` and `logs` (oldest dropped first). */
export const CACHE_HISTORY = 100;
/**
 * How many node runs' records a driver keeps in all: past it the oldest runs are dropped (the last
 * run is always kept), so a large pipeline run many times does not hold millions of records.
 * Internal and mutable only so that a test can lower it.
 */
export const cacheHistoryLimit = { nodeRuns: 100_000 };

/** A finished run's cache log, kept for `view` and `logs`. */
interface RunHistory {
  readonly runId: string;
  readonly log: readonly CacheLogEntry[];
  /** The log's steps; made into events when first read. */
  steps: readonly (CacheRecord | CacheEvent)[];
  events: readonly CacheEvent[] | undefined;
}

const NO_LOG: readonly CacheLogEntry[] = Object.freeze([]);

/** The cache of one driver: the store, each node's behaviour and code version, warnings given. */
export class DriverCache implements CacheInspector {
  readonly store: CacheStore;
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
  /** The executes under way, by run id. */
  readonly #executions = new Map<string, CacheExecution>();
  /** The finished runs, oldest first (at most {@link CACHE_HISTORY}). */
  readonly #history: RunHistory[] = [];
  /** The node runs' records in {@link #history}. */
  #kept = 0;
  readonly #storeName: string;
  /** The store's error in the last finished run, if it failed there (a miss then says so rather than "new"). */
  lastFailure: string | undefined = undefined;

  constructor(graph: Graph, options: CacheOptions) {
    this.#graph = graph;
    this.#options = options;
    this.store = options.store ?? new FileCacheStore(options.dir);
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    this.#configNames = new Set(Object.keys(graph.config));
    this.#storeName = storeName(this.store);
  }

  get lastRun(): readonly CacheLogEntry[] {
    return this.#history[this.#history.length - 1]?.log ?? NO_LOG;
  }

  /** The run id of {@link lastRun}. */
  get lastRunId(): string | undefined {
    return this.#history[this.#history.length - 1]?.runId;
  }

  get runs(): readonly string[] {
    return this.#history.map((h) => h.runId);
  }

  view(runId?: string): readonly CacheLogEntry[] {
    return this.#run(runId, `driver.cache.view(${runId === undefined ? "" : JSON.stringify(runId)})`).log;
  }

  logs(runId?: string): readonly CacheEvent[] {
    const run = this.#run(runId, `driver.cache.logs(${runId === undefined ? "" : JSON.stringify(runId)})`);
    run.events ??= eventsOf(run.steps);
    return run.events;
  }

  /** The outcome of each node in run `runId`, to colour the graph by. */
  colouring(runId: string): CacheColouring {
    const byNode = new Map<string, CacheLogEntry[]>();
    for (const e of this.#run(runId, `visualize({ cache: ${JSON.stringify(runId)} })`).log) {
      let runs = byNode.get(e.node);
      if (runs === undefined) byNode.set(e.node, (runs = []));
      runs.push(e);
    }
    const outcomes = new Map<string, CacheLook>();
    for (const [node, runs] of byNode) {
      const look = cacheLook(runs);
      if (look !== undefined) outcomes.set(node, look);
    }
    return { runId, outcomes };
  }

  /** The history of run `runId` (default the last); `call` names the call in the error for an unknown one. */
  #run(runId: string | undefined, call: string): RunHistory {
    const history = this.#history;
    if (runId === undefined) {
      const last = history[history.length - 1];
      if (last === undefined)
        throw new HamiltonError(
          "INVALID_ARGUMENT",
          `${call}: this driver has not finished a run with the cache yet. Call it after an execute settled.`,
        );
      return last;
    }
    for (let i = history.length - 1; i >= 0; i--) if (history[i]!.runId === runId) return history[i]!;
    const known = history.length === 0 ? "none yet" : history.map((h) => `"${h.runId}"`).join(", ");
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${call}: this driver has no cache log of run ${JSON.stringify(runId)}. ` +
        `It keeps its last ${CACHE_HISTORY} runs, fewer when they hold over ${cacheHistoryLimit.nodeRuns} node runs (driver.cache.runs): ${known}.`,
    );
  }

  /** Starts an execute's cache state. */
  begin(runId: string): CacheExecution {
    const execution = new CacheExecution(runId, []);
    this.#executions.set(runId, execution);
    return execution;
  }

  /** The cache state of execute `runId` (made on first use, for a run this driver did not begin). */
  execution(runId: string, log: CacheLogEntry[]): CacheExecution {
    let execution = this.#executions.get(runId);
    if (execution === undefined) {
      execution = new CacheExecution(runId, log);
      this.#executions.set(runId, execution);
    }
    return execution;
  }

  /**
   * Ends execute `runId`: waits for the store's writes still in flight, evicts by `maxAgeMs` and
   * `maxBytes`, and keeps the run's log. Synchronous when everything was; never throws or rejects.
   */
  finish(runId: string): MaybePromise<void> {
    const execution = this.#executions.get(runId);
    if (execution === undefined) return;
    const done = (): void => {
      this.#executions.delete(runId);
      this.lastFailure = execution.failure;
      const history = this.#history;
      history.push({ runId, log: execution.log, steps: execution.steps, events: undefined });
      this.#kept += execution.log.length;
      while (history.length > 1 && (history.length > CACHE_HISTORY || this.#kept > cacheHistoryLimit.nodeRuns))
        this.#kept -= history.shift()!.log.length;
    };
    const settled = execution.settled();
    const after = (): MaybePromise<void> => {
      const evicted = this.#evict(execution);
      return isThenable(evicted) ? evicted.then(done) : done();
    };
    return settled === undefined ? after() : settled.then(after);
  }

  #evict(execution: CacheExecution): MaybePromise<void> {
    const { maxAgeMs, maxBytes } = this.#options;
    if ((maxAgeMs === undefined && maxBytes === undefined) || execution.failure !== undefined) return;
    const failed = (error: unknown): void => {
      this.warnOnce(
        `hamilton-ts cache: cannot evict old entries from the cache store (${this.#storeName}): ${message(error)}. ` +
          `The store may grow past maxBytes; check it is reachable and writable.`,
      );
    };
    try {
      const out = evict(this.store, { maxAgeMs, maxBytes }, Date.now(), (e, reason) =>
        execution.event("evicted", e.node, undefined, e.key, reason),
      );
      return isThenable(out) ? Promise.resolve(out).then(undefined, failed) : out;
    } catch (error) {
      failed(error);
    }
  }

  /** The store failed in execute `execution`: one warning for the run; the rest of the run goes on without the store. */
  failed(execution: CacheExecution, error: unknown): void {
    if (execution.failure !== undefined) return;
    const text = message(error);
    execution.failure = text;
    execution.event("store-failed", undefined, undefined, undefined, text);
    try {
      this.#warn(
        `hamilton-ts cache: the cache store (${this.#storeName}) failed in run ${execution.runId}: ${text}. ` +
          `The run goes on without the cache (its nodes compute, nothing more is stored); the next run tries the store again.`,
      );
    } catch {
      // A warning callback's failure is not the run's.
    }
  }

  clear(): MaybePromise<void> {
    return this.store.clear();
  }

  delete(options: CacheDeleteOptions = {}): MaybePromise<number> {
    const where = "driver.cache.delete(options)";
    if (options === null || typeof options !== "object")
      throw new HamiltonError("INVALID_ARGUMENT", `${where}: options must be an object such as { node: "answer" }.`);
    const { node, olderThanMs } = options;
    if (node !== undefined && !this.#graph.byName.has(node))
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: the graph has no node ${JSON.stringify(node)}. Pass the name of one of its nodes.`,
      );
    if (olderThanMs !== undefined && (typeof olderThanMs !== "number" || !(olderThanMs >= 0)))
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `${where}: olderThanMs must be a number of milliseconds (0 or more), got ${String(olderThanMs)}.`,
      );
    return deleteMatching(this.store, node, olderThanMs, Date.now());
  }

  explain(node: string, taskId?: string): MaybePromise<CacheExplanation | undefined> {
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
    return andThen(this.readLast(node, taskId, undefined), (last) =>
      last === undefined
        ? undefined
        : { outcome: last.outcome, key: last.key, fromRun: undefined, missReason: last.missReason, runId: last.run },
    );
  }

  /** The last-entry record of a node (and task), or undefined (none, unreadable, or a store that fails). */
  readLast(
    node: string,
    taskId: string | undefined,
    execution: CacheExecution | undefined,
  ): MaybePromise<LastEntry | undefined> {
    if (execution?.failure !== undefined) return undefined;
    const read = (bytes: Uint8Array | undefined): LastEntry | undefined =>
      bytes === undefined ? undefined : decodeLastEntry(bytes);
    const lost = (error: unknown): undefined => {
      if (execution !== undefined) this.failed(execution, error);
      return undefined;
    };
    try {
      const got = this.store.get(lastEntryKey(node, taskId));
      return isThenable(got) ? Promise.resolve(got).then(read, lost) : read(got);
    } catch (error) {
      return lost(error);
    }
  }

  /** Writes the last-entry record of a node (and task); a failure only costs the next miss its reason. */
  writeLast(node: string, taskId: string | undefined, entry: LastEntry, execution: CacheExecution): void {
    this.#write(lastEntryKey(node, taskId), encodeLastEntry(entry), node, execution);
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

  /**
   * The entry under `key`, or undefined: none, unreadable (corrupt, foreign, another format
   * version, a codec that cannot decode it), older than `maxAgeMs`, or a store that fails (then
   * the run goes on without the store).
   */
  lookup(key: string, execution: CacheExecution): MaybePromise<CacheEntry | undefined> {
    if (execution.failure !== undefined) return undefined;
    let got: MaybePromise<Uint8Array | undefined>;
    try {
      got = this.store.get(key);
    } catch (error) {
      this.failed(execution, error);
      return undefined;
    }
    if (!isThenable(got)) return got === undefined ? undefined : this.#read(got);
    return Promise.resolve(got).then(
      (bytes) => (bytes === undefined ? undefined : this.#read(bytes)),
      (error: unknown) => {
        this.failed(execution, error);
        return undefined;
      },
    );
  }

  #read(bytes: Uint8Array): CacheEntry | undefined {
    let entry: CacheEntry | undefined;
    try {
      entry = decodeEntry(bytes);
    } catch (error) {
      if (!(error instanceof CodecFailure)) throw error;
      this.warnOnce(`hamilton-ts cache: an entry cannot be read back, so it is a miss: ${error.message}.`);
      return undefined;
    }
    if (entry === undefined) return undefined;
    const maxAge = this.#options.maxAgeMs;
    if (maxAge !== undefined && entry.storedAt < Date.now() - maxAge) return undefined;
    return entry;
  }

  /**
   * Stores an entry (the write may still be in flight: `finish` waits for it). Returns true when
   * it was handed to the store, a reason when the value cannot be stored, undefined when the
   * store failed in this run.
   */
  save(
    key: string,
    value: unknown,
    warnings: readonly string[],
    version: string,
    node: string,
    execution: CacheExecution,
    codecs: boolean,
  ): true | string | undefined {
    if (execution.failure !== undefined) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = encodeEntry({ value, warnings, version, run: execution.runId, storedAt: Date.now() }, codecs);
    } catch (error) {
      if (error instanceof CodecFailure) {
        this.warnOnce(
          `hamilton-ts cache: node "${node}" is not stored: ${error.message}. The node's result is unaffected; fix the codec (registerCodec(${error.className}, …)) to cache it.`,
        );
        return error.message;
      }
      return `it cannot be serialized: ${message(error)}`;
    }
    return this.#write(key, bytes, node, execution) ? true : undefined;
  }

  /** Hands bytes to the store; false when the store failed (synchronously) or had failed in this run. */
  #write(key: string, bytes: Uint8Array, node: string, execution: CacheExecution): boolean {
    if (execution.failure !== undefined) return false;
    try {
      const out = this.store.set(key, bytes, { node });
      if (isThenable(out))
        execution.track(Promise.resolve(out).then(undefined, (error: unknown) => this.failed(execution, error)));
      return true;
    } catch (error) {
      this.failed(execution, error);
      return false;
    }
  }
}

/** How a warning names a store: its class, and a file store's directory. */
function storeName(store: CacheStore): string {
  if (store instanceof FileCacheStore) return `FileCacheStore at ${store.dir}`;
  let name: unknown;
  try {
    name = (Object.getPrototypeOf(store) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  } catch {
    name = undefined;
  }
  return typeof name === "string" && name.length > 0 && name !== "Object" ? name : "a custom CacheStore";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type {
  CacheBehavior,
  CacheDeleteOptions,
  CacheEvent,
  CacheEventKind,
  CacheExplanation,
  CacheInspector,
  CacheLogEntry,
  CacheOptions,
} from "./cache-options.js";
export { checkBehavior, checkCacheOptions } from "./cache-options.js";
export { type CacheDecision, RunCache } from "./cache-run.js";
