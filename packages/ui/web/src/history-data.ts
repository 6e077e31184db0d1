/**
 * A node's history (`GET /api/nodes/history`) as chart data and text: node runs oldest first (x
 * is the index, so each has the same width and a click maps to one), duration with failures and
 * cache hits marked as their own series, tokens and cost where the node calls an LLM, the links
 * that open each node run on its run page. No DOM: tested under Node.
 */
import { isLlmUsage } from "./llm-text.js";
import { nodeLink } from "./selection.js";

/** One node run of the answer. */
export interface HistoryEntry {
  readonly runId: string;
  readonly taskId: string | null;
  readonly attempt: number;
  readonly startTime: number;
  readonly durationMs: number | null;
  readonly status: string;
  readonly cache: string | null;
  readonly error?: string | null;
  readonly llm?: unknown;
  /** The node run's LLM tokens (input plus output) counted by the server from its spans; null without calls. */
  readonly tokens?: number | null;
  /** Their cost in USD; null without calls or without a price. */
  readonly costUsd?: number | null;
}

/** `GET /api/nodes/history`. */
export interface HistoryAnswer {
  readonly runs: readonly HistoryEntry[];
  readonly count: number;
  readonly failureRate: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Tokens over the node runs (the server counts them from spans); absent from older servers. */
  readonly tokens?: number;
  readonly costUsd?: number | null;
}

/** The chart's columns, oldest first. */
export interface HistoryChartData {
  readonly entries: readonly HistoryEntry[];
  readonly x: number[];
  readonly durationMs: (number | null)[];
  /** The duration where the node run failed, else null (a marker series). */
  readonly failures: (number | null)[];
  /** The duration where the cache replayed a stored result, else null. */
  readonly cacheHits: (number | null)[];
  /** Undefined when no node run carries LLM figures. */
  readonly tokens: (number | null)[] | undefined;
  readonly costUsd: (number | null)[] | undefined;
  readonly failureCount: number;
  readonly cacheHitCount: number;
}

/** The node history sizes the page offers; the server's maximum is 10,000. */
export const HISTORY_LIMITS = [100, 1000, 10_000] as const;

/** The limit from the address: one of {@link HISTORY_LIMITS}, else the first. */
export function historyLimit(text: string | null): number {
  const n = Number(text);
  return (HISTORY_LIMITS as readonly number[]).includes(n) ? n : HISTORY_LIMITS[0];
}

/** The node history's request. */
export function historyRequest(project: string, dag: string, node: string, limit: number): string {
  const q = new URLSearchParams();
  if (project !== "") q.set("project", project);
  if (dag !== "") q.set("dag", dag);
  q.set("node", node);
  q.set("limit", String(limit));
  return `/api/nodes/history?${q.toString()}`;
}

/** The history page's address for a node of a project's DAG. */
export function historyHref(project: string, dag: string, node: string): string {
  return `/history?${new URLSearchParams({ project, dag, node }).toString()}`;
}

/** Builds the columns (the server answers newest first; the chart reads oldest first). */
export function historyChartData(runs: readonly HistoryEntry[]): HistoryChartData {
  const entries = [...runs].sort(
    (a, b) => a.startTime - b.startTime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
  );
  const durationMs = entries.map((e) => (typeof e.durationMs === "number" ? e.durationMs : null));
  const failures = entries.map((e, i) => (e.status === "FAILURE" ? (durationMs[i] ?? 0) : null));
  const cacheHits = entries.map((e, i) => (e.cache === "hit" ? (durationMs[i] ?? 0) : null));
  // The server's figures from spans first, else what the node run's record carries.
  const llm = entries.map((e) =>
    typeof e.tokens === "number"
      ? { tokens: e.tokens, costUsd: typeof e.costUsd === "number" ? e.costUsd : null }
      : isLlmUsage(e.llm)
        ? { tokens: e.llm.inputTokens + e.llm.outputTokens, costUsd: e.llm.costUsd }
        : undefined,
  );
  const anyLlm = llm.some((u) => u !== undefined);
  return {
    entries,
    x: entries.map((_, i) => i),
    durationMs,
    failures,
    cacheHits,
    tokens: anyLlm ? llm.map((u) => (u === undefined ? null : u.tokens)) : undefined,
    costUsd: anyLlm ? llm.map((u) => u?.costUsd ?? null) : undefined,
    failureCount: failures.filter((v) => v !== null).length,
    cacheHitCount: cacheHits.filter((v) => v !== null).length,
  };
}

/** The run page's address with the node run of an entry selected. */
export function entryHref(entry: HistoryEntry, node: string): string {
  return `/runs/${encodeURIComponent(entry.runId)}${nodeLink(node, entry.taskId ?? undefined, entry.attempt)}`;
}

/** The statistics line: `100 node runs · p50 1.2 s · p95 3.4 s · failure rate 2.0% · 7 cache hits`. */
export function historyStats(
  answer: HistoryAnswer,
  data: HistoryChartData,
  duration: (ms: number | undefined) => string,
): string {
  const parts = [
    `${answer.count.toLocaleString("en-US")} node run${answer.count === 1 ? "" : "s"}`,
    `p50 ${answer.p50Ms === null ? "–" : duration(answer.p50Ms)}`,
    `p95 ${answer.p95Ms === null ? "–" : duration(answer.p95Ms)}`,
    `failure rate ${(answer.failureRate * 100).toFixed(1)}%`,
    `${data.cacheHitCount.toLocaleString("en-US")} cache hit${data.cacheHitCount === 1 ? "" : "s"}`,
  ];
  if (data.tokens !== undefined) {
    const tokens = data.tokens.reduce<number>((a, b) => a + (b ?? 0), 0);
    parts.push(`${tokens.toLocaleString("en-US")} tokens`);
    const costs = data.costUsd ?? [];
    // The server's total says when a model had no price (null); summing the points cannot.
    if (answer.costUsd === null && typeof answer.tokens === "number") parts.push("cost unknown (a model has no price)");
    else if (costs.some((c) => c !== null)) {
      parts.push(`$${costs.reduce<number>((a, b) => a + (b ?? 0), 0).toPrecision(3)}`);
    }
  }
  return parts.join(" · ");
}
