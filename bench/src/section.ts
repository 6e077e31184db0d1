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
