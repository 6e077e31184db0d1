/**
 * The comparison of 2 to 10 runs, as the compare page and `hamilton-ts-ui compare` show it: the
 * runs' parameters side by side (graph version, inputs, config, tags, overrides, requested
 * outputs), each node run side by side (fan-out items matched by task id, in natural order:
 * `[10]` after `[2]`) with what differs marked, the nodes whose code changed (with each run's
 * source), and a "what changed" summary. Plain data in, plain data out: no DOM and no Node APIs,
 * so the page's bundle and the CLI use the same answers.
 */
import type { NodeRunRecord, ValueSummary } from "@hamilton-ts/store";
import type { LlmUsage } from "./llm-usage.js";
import type { RunDetail } from "./read-api.js";

/** The fewest runs a comparison takes. */
export const MIN_COMPARE_RUNS = 2;
/** The most runs a comparison takes. */
export const MAX_COMPARE_RUNS = 10;

/**
 * Two durations differ when the longer is at least this many times the shorter (and
 * {@link DURATION_MIN_GAP_MS} apart): a node's time always moves a little between runs.
 */
export const DURATION_FACTOR = 1.5;
/** Durations closer than this (ms) never count as different. */
export const DURATION_MIN_GAP_MS = 5;

/** Why a list of run ids cannot be compared (fewer than 2, more than 10, one given twice, an empty id); undefined when it can. */
export function compareIdsProblem(ids: readonly string[]): string | undefined {
  if (ids.some((id) => id.trim() === "")) return "a run id is empty; give the ids separated by commas, e.g. runs=a,b.";
  if (ids.length < MIN_COMPARE_RUNS) {
    return `${ids.length === 0 ? "no run ids are" : `only one run id (${JSON.stringify(ids[0])}) is`} given; compare takes ${MIN_COMPARE_RUNS} to ${MAX_COMPARE_RUNS} runs.`;
  }
  if (ids.length > MAX_COMPARE_RUNS) {
    return `${ids.length} run ids are given; compare takes at most ${MAX_COMPARE_RUNS} runs: leave ${ids.length - MAX_COMPARE_RUNS} out.`;
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return `run ${JSON.stringify(id)} is given twice; give each run once.`;
    seen.add(id);
  }
  return undefined;
}

/** The run ids of a compare address: `runs=a,b,c`, or the older `a=<runId>&b=<runId>`. */
export function compareIdsOf(query: URLSearchParams): string[] {
  const runs = query.getAll("runs");
  if (runs.length > 0)
    return runs
      .join(",")
      .split(",")
      .map((id) => id.trim());
  return ["a", "b"].flatMap((k) => {
    const id = query.get(k);
    return id === null ? [] : [id];
  });
}

/** A node run of a run's answer (the read API adds `llm` to those that made LLM calls). */
type AnswerNodeRun = NodeRunRecord & { readonly llm?: unknown };

/** One run in a comparison. */
export interface ComparedRun {
  readonly runId: string;
  readonly projectId: string;
  readonly dagName: string;
  readonly graphVersion: string;
  readonly status: string;
  readonly startTime: number;
  readonly durationMs: number | undefined;
  readonly llm: LlmUsage | undefined;
}

/** One parameter across the runs (undefined where a run does not have it). */
export interface ParamRow {
  readonly group: "version" | "input" | "config" | "tag" | "overrides" | "outputs";
  readonly name: string;
  readonly values: readonly (string | undefined)[];
  readonly differs: boolean;
}

/** One node run in a comparison's row. */
export interface NodeCell {
  readonly status: string;
  readonly durationMs: number | undefined;
  /** What the cache did (`hit`, `miss`, `recompute`, `disabled`); undefined without a cache. */
  readonly cache: string | undefined;
  readonly llm: LlmUsage | undefined;
  /** The result as text (values, statistics of numbers, columns of tables), or the error. */
  readonly result: string;
  /** The node's code version in this run's template; undefined without one. */
  readonly codeVersion: string | undefined;
}

