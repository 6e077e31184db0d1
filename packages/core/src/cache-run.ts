/**
 * One run's cache state ({@link RunCache}): the data version of each slot's value, the decision
 * for each node (key, lookup, outcome), the log of outcomes, and on a miss why it missed; after a
 * miss, the result stored with its run id and the node's last-entry record written.
 *
 * The hit path reads one entry and nothing else: the miss's explanation (reading the last-entry
 * record, comparing dependency versions) is built only on a miss.
 *
 * @module
 */
import type { CacheMissReason, CacheOutcome } from "@hamilton-ts/lifecycle";
import type { DriverCache } from "./cache.js";
import type { CacheEntry } from "./cache-entry.js";
import { type CacheExecution, CacheRecord } from "./cache-execution.js";
import { explainMiss, type KeyParts, type LastEntry } from "./cache-last.js";
import type { CacheBehavior, CacheLogEntry } from "./cache-options.js";
import type { MaybePromise } from "./cache-store.js";
import { ABSENT, DISABLED, IGNORED, sha, UNVERSIONED } from "./cache-versions.js";
import { registrationHint } from "./codecs.js";
import { fingerprint, fingerprintForStore, isFingerprint } from "./fingerprint.js";
import type { GraphNode } from "./graph.js";
import { PER_ITEM, type Plan } from "./plan.js";

/** A native promise (what the driver's cache returns when the store answered with one). */
function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
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
  /** On a hit: the run that stored the entry. */
  readonly fromRun: string | undefined;
  /** On a miss: why. */
  readonly missReason: CacheMissReason | undefined;
  /** When {@link store}: what the key was made of, for the node's last-entry record. */
  readonly parts: KeyParts | undefined;
  /** The node run's record in the run's log (its data version is filled in once known). */
  readonly record: CacheRecord;
}

/** One run's cache state: the data version of each slot's value, and the log of outcomes. */
export class RunCache {
  readonly driver: DriverCache;
  readonly #plan: Plan;
  readonly #versions: (string | undefined)[];
  /** The execute's cache state, shared with its fan-out item runs. */
  readonly #execution: CacheExecution;
  readonly #taskId: string | undefined;
  readonly #runId: string;
  readonly #givenVersions: ReadonlyMap<string, string | undefined> | undefined;
  readonly #unversionedReason = new Map<number, string>();
  /** For a slot whose value holds an instance of an unregistered class: the class's name. */
  readonly #unversionedClass = new Map<number, string>();
  readonly #configSlots = new Set<number>();
  /** Why the last {@link #key} call returned undefined. */
  #unkeyed = "";

