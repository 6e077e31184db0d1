/**
 * The `store/…` figures of the bench: their rows, their targets (from the store's issue, "Numbers")
 * and how the report shows them. Every row is one figure with its target and ✓/✗; a row without
 * a target is context; a row whose figure could not be measured (an endpoint the server does not
 * serve yet, team mode not available) says why and counts as not met, or as skipped.
 */
import type { TargetCheck } from "./results.js";
import { table } from "./table.js";

/** Targets, from the store's issue. */
export const STORE_TARGETS = {
  /** Start to first answer, the index present (a second start), ms. */
  startMs: 3_000,
  /** Resident memory of the server process, MB. */
  rssMB: 500,
  /** Newest 100 runs with project + DAG + status filters, ms. */
  listMs: 30,
  /** The list over 10,000 runs, ms, and at most this times its time over 1,000 runs. */
  list10kMs: 60,
  listGrowth: 3,
  /** `GET /api/runs/:id` of a run of 10,000 node runs, ms. */
  runMs: 300,
  /** `GET /api/traces/:id`, ms. */
  traceMs: 20,
  /** A node's history over its last 10,000 runs, ms. */
  historyMs: 100,
  /** `GET /api/activity` over the whole store, ms. */
  activityMs: 200,
  /** Ingest through the server ÷ written directly. */
  ingestRatio: 0.5,
  /** Last acknowledged write to its appearance in `GET /api/runs`, ms, at ~10,000 node runs/s. */
  lagMs: 2_000,
} as const;

/** One row of the `store/…` section. */
export interface StoreRow {
  readonly id: string;
  /** What is measured, in a few words. */
  readonly what: string;
  /** The figure as printed (`12.3 ms`, `0.61×`, `skipped: …`). */
  readonly figure: string;
  /** Context printed beside it (first answer, sizes, rates). */
  readonly detail: string;
  /** The target as printed (`≤ 30 ms`); "" for context rows. */
  readonly target: string;
  /** Met or not; undefined for a context row or a skipped one. */
  readonly ok: boolean | undefined;
  /** The raw numbers behind the row, for `--json`. */
  readonly values: Readonly<Record<string, number | string | boolean | undefined>>;
}

export interface StoreFigures {
  /** Runs in the large store (the `--quick` size or 100,000), and how it was made. */
  readonly store: Readonly<Record<string, number | string>> | undefined;
  readonly rows: readonly StoreRow[];
  readonly notes: readonly string[];
}

/** `1,234`, `12.3`, `1.23`: digits by size. */
export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export const count = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const mark = (ok: boolean | undefined) => (ok === undefined ? "–" : ok ? "✓" : "✗");

/** The report's markdown for the `store/…` figures. */
export function renderStore(figures: StoreFigures): string {
  const out = ["### hamilton-ts-ui's store: reads, memory and ingest over a large store", ""];
  if (figures.store !== undefined) {
    const s = figures.store;
    out.push(
      `Store: ${count(Number(s.runs))} runs, ${count(Number(s.nodeRuns))} node runs, ${count(Number(s.spans))} spans ` +
        `(${s.source}); the server runs in a child process (\`startUi\` of the built package).`,
      "",
    );
  }
  out.push(
    table(
      ["id", "what", "figure", "detail", "target", ""],
      figures.rows.map((r) => [r.id, r.what, r.figure, r.detail, r.target, mark(r.ok)]),
      [false, false, true, false, false, false],
    ),
    "",
  );
  for (const note of figures.notes) out.push(`- ${note}`);
  if (figures.notes.length > 0) out.push("");
  return out.join("\n");
}

/** The target checks of the `store/…` figures (rows with a target that were measured or failed). */
export function storeTargets(figures: StoreFigures): TargetCheck[] {
  return figures.rows
    .filter((r) => r.ok !== undefined)
    .map((r) => ({ name: `${r.id}: ${r.what}`, figure: r.figure, limit: r.target, ok: r.ok! }));
}