/** What of a row differs between the runs that ran it. */
export interface RowDifferences {
  /** Ran in some runs and not in others, or ended with another status. */
  readonly status: boolean;
  readonly duration: boolean;
  readonly cache: boolean;
  readonly llm: boolean;
  /** The results (of the runs where it succeeded) differ. */
  readonly result: boolean;
  /** The code versions differ. */
  readonly code: boolean;
}

/** One node (or fan-out item) across the runs. */
export interface NodeRow {
  /** `node`, or `node [taskId]` for a fan-out item. */
  readonly key: string;
  readonly node: string;
  readonly taskId: string | undefined;
  /** One per run, in the runs' order; undefined where the run has no such node run. */
  readonly cells: readonly (NodeCell | undefined)[];
  readonly differs: RowDifferences;
}

/** A node whose code differs between the runs: each run's version and source (undefined without a template). */
export interface CodeChange {
  readonly node: string;
  readonly versions: readonly (string | undefined)[];
  readonly sources: readonly (string | undefined)[];
}

/** The node that took longest in any run, with its time in each. */
export interface SlowestNode {
  readonly key: string;
  readonly durationsMs: readonly (number | undefined)[];
}

/** The "what changed" summary. */
export interface CompareSummary {
  /** The parameters that differ, as `group name` (`input x`, `config mode`, `graph version`). */
  readonly params: readonly string[];
  /** Nodes whose code version differs. */
  readonly codeChanged: readonly string[];
  /** Rows (nodes and items) whose result differs. */
  readonly resultChanged: readonly string[];
  /** Rows whose status differs (or that ran in some runs only). */
  readonly statusChanged: readonly string[];
  readonly slowest: SlowestNode | undefined;
  /** True when the runs are of more than one DAG (nodes are matched by name). */
  readonly differentDags: boolean;
}

/** A comparison of runs: {@link compareRuns}. */
export interface RunComparison {
  readonly runs: readonly ComparedRun[];
  readonly params: readonly ParamRow[];
  readonly nodes: readonly NodeRow[];
  readonly codeChanges: readonly CodeChange[];
  readonly summary: CompareSummary;
}

/** Compares two texts in natural order: digit runs as numbers (`item10` after `item2`). */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function num(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return n.toExponential(3);
  return String(Number(n.toPrecision(4)));
}

function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A value summary as the text a comparison shows and compares: the value of a primitive, a
 * string's text, the statistics of numbers, a table's rows and columns (with their types), an
 * object's keys with their values' text.
 */
export function valueText(v: ValueSummary | undefined, depth = 0): string {
  if (v === undefined) return "–";
  switch (v.kind) {
    case "primitive":
      return String(v.value);
    case "string":
      return `${JSON.stringify(v.preview)}${v.truncated ? `… (${num(v.length)} chars)` : ""}`;
    case "numeric_array":
      return `${num(v.length)} numbers: min ${num(v.min)}, max ${num(v.max)}, mean ${num(v.mean)}, std ${num(v.std)}`;
    case "table":
      return `${num(v.rows)} rows: ${v.columns.map((c) => `${c.name} (${c.type})`).join(", ")}`;
    case "array":
      return depth > 0
        ? `array of ${num(v.length)}`
        : `array of ${num(v.length)}: [${v.items.map((i) => valueText(i, depth + 1)).join(", ")}${v.truncated ? ", …" : ""}]`;
    case "set":
      return `Set of ${num(v.size)}`;
    case "object": {
      const keys = Object.entries(v.entries);
      if (depth > 0) return `${v.type} {${keys.map(([k]) => k).join(", ")}}`;
      return `${v.type === "Object" ? "" : `${v.type} `}{${keys.map(([k, x]) => `${k}: ${valueText(x, depth + 1)}`).join(", ")}${v.truncated ? ", …" : ""}}`;
    }
    case "date":
      return `date ${v.value ?? "invalid"}`;
    case "error":
      return `${v.type}: ${v.message}`;
    case "binary":
      return `${v.type}, ${num(v.byteLength)} bytes`;
    case "function":
      return `function ${v.name}`;
    case "instance":
      return `${v.type} instance`;
    case "redacted":
      return "redacted";
    case "truncated":
      return `not summarised (${v.reason})`;
    case "disabled":
      return "not recorded";
    case "observability_failure":
      return `summary failed: ${v.message}`;
  }
}

