/**
 * What the engine's cache did, in words: the run's count of node runs answered from the cache,
 * each node's outcome (`hit`, `miss`, `recompute`, `disabled`) for the graph and the waterfall,
 * and why a miss missed. No DOM: `run.ts`, `graph.ts` and `node-detail.ts` draw it,
 * `cache-text.test.ts` runs it under Node.
 */
import { formatNumber, shortVersion } from "./format.js";
import type { CacheMissReason, NodeRun } from "./types.js";

/** `12 of 12 node runs from the cache`; undefined when no node run says what the cache did (no cache). */
export function cacheCountText(nodeRuns: readonly NodeRun[]): string | undefined {
  let known = 0;
  let hits = 0;
  for (const r of nodeRuns) {
    if (r.cache === undefined) continue;
    known++;
    if (r.cache === "hit") hits++;
  }
  if (known === 0) return undefined;
  return `${formatNumber(hits)} of ${formatNumber(nodeRuns.length)} node runs from the cache`;
}

/** A cache outcome as the words shown beside a status: `cache hit`, `cache miss`, `recompute`, `cache disabled`. */
export function cacheWord(outcome: NodeRun["cache"]): string {
  switch (outcome) {
    case undefined:
      return "";
    case "recompute":
      return "recompute";
    default:
      return `cache ${outcome}`;
  }
}

/**
 * The cache outcome of each node over its node runs (the last attempt of each fan-out item): the
 * one word when they agree (`cache hit`), else each word with its count (`cache 2 hit, 1 miss`);
 * nodes whose node runs say nothing of the cache are left out.
 */
export function nodeCacheWords(nodeRuns: readonly NodeRun[]): Map<string, string> {
  const last = new Map<string, NodeRun>();
  for (const r of nodeRuns) {
    const key = `${r.node}\u0000${r.taskId ?? ""}`;
    const previous = last.get(key);
    if (previous === undefined || r.attempt >= previous.attempt) last.set(key, r);
  }
  const counts = new Map<string, Map<string, number>>();
  for (const r of last.values()) {
    if (r.cache === undefined) continue;
    let c = counts.get(r.node);
    if (c === undefined) counts.set(r.node, (c = new Map()));
    c.set(r.cache, (c.get(r.cache) ?? 0) + 1);
  }
  const out = new Map<string, string>();
  for (const [node, c] of counts) {
    if (c.size === 1) out.set(node, cacheWord([...c.keys()][0] as NodeRun["cache"]));
    else
      out.set(
        node,
        `cache ${[...c]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([word, n]) => `${formatNumber(n)} ${word}`)
          .join(", ")}`,
      );
  }
  return out;
}

/**
 * Why the cache could not answer, in words: `nothing stored yet`, `its code changed (v1 → v2)`,
 * `input \`x\` changed` (for one of the DAG's inputs) or `dependency \`x\` changed`, `its bound
 * values or config changed`, `no cache key could be made (…)`.
 */
export function missReasonText(reason: CacheMissReason, inputs: ReadonlySet<string> = new Set()): string {
  switch (reason.kind) {
    case "new":
      return "nothing stored yet";
    case "code":
      return `its code changed (${shortVersion(reason.from, 12)} → ${shortVersion(reason.to, 12)})`;
    case "dependency":
      return `${inputs.has(reason.name) ? "input" : "dependency"} \`${reason.name}\` changed`;
    case "config":
      return "its bound values or config changed";
    case "unkeyed":
      return `no cache key could be made${reason.detail ? ` (${reason.detail})` : " (a value that cannot be fingerprinted, or a store that cannot be written)"}`;
    default:
      return `another reason (${String((reason as { kind?: unknown }).kind)})`;
  }
}

/** One node run's cache line for its panel: the outcome and what it means. */
export interface CacheLine {
  /** `cache hit`, `cache miss`, … */
  readonly word: string;
  /** What happened, in words. */
  readonly text: string;
  /** For a hit: the run whose stored result it replayed. */
  readonly fromRun: string | undefined;
}

/** The cache line of a node run's panel; undefined when the run had no cache. */
export function cacheLine(run: NodeRun, inputs: ReadonlySet<string> = new Set()): CacheLine | undefined {
  switch (run.cache) {
    case undefined:
      return undefined;
    case "hit":
      return {
        word: "cache hit",
        text:
          run.cacheFromRun === undefined
            ? "the node did not run: its result is the one the cache stored"
            : "the node did not run: its result is the one stored by run ",
        fromRun: run.cacheFromRun,
      };
    case "miss":
      return {
        word: "cache miss",
        text:
          run.cacheMissReason === undefined
            ? "the node ran: the cache held no result for it (no reason recorded)"
            : `the node ran: ${missReasonText(run.cacheMissReason, inputs)}`,
        fromRun: undefined,
      };
    case "recompute":
      return { word: "recompute", text: "the node ran: it is never answered from the cache", fromRun: undefined };
    case "disabled":
      return { word: "cache disabled", text: "the node ran: caching is off for it", fromRun: undefined };
    default:
      return { word: `cache ${String(run.cache)}`, text: "", fromRun: undefined };
  }
}

/**
 * A node's cache words cut to `room` characters (what is left of its state line): whole when they
 * fit, else without `cache ` (`hit`, `2 hit, 1 miss`), else `mixed` for several outcomes or the
 * bare outcome.
 */
export function fitCacheWords(words: string, room: number): string {
  if (words.length <= room) return words;
  const bare = words.startsWith("cache ") ? words.slice("cache ".length) : words;
  if (bare.length <= room) return bare;
  return bare.includes(",") ? "mixed" : bare;
}
