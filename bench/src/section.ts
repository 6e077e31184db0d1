/**
 * A suite that prints its own section of the report: its figures (for `--json`), its markdown
 * (a table with ✓/✗ against its targets) and its target checks. `main.ts` runs each such suite in
 * turn and prints its section after the main tables.
 */
import type { Options } from "./options.js";
import type { TargetCheck } from "./results.js";

export interface Section {
  /** The section's key in `results/latest.json` (`sections.<id>`). */
  readonly id: string;
  readonly figures: unknown;
  readonly markdown: string;
  readonly targets: readonly TargetCheck[];
}

/** A suite with its own section; resolves to undefined when `--only` selects none of its figures. */
export type SectionSuite = (options: Options) => Promise<Section | undefined>;

/** One row of a section's table: what is measured, the figure as printed, its target, met or not. */
export interface TargetRow {
  readonly what: string;
  readonly figure: string;
  /** `≤ 2×`, `≥ 10×`; anything else (`(for comparison)`) is context, not a target. */
  readonly target: string;
  readonly ok: boolean;
}

/**
 * A section of rows: a markdown table under `title` with the `notes` below it, the rows as its
 * figures, and a target check for each row whose target is a bound (`≤`/`≥`).
 */
export function rowsSection(id: string, title: string, rows: readonly TargetRow[], notes: readonly string[]): Section {
  const markdown = [
    `### ${title}`,
    "",
    "| row | figure | target | |\n|---|---:|---|---|",
    ...rows.map((r) => `| ${r.what} | ${r.figure} | ${r.target} | ${r.ok ? "✓" : "✗"} |`),
    "",
    ...notes.map((note) => `- ${note}`),
    "",
  ].join("\n");
  return {
    id,
    figures: rows,
    markdown,
    targets: rows
      .filter((r) => r.target.startsWith("≤") || r.target.startsWith("≥"))
      .map((r) => ({ name: `${id}: ${r.what}`, figure: r.figure, limit: r.target, ok: r.ok })),
  };
}