/** A duration in ms for people (`850 ms`, `2.40 s`, `3 min 12 s`). */
export function durationText(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** An LLM figure as text: `2 calls · 1,200 tokens · $0.0031` (the cost `unknown` without a price). */
export function llmText(u: LlmUsage | undefined): string {
  if (u === undefined || u.calls === 0) return "";
  const tokens = u.inputTokens + u.outputTokens;
  const cost = u.costUsd === null ? "cost unknown" : `$${u.costUsd >= 1 ? u.costUsd.toFixed(2) : num(u.costUsd)}`;
  return `${num(u.calls)} call${u.calls === 1 ? "" : "s"} · ${num(tokens)} tokens · ${cost}`;
}

function isLlm(v: unknown): v is LlmUsage {
  if (typeof v !== "object" || v === null) return false;
  const u = v as Record<string, unknown>;
  return typeof u.calls === "number" && typeof u.inputTokens === "number" && typeof u.outputTokens === "number";
}

function rowKey(node: string, taskId: string | undefined): string {
  return taskId === undefined ? node : `${node} [${taskId}]`;
}

/** More than one distinct value among the defined ones. */
function distinct(values: readonly (string | undefined)[]): boolean {
  const set = new Set(values.filter((v) => v !== undefined));
  return set.size > 1;
}

function durationsDiffer(values: readonly (number | undefined)[]): boolean {
  const ms = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (ms.length < 2) return false;
  const lo = Math.min(...ms);
  const hi = Math.max(...ms);
  return hi - lo >= DURATION_MIN_GAP_MS && hi >= lo * DURATION_FACTOR;
}

function paramRows(details: readonly RunDetail[]): ParamRow[] {
  const rows: ParamRow[] = [];
  const push = (group: ParamRow["group"], name: string, values: (string | undefined)[]) =>
    rows.push({ group, name, values, differs: values.some((v) => v !== values[0]) });
  push(
    "version",
    "graph version",
    details.map((d) => d.run.graphVersion),
  );
  const named = (
    group: "input" | "config" | "tag",
    of: (d: RunDetail) => Readonly<Record<string, unknown>> | undefined,
    text: (v: unknown) => string,
  ) => {
    const names = [...new Set(details.flatMap((d) => Object.keys(of(d) ?? {})))].sort(naturalCompare);
    for (const name of names) {
      push(
        group,
        name,
        details.map((d) => {
          const all = of(d) ?? {};
          return Object.hasOwn(all, name) ? text(all[name]) : undefined;
        }),
      );
    }
  };
  named(
    "input",
    (d) => d.run.inputs,
    (v) => valueText(v as ValueSummary),
  );
  named(
    "config",
    (d) => d.run.config,
    (v) => valueText(v as ValueSummary),
  );
  named(
    "tag",
    (d) => d.run.tags,
    (v) => String(v),
  );
  const list = (xs: readonly string[] | undefined) => (xs === undefined || xs.length === 0 ? "–" : xs.join(", "));
  push(
    "overrides",
    "overrides",
    details.map((d) => list(d.run.overrides)),
  );
  push(
    "outputs",
    "requested outputs",
    details.map((d) => list(d.run.finalVars)),
  );
  return rows;
}

/** How a parameter row is named in the summary (`input x`, `config mode`, `tag team`, `graph version`). */
export function paramLabel(row: Pick<ParamRow, "group" | "name">): string {
  return row.group === "input" || row.group === "config" || row.group === "tag" ? `${row.group} ${row.name}` : row.name;
}

/**
 * Compares runs (the read API's `GET /api/runs/:runId` answers, in the order to show them; the
 * first is the one the others are measured against). Node runs are matched by node name and
 * task id, one per run (the index keeps each one's last attempt; of several, the last counts).
 */
export function compareRuns(details: readonly RunDetail[]): RunComparison {
  const runs: ComparedRun[] = details.map((d) => {
    const llm = (d.run as { llm?: unknown }).llm;
    return {
      runId: d.run.runId,
      projectId: d.run.projectId,
      dagName: d.run.dagName,
      graphVersion: d.run.graphVersion,
      status: d.run.status,
      startTime: d.run.startTime,
      durationMs: d.run.durationMs,
      llm: isLlm(llm) ? llm : undefined,
    };
  });
  const params = paramRows(details);
  // Each run's node runs by key (the last attempt), and each node's code version and source.
  const byKey = new Map<string, { node: string; taskId: string | undefined; offset: number }>();
  const perRun = details.map((d) => {
    const out = new Map<string, AnswerNodeRun>();
    for (const r of d.nodeRuns as readonly AnswerNodeRun[]) {
      const key = rowKey(r.node, r.taskId);
      const prev = out.get(key);
      if (prev === undefined || r.attempt >= prev.attempt) out.set(key, r);
      const offset = r.startTime - d.run.startTime;
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, { node: r.node, taskId: r.taskId, offset });
      else if (offset < seen.offset) byKey.set(key, { ...seen, offset });
    }
    return out;
  });
  const code = details.map((d) => new Map((d.template?.nodes ?? []).map((n) => [n.name, n])));
  // Nodes in the order they first started (the earliest start offset of any of their runs), a
  // fan-out's items under their node in natural task order.
  const nodeStart = new Map<string, number>();
  for (const { node, offset } of byKey.values()) nodeStart.set(node, Math.min(offset, nodeStart.get(node) ?? offset));
  const keys = [...byKey.entries()].sort(([, a], [, b]) => {
    if (a.node !== b.node) {
      const d = nodeStart.get(a.node)! - nodeStart.get(b.node)!;
      return d !== 0 ? d : naturalCompare(a.node, b.node);
    }
    if (a.taskId === undefined || b.taskId === undefined) return a.taskId === undefined ? -1 : 1;
    return naturalCompare(a.taskId, b.taskId);
  });
  const nodes: NodeRow[] = keys.map(([key, { node, taskId }]) => {
    const cells = perRun.map((m, i): NodeCell | undefined => {
      const r = m.get(key);
      if (r === undefined) return undefined;
      return {
        status: r.status,
        durationMs: r.durationMs,
        cache: r.cache,
        llm: isLlm(r.llm) ? r.llm : undefined,
        result:
          r.error !== undefined
            ? `${r.error.type}: ${r.error.message}`
            : r.status === "SUCCESS"
              ? valueText(r.result)
              : "–",
        codeVersion: code[i]!.get(node)?.version,
      };
    });
    const present = cells.filter((c): c is NodeCell => c !== undefined);
    const succeeded = present.filter((c) => c.status === "SUCCESS");
    const differs: RowDifferences = {
      status: present.length < cells.length || distinct(present.map((c) => c.status)),
      duration: durationsDiffer(present.map((c) => c.durationMs)),
      cache: distinct(present.map((c) => c.cache ?? "none")),
      llm: distinct(present.map((c) => llmText(c.llm))),
      result: distinct(succeeded.map((c) => c.result)),
      code: distinct(details.map((_, i) => code[i]!.get(node)?.version)),
    };
    return { key, node, taskId, cells, differs };
  });
  const codeChanges: CodeChange[] = [];
  for (const node of [...new Set(nodes.filter((r) => r.differs.code).map((r) => r.node))]) {
    codeChanges.push({
      node,
      versions: code.map((m) => m.get(node)?.version),
      sources: code.map((m) => m.get(node)?.source),
    });
  }
  let slowest: SlowestNode | undefined;
  let slowestMs = -1;
  for (const row of nodes) {
    for (const c of row.cells) {
      if (c?.durationMs !== undefined && c.durationMs > slowestMs) {
        slowestMs = c.durationMs;
        slowest = { key: row.key, durationsMs: row.cells.map((x) => x?.durationMs) };
      }
    }
  }
  return {
    runs,
    params,
    nodes,
    codeChanges,
    summary: {
      params: params.filter((p) => p.differs).map(paramLabel),
      codeChanged: codeChanges.map((c) => c.node),
      resultChanged: nodes.filter((r) => r.differs.result).map((r) => r.key),
      statusChanged: nodes.filter((r) => r.differs.status).map((r) => r.key),
      slowest,
      differentDags: new Set(runs.map((r) => r.dagName)).size > 1,
    },
  };
}

