/**
 * Terminal output of `hamilton-ts-ui runs` and `hamilton-ts-ui show <runId>`: plain text, one line
 * per run or node run, and the trace as an indented tree.
 */
import type { RunDetail, RunSummary } from "./read-api.js";
import type { SpanView } from "./traces.js";

function time(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Control characters (terminal escapes among them) shown as `\xNN`: a value cannot drive the terminal. */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Rows as columns padded to their widest cell, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The runs list as a table, newest first. */
export function formatRuns(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return "No runs in the store.\n";
  const rows = [["RUN", "PROJECT", "DAG", "STATUS", "START", "DURATION", "NODES", "FAILED"]];
  for (const r of runs) {
    rows.push([
      clean(r.runId),
      clean(r.projectId),
      clean(r.dagName),
      r.status,
      time(r.startTime),
      duration(r.endTime === undefined ? undefined : r.endTime - r.startTime),
      String(r.nodeCount),
      String(r.failedCount),
    ]);
  }
  return `${table(rows)}\n`;
}

/** A run: its header, its node runs in start order, and each of its traces as a tree. */
export function formatRun(detail: RunDetail, spans: readonly SpanView[]): string {
  const { run } = detail;
  const lines = [
    `Run ${clean(run.runId)} · project ${clean(run.projectId)} · ${clean(run.dagName)} · ${run.status}`,
    `  started ${time(run.startTime)}, ${run.finished ? `took ${duration(run.durationMs)}` : "not finished"}`,
  ];
  if (run.error !== undefined) lines.push(`  error: ${clean(`${run.error.type}: ${run.error.message}`)}`);
  lines.push("", "Node runs:");
  const nodes = [...detail.nodeRuns].sort((a, b) => a.startTime - b.startTime);
  const rows = [["NODE", "TASK", "STATUS", "START", "DURATION", "SPAN"]];
  for (const n of nodes) {
    rows.push([
      clean(n.node),
      clean(n.taskId ?? "-"),
      n.status,
      `+${duration(n.startTime - run.startTime)}`,
      duration(n.durationMs),
      clean(n.spanId ?? "-"),
    ]);
  }
  lines.push(nodes.length === 0 ? "  (none)" : table(rows).replace(/^/gm, "  "));
  for (const n of nodes) {
    if (n.error !== undefined) lines.push(`  ${clean(n.node)} failed: ${clean(`${n.error.type}: ${n.error.message}`)}`);
  }
  if (spans.length > 0) {
    lines.push("", "Trace:");
    const ids = new Set(spans.map((s) => s.spanId));
    const children = new Map<string | undefined, SpanView[]>();
    for (const s of spans) {
      const parent =
        s.parentSpanId !== undefined && s.parentSpanId !== s.spanId && ids.has(s.parentSpanId)
          ? s.parentSpanId
          : undefined;
      children.set(parent, [...(children.get(parent) ?? []), s]);
    }
    // Each span once: a repeated span id, or parents that form a cycle, cannot repeat or recurse.
    const printed = new Set<SpanView>();
    const walk = (parent: string | undefined, depth: number) => {
      for (const s of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
        if (printed.has(s)) continue;
        printed.add(s);
        const status = s.status.code === 2 ? ` ERROR${s.status.message ? ` ${clean(s.status.message)}` : ""}` : "";
        lines.push(`  ${"  ".repeat(depth)}${clean(s.name)} (${duration(s.durationMs)})${status}`);
        walk(s.spanId, depth + 1);
      }
    };
    walk(undefined, 0);
    // Spans only reachable through a cycle of parents: each cycle from its earliest span, as a root.
    for (const s of [...spans].sort((a, b) => a.startTime - b.startTime)) {
      if (printed.has(s)) continue;
      printed.add(s);
      lines.push(`  ${clean(s.name)} (${duration(s.durationMs)}) (its parents form a cycle)`);
      walk(s.spanId, 1);
    }
  }
  return `${lines.join("\n")}\n`;
}
