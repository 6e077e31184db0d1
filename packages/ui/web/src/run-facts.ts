/**
 * What went into a run, as the run page states it: its parameters (inputs with their summaries,
 * config, overrides, tags, requested outputs, who and where, the workers, the graph version), and
 * what a node took from one of the DAG's inputs — the value given, an override, or the default
 * only when nothing was given. No DOM: `run.ts` and `node-detail.ts` draw it, `run-facts.test.ts`
 * runs it under Node.
 */
import { formatNumber } from "./format.js";
import { shortSummary } from "./summary-text.js";
import type { NodeRun, RunRecord, ValueSummary } from "./types.js";

/** One group of the run's parameters: a title and rows of name → text (none: `empty` says so). */
export interface ParameterGroup {
  readonly title: string;
  readonly rows: readonly (readonly [string, string])[];
  /** What to show when there are no rows. */
  readonly empty: string;
}

/** The most rows a group shows (a run with thousands of inputs or tags stays readable). */
export const MAX_PARAMETER_ROWS = 100;

function summaries(record: Readonly<Record<string, ValueSummary>> | undefined): [string, string][] {
  return Object.entries(record ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, shortSummary(v)]);
}

function bounded(rows: [string, string][]): [string, string][] {
  if (rows.length <= MAX_PARAMETER_ROWS) return rows;
  return [
    ...rows.slice(0, MAX_PARAMETER_ROWS),
    ["…", `${formatNumber(rows.length - MAX_PARAMETER_ROWS)} more not shown`],
  ];
}

/** The worker processes (`<host>:<pid>`) the run's node runs ran on, sorted; none for an in-process run. */
export function workersOf(nodeRuns: readonly NodeRun[]): string[] {
  const out = new Set<string>();
  for (const r of nodeRuns) if (typeof r.worker === "string" && r.worker !== "") out.add(r.worker);
  return [...out].sort();
}

/** The run's parameters, in the order the page shows them. */
export function runParameters(run: RunRecord, nodeRuns: readonly NodeRun[]): ParameterGroup[] {
  const where: [string, string][] = [["user", run.username || "–"]];
  if (run.host !== undefined) where.push(["host", run.host]);
  if (run.pid !== undefined) where.push(["pid", String(run.pid)]);
  const workers = workersOf(nodeRuns);
  if (workers.length > 0)
    where.push([workers.length === 1 ? "worker" : `workers (${workers.length})`, workers.join(", ")]);
  where.push(["graph version", run.graphVersion]);
  return [
    { title: "Inputs", rows: bounded(summaries(run.inputs)), empty: "none given" },
    { title: "Config", rows: bounded(summaries(run.config)), empty: "none" },
    {
      title: "Overrides",
      rows: bounded([...(run.overrides ?? [])].sort().map((n) => [n, "overridden (its value is not recorded)"])),
      empty: "none",
    },
    {
      title: "Tags",
      rows: bounded(
        Object.entries(run.tags ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, String(v)]),
      ),
      empty: "none",
    },
    {
      title: "Requested outputs",
      rows: bounded([...(run.finalVars ?? [])].map((n) => [n, ""])),
      empty: "none recorded",
    },
    { title: "Who and where", rows: where, empty: "" },
  ];
}

/**
 * What a node took from `dep`, one of the DAG's inputs (no node run of its own), from the run's
 * record: the value given (`given: string (…) "…"`), an override, a config value, or — only when
 * none of those and the node declares a default for it — `not given (the default was used)`.
 */
export function inputTruth(dep: string, run: RunRecord, optional: boolean): string {
  const given = run.inputs?.[dep];
  if (given !== undefined) return `given: ${shortSummary(given)}`;
  if (run.overrides?.includes(dep)) return "overridden (its value is not recorded)";
  const config = run.config?.[dep];
  if (config !== undefined) return `from config: ${shortSummary(config)}`;
  return optional ? "not given (the default was used)" : "an input (its value is not recorded)";
}