/** A letter per run (`A`, `B`, …), as both the page and the terminal name them. */
export function runLetter(index: number): string {
  return String.fromCharCode(65 + index);
}

/** A change of a duration against the first run's, `+100%`, `−8%`; empty for the first or a missing one. */
export function changeText(base: number | undefined, value: number | undefined): string {
  if (base === undefined || value === undefined || base <= 0) return "";
  const pct = Math.round(((value - base) / base) * 100);
  return pct === 0 ? "±0%" : pct > 0 ? `+${pct}%` : `−${-pct}%`;
}

function listText(items: readonly string[], max = 8): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/**
 * The "what changed" summary as lines of text, each `label: what` (the page shows them as a list,
 * the terminal prints them as they are).
 */
export function summaryLines(c: RunComparison): string[] {
  const s = c.summary;
  const lines: string[] = [];
  if (s.differentDags)
    lines.push(
      `DAGs: these runs are of different DAGs (${listText([...new Set(c.runs.map((r) => r.dagName))])}); nodes are matched by name`,
    );
  lines.push(
    `parameters: ${
      s.params.length === 0
        ? "the same"
        : listText(
            c.params
              .filter((p) => p.differs)
              .map((p) => `${paramLabel(p)} (${p.values.map((v) => cutText(v ?? "–", 40)).join(" → ")})`),
            6,
          )
    }`,
  );
  lines.push(`code changed: ${s.codeChanged.length === 0 ? "no node" : listText(s.codeChanged)}`);
  lines.push(
    `results changed: ${s.resultChanged.length === 0 ? "none" : `${listText(s.resultChanged)} (${s.resultChanged.length})`}`,
  );
  lines.push(
    `status changed: ${s.statusChanged.length === 0 ? "none" : `${listText(s.statusChanged)} (${s.statusChanged.length})`}`,
  );
  if (s.slowest !== undefined) {
    const base = s.slowest.durationsMs[0];
    lines.push(
      `slowest node: ${s.slowest.key}: ${s.slowest.durationsMs
        .map((ms, i) => {
          const change = i === 0 ? "" : changeText(base, ms);
          return `${runLetter(i)} ${durationText(ms)}${change === "" ? "" : ` (${change})`}`;
        })
        .join(", ")}`,
    );
  }
  return lines;
}

