/**
 * Why a node run missed the cache: the "last entry" record the cache keeps per node (and fan-out
 * task) beside its results — what the node's last stored result was made from — and the
 * comparison of a miss against it.
 *
 * The record lives in the cache's own store, under a key of its own, so the reason survives
 * across drivers and processes. It is read and compared only on a miss, and written only when a
 * result is stored (or found unstorable): an all-hit run neither reads nor writes it.
 *
 * @module
 */
import { sha256Hex } from "./sha256.js";
import { deserialize, serialize } from "node:v8";
import type { CacheMissReason, CacheOutcome } from "@hamilton-ts/lifecycle";

/** What a node's key was made from, in the parts a miss is explained by. */
export interface KeyParts {
  /** The node's code version (`NodeInfo.version`). */
  readonly code: string;
  /** The fingerprint of the values bound to the node (`inject`, `parameterize`, `value`, `subdag`). */
  readonly bound: string;
  /** The fingerprint of the graph's config. */
  readonly config: string;
  /** The node's dependencies that are part of its key (config and `ignore`d ones left out), in declaration order. */
  readonly depNames: readonly string[];
  /** The data version of each of {@link depNames}. */
  readonly depVersions: readonly string[];
}

/** The last entry the cache stored for a node (and fan-out task). */
export interface LastEntry extends KeyParts {
  /** The key the result was stored under. */
  readonly key: string;
  /** The run that stored it. */
  readonly run: string;
  /** What the cache did in that run (`miss` or `recompute`). */
  readonly outcome: CacheOutcome;
  /** Why that run missed, when it did. */
  readonly missReason: CacheMissReason | undefined;
  /** Set when the result could not be stored: why (the next run with the same key misses with `unkeyed`). */
  readonly unstored: string | undefined;
}

const FORMAT = "hamilton-ts cache last 1";

/** The store key of a node's (and task's) last-entry record: 64 hex digits, apart from every result key. */
export function lastEntryKey(node: string, taskId: string | undefined): string {
  return sha256Hex(`${FORMAT}\0${node}\0${taskId ?? ""}`);
}

/** The record as bytes. */
export function encodeLastEntry(entry: LastEntry): Uint8Array {
  return serialize({
    format: FORMAT,
    code: entry.code,
    bound: entry.bound,
    config: entry.config,
    depNames: entry.depNames,
    depVersions: entry.depVersions,
    key: entry.key,
    run: entry.run,
    outcome: entry.outcome,
    missReason: entry.missReason,
    unstored: entry.unstored,
  });
}

/** The record in `bytes`, or undefined when they are not one (corrupt, foreign, another format). */
export function decodeLastEntry(bytes: Uint8Array): LastEntry | undefined {
  let d: Record<string, unknown>;
  try {
    const decoded: unknown = deserialize(bytes);
    if (typeof decoded !== "object" || decoded === null) return undefined;
    d = decoded as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (
    d.format !== FORMAT ||
    typeof d.code !== "string" ||
    typeof d.bound !== "string" ||
    typeof d.config !== "string" ||
    typeof d.key !== "string" ||
    typeof d.run !== "string" ||
    typeof d.outcome !== "string" ||
    !isStrings(d.depNames) ||
    !isStrings(d.depVersions) ||
    d.depNames.length !== d.depVersions.length
  )
    return undefined;
  return {
    code: d.code,
    bound: d.bound,
    config: d.config,
    depNames: d.depNames,
    depVersions: d.depVersions,
    key: d.key,
    run: d.run,
    outcome: d.outcome as CacheOutcome,
    missReason: isMissReason(d.missReason) ? d.missReason : undefined,
    unstored: typeof d.unstored === "string" ? d.unstored : undefined,
  };
}

/**
 * Why a node run with key `key` made of `now` missed, against the `last` entry stored for it:
 * `new`, `code`, `dependency` (the first dependency in declaration order whose version differs,
 * or that the last entry did not have), `config`, checked in that order. When all of them match,
 * the last result could not be stored (`unkeyed`, saying why) or its entry is gone (`new`).
 */
export function explainMiss(last: LastEntry | undefined, now: KeyParts, key: string): CacheMissReason {
  if (last === undefined) return NEW;
  if (last.code !== now.code) return { kind: "code", from: last.code, to: now.code };
  const names = now.depNames;
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    const at = last.depNames.indexOf(name);
    if (at === -1 || last.depVersions[at] !== now.depVersions[k]) return { kind: "dependency", name };
  }
  if (last.bound !== now.bound || last.config !== now.config) return CONFIG;
  if (last.unstored !== undefined && last.key === key)
    return { kind: "unkeyed", detail: `its result cannot be stored (${last.unstored})` };
  return NEW;
}

const NEW: CacheMissReason = Object.freeze({ kind: "new" });
const CONFIG: CacheMissReason = Object.freeze({ kind: "config" });

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function isMissReason(value: unknown): value is CacheMissReason {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === "new" || kind === "code" || kind === "dependency" || kind === "config" || kind === "unkeyed";
}
