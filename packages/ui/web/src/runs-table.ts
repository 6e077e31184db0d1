/**
 * The runs list's figures per run and their order: duration, node runs, failures, cache hits,
 * tokens and cost as numbers (what `GET /api/runs` gives; a figure it does not give is undefined
 * and shows as `–`), and a sort by any of them that compares numbers as numbers. No DOM: tested
 * under Node.
 */
import { isLlmUsage } from "./llm-text.js";
import type { LlmUsage, RunSummary } from "./types.js";

/** A run of the list with what the server may add: LLM figures (`llm`), cache hits (`cacheHits`). */
export type ListedRun = RunSummary & { readonly llm?: unknown; readonly cacheHits?: unknown };

/** The columns the list sorts by. */
export type SortKey = "started" | "duration" | "nodes" | "failures" | "cacheHits" | "tokens" | "cost";

/** A sort: its column and direction. */
export interface RunsSort {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** The list's own order: newest first. */
export const DEFAULT_SORT: RunsSort = { key: "started", descending: true };

/** A run's LLM figures, when the server gave them. */
export function runLlm(run: ListedRun): LlmUsage | undefined {
  return isLlmUsage(run.llm) ? run.llm : undefined;
}

/** A run's figure for a column (`now` for a run still running); undefined when unknown. */
export function figure(run: ListedRun, key: SortKey, now: number): number | undefined {
  switch (key) {
    case "started":
      return run.startTime;
    case "duration":
      return (run.endTime ?? now) - run.startTime;
    case "nodes":
      return run.nodeCount;
    case "failures":
      return run.failedCount;
    case "cacheHits":
      return typeof run.cacheHits === "number" ? run.cacheHits : undefined;
    case "tokens": {
      const llm = runLlm(run);
      return llm === undefined ? undefined : llm.inputTokens + llm.outputTokens;
    }
    case "cost":
      return runLlm(run)?.costUsd ?? undefined;
  }
}

/**
 * The runs in the sort's order: numbers compared as numbers, unknown figures last in both
 * directions, ties newest first. A new array; `runs` is not changed.
 */
export function sortRuns(runs: readonly ListedRun[], sort: RunsSort, now: number): ListedRun[] {
  const sign = sort.descending ? -1 : 1;
  return runs
    .map((run) => ({ run, value: figure(run, sort.key, now) }))
    .sort((a, b) => {
      if (a.value === undefined || b.value === undefined) {
        if (a.value !== b.value) return a.value === undefined ? 1 : -1;
      } else if (a.value !== b.value) return sign * (a.value - b.value);
      return b.run.startTime - a.run.startTime || (a.run.runId < b.run.runId ? 1 : -1);
    })
    .map((x) => x.run);
}

/** The sort after a click on a column's header: the same column flips, another starts descending. */
export function nextSort(current: RunsSort, key: SortKey): RunsSort {
  return current.key === key ? { key, descending: !current.descending } : { key, descending: true };
}

/** Whether any run has the figure (its column shows only then). */
export function anyKnown(runs: readonly ListedRun[], key: SortKey, now: number): boolean {
  return runs.some((r) => figure(r, key, now) !== undefined);
}

/** The most runs one comparison takes. */
export const MAX_COMPARE = 10;

/** The compare page's address for ticked runs, or undefined unless 2 to {@link MAX_COMPARE} are ticked. */
export function compareHref(ticked: readonly string[]): string | undefined {
  if (ticked.length < 2 || ticked.length > MAX_COMPARE) return undefined;
  return `/compare?${new URLSearchParams({ runs: ticked.join(",") }).toString()}`;
}