/** A cut of a text for one cell (values from running code can be long). */
export function cellText(text: string, max = 80): string {
  return cutText(text, max);
}

/** A field of a node cell the page marks. */
export type CellField = "status" | "duration" | "cache" | "llm" | "result";

/**
 * The fields of run `index`'s cell in `row` to mark as different: those whose value is not the
 * first run's (the first run that has the node, when the first lacks it); durations when the row's
 * durations differ (by {@link DURATION_FACTOR}) and this one is not the first run's.
 */
export function cellMarks(row: NodeRow, index: number): CellField[] {
  const cell = row.cells[index];
  const base = row.cells.find((c) => c !== undefined);
  if (cell === undefined || base === undefined) return [];
  const marks: CellField[] = [];
  if (row.differs.status && cell.status !== base.status) marks.push("status");
  if (row.differs.duration && cell !== base && durationsDiffer([base.durationMs, cell.durationMs]))
    marks.push("duration");
  if (row.differs.cache && (cell.cache ?? "none") !== (base.cache ?? "none")) marks.push("cache");
  if (row.differs.llm && llmText(cell.llm) !== llmText(base.llm)) marks.push("llm");
  if (row.differs.result && cell.result !== base.result) marks.push("result");
  return marks;
}

/** Whether run `index`'s value of a parameter differs from the first run's. */
export function paramMarked(row: ParamRow, index: number): boolean {
  return row.differs && row.values[index] !== row.values[0];
}