  constructor(
    driver: DriverCache,
    plan: Plan,
    taskId: string | undefined,
    log: CacheLogEntry[],
    given: ReadonlyMap<string, string | undefined> | undefined,
    runId: string,
  ) {
    this.driver = driver;
    this.#plan = plan;
    this.#taskId = taskId;
    this.#execution = driver.execution(runId, log);
    this.#versions = new Array(plan.slotNode.length);
    this.#givenVersions = given;
    this.#runId = runId;
  }

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
      if (f.className !== undefined) this.#unversionedClass.set(slot, f.className);
    }
  }

  /** The data version of a slot (for a fan-out's item runs: computed once per run). */
  versionOf(slot: number): string | undefined {
    return this.#versions[slot];
  }

  /**
   * Decides what the cache does for a node about to run: a decision, or a promise of one when the
   * store answered with a promise (a synchronous store keeps a synchronous node's hit synchronous).
   */
  decide(slot: number, node: GraphNode): MaybePromise<CacheDecision> {
    if (node.kind === "expand")
      return this.#logged(node, "default", "recompute", undefined, undefined, false, undefined);
    return this.#decide(slot, node, undefined);
  }

  /** Decides for a collect node, whose per-item dependencies arrive as arrays in `kwargs`. */
  decideCollect(slot: number, node: GraphNode, kwargs: Record<string, unknown>): MaybePromise<CacheDecision> {
    return this.#decide(slot, node, kwargs);
  }

  #decide(slot: number, node: GraphNode, kwargs: Record<string, unknown> | undefined): MaybePromise<CacheDecision> {
    const driver = this.driver;
    const behavior = driver.behaviorOf(node);
    if (behavior === "disable" || behavior === "ignore") {
      this.#versions[slot] = behavior === "disable" ? DISABLED : IGNORED;
      return this.#logged(node, behavior, "disabled", undefined, undefined, false, undefined);
    }
    // A node that reads its run's identity runs every time and is not stored (its result belongs
    // to its run). It has no key, so a value that cannot be fingerprinted is not versioned by one:
    // its dependents are keyed by its value's fingerprint, and miss when the value changed.
    if (driver.isRunDependent(node))
      return this.#logged(node, behavior, "recompute", undefined, undefined, false, undefined);
    // A collect node's per-item versions are kept to explain a miss without fingerprinting twice.
    const perItem = kwargs === undefined ? undefined : ([] as string[]);
    const key = this.#key(slot, node, kwargs, perItem);
    if (key === undefined) {
      const reason: CacheMissReason = { kind: "unkeyed", detail: this.#unkeyed };
      return this.#logged(node, behavior, "miss", undefined, undefined, false, reason);
    }
    const execution = this.#execution;
    if (execution.failure !== undefined) return this.#storeFailed(node, behavior, key);
    if (behavior === "recompute") {
      const parts = this.#parts(slot, node, perItem);
      return this.#logged(node, behavior, "recompute", key, undefined, true, undefined, parts);
    }
    const entry = driver.lookup(key, execution);
    if (isPromise(entry)) return entry.then((e) => this.#found(slot, node, behavior, key, perItem, e));
    return this.#found(slot, node, behavior, key, perItem, entry);
  }

  /** The decision once the lookup answered: a hit, or a miss explained against the node's last entry. */
  #found(
    slot: number,
    node: GraphNode,
    behavior: CacheBehavior,
    key: string,
    perItem: readonly string[] | undefined,
    entry: CacheEntry | undefined,
  ): MaybePromise<CacheDecision> {
    if (entry !== undefined) {
      this.#versions[slot] = entry.version;
      return this.#logged(node, behavior, "hit", key, entry, false, undefined, undefined, entry.run, entry.version);
    }
    const execution = this.#execution;
    if (execution.failure !== undefined) return this.#storeFailed(node, behavior, key);
    const parts = this.#parts(slot, node, perItem);
    const missed = (last: LastEntry | undefined): CacheDecision => {
      let reason = explainMiss(last, parts, key);
      const earlier = this.driver.lastFailure;
      // Nothing to compare with because the store failed last time: say so, not "new".
      if (reason.kind === "new" && earlier !== undefined)
        reason = { kind: "unkeyed", detail: `the cache store failed in the previous run (${earlier})` };
      return this.#logged(node, behavior, "miss", key, undefined, true, reason, parts);
    };
    const last = this.driver.readLast(node.name, this.#taskId, execution);
    return isPromise(last) ? last.then(missed) : missed(last);
  }

  /** The store failed earlier in this run: the node computes and nothing is stored. */
  #storeFailed(node: GraphNode, behavior: CacheBehavior, key: string): CacheDecision {
    const reason: CacheMissReason = {
      kind: "unkeyed",
      detail: `the cache store failed in this run (${this.#execution.failure})`,
    };
    return this.#logged(node, behavior, "miss", key, undefined, false, reason);
  }

  #logged(
    node: GraphNode,
    behavior: CacheBehavior,
    outcome: CacheOutcome,
    key: string | undefined,
    hit: CacheDecision["hit"],
    store: boolean,
    missReason: CacheMissReason | undefined,
    parts?: KeyParts,
    fromRun?: string,
    dataVersion?: string,
  ): CacheDecision {
    const taskId = this.#taskId;
    const record = new CacheRecord(
      node.name,
      taskId,
      outcome,
      key,
      fromRun,
      missReason,
      behavior,
      node.info.version,
      dataVersion,
    );
    this.#execution.decided(record);
    return { outcome, key, hit, store, fromRun, missReason, parts, record };
  }

  #key(
    slot: number,
    node: GraphNode,
    kwargs: Record<string, unknown> | undefined,
    perItem: string[] | undefined,
  ): string | undefined {
    const code = this.driver.codeVersion(node);
    if (code === undefined) {
      this.#unkeyed = this.driver.unversionedCode(node);
      return undefined;
    }
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
        if (perItem !== undefined) perItem[k] = version;
      } else version = ABSENT;
      if (version === IGNORED) continue;
      if (version === DISABLED) {
        const from = this.#plan.slotNode[a]!.name;
        this.#unkeyed = `its dependency "${from}" has the cache behaviour "disable"`;
        return undefined;
      }
      if (version === undefined || version === UNVERSIONED) {
        const from = a >= 0 ? this.#plan.slotNode[a]!.name : names[k]!;
        const reason = a >= 0 ? this.#unversionedReason.get(a) : undefined;
        const className = a >= 0 ? this.#unversionedClass.get(a) : undefined;
        this.#unkeyed = `the value of "${from}" cannot be fingerprinted${reason === undefined ? "" : ` (${reason})`}`;
        this.driver.warnOnce(
          `hamilton-ts cache: node "${node.name}" is not cached because the value of "${from}" cannot be fingerprinted` +
            `${reason === undefined ? "" : ` (${reason})`}. ` +
            (className === undefined
              ? ""
              : `If it decides the result, say how to fingerprint ${className}: ${registrationHint(className)}. `) +
            `If that value does not change the result, mark "${from}" ` +
            `with cache({ behavior: "ignore" }, fn) or withCache({ nodes: { ${JSON.stringify(from)}: "ignore" } }).`,
        );
        return undefined;
      }
      text += `\0${names[k]}=${version}`;
    }
    return sha(text);
  }

  /**
   * What a keyed node's key was made of, for explaining a miss and for its last-entry record:
   * dependencies that are config (covered by the config's fingerprint) or `ignore`d are left out.
   * Built only off the hit path.
   */
  #parts(slot: number, node: GraphNode, perItem: readonly string[] | undefined): KeyParts {
    const { start, items } = this.#plan.argSlots;
    const first = start[slot]!;
    const count = start[slot + 1]! - first;
    const names = node.depNames;
    const depNames: string[] = [];
    const depVersions: string[] = [];
    for (let k = 0; k < count; k++) {
      const a = items[first + k]!;
      let version: string | undefined;
      if (a >= 0) {
        if (this.#configSlots.has(a)) continue;
        version = this.#versions[a];
      } else if (a === PER_ITEM) version = perItem?.[k];
      else version = ABSENT;
      if (version === IGNORED || version === undefined) continue;
      depNames.push(names[k]!);
      depVersions.push(version);
    }
    const driver = this.driver;
    return {
      code: node.info.version,
      bound: driver.boundVersion(node),
      config: driver.configVersion,
      depNames,
      depVersions,
    };
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
    const { version: f, nullPrototypeAt, codecs, uncoded } = fingerprintForStore(value);
    if (isFingerprint(f)) {
      this.#versions[slot] = f;
      decision.record.dataVersion = f;
      if (!decision.store || decision.key === undefined) return;
      const execution = this.#execution;
      if (uncoded !== undefined) {
        const why = `it holds an instance of ${uncoded.className}${uncoded.path === "" ? "" : ` at ${uncoded.path}`}, which has a fingerprint but no codec`;
        execution.event("not-stored", node.name, this.#taskId, decision.key, why);
        this.#writeLast(node, decision, why);
        this.driver.warnOnce(
          `hamilton-ts cache: node "${node.name}" is not stored because ${why}: it runs every time (what depends on it is cached). ` +
            `To store it: registerCodec(${uncoded.className}, { encode: (v) => …, decode: (d) => … }).`,
        );
      } else if (nullPrototypeAt === undefined) {
        const saved = this.driver.save(decision.key, value, warnings, f, node.name, execution, codecs);
        if (saved === undefined) return;
        execution.event(
          saved === true ? "stored" : "not-stored",
          node.name,
          this.#taskId,
          decision.key,
          saved === true ? undefined : saved,
        );
        this.#writeLast(node, decision, saved === true ? undefined : saved);
      } else {
        execution.event("not-stored", node.name, this.#taskId, decision.key, "it holds a null-prototype object");
        this.#writeLast(node, decision, "it holds a null-prototype object");
        this.driver.warnOnce(
          `hamilton-ts cache: node "${node.name}" returned a null-prototype object${nullPrototypeAt === "" ? "" : ` at ${nullPrototypeAt}`}, ` +
            `which the store would give Object.prototype, so it is not stored and runs every time. ` +
            `Return a plain object ({ ...value }) or a Map to cache it.`,
        );
      }
      return;
    }
    if (decision.store) {
      this.#execution.event("not-stored", node.name, this.#taskId, decision.key, f.reason);
      this.#writeLast(node, decision, f.reason);
    }
    if (decision.key !== undefined && this.#onlyConfigDeps(slot)) {
      this.#versions[slot] = `k${decision.key}`;
      return;
    }
    this.#versions[slot] = UNVERSIONED;
    this.#unversionedReason.set(slot, f.reason);
    if (f.className !== undefined) this.#unversionedClass.set(slot, f.className);
    if (decision.store)
      this.driver.warnOnce(
        `hamilton-ts cache: node "${node.name}" returned a value that cannot be stored (${f.reason}), so it runs every time.` +
          (f.className === undefined ? "" : ` To cache it: ${registrationHint(f.className)}.`),
      );
  }

  /** Records what the node's stored (or unstorable) result was made of, for the next miss's reason. */
  #writeLast(node: GraphNode, decision: CacheDecision, unstored: string | undefined): void {
    const parts = decision.parts;
    if (parts === undefined || decision.key === undefined) return;
    this.driver.writeLast(
      node.name,
      this.#taskId,
      {
        ...parts,
        key: decision.key,
        run: this.#runId,
        outcome: decision.outcome,
        missReason: decision.missReason,
        unstored,
      },
      this.#execution,
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
