/** The `ui/…` figures of the bench: their shapes, their targets, and how the report shows them. */
import type { TargetCheck } from "./results.js";
import { table } from "./table.js";

/** Ingest through the server ÷ direct writes: at least this. */
export const UI_INGEST_RATIO = 0.5;
/** `GET /api/runs` over 10,000 runs, ms. */
export const UI_LIST_MS = 200;
/** `GET /api/runs/:runId` of a 10,000-node run, ms. */
export const UI_RUN_MS = 300;

/** One ingest figure: the same records through the server and written directly. */
export interface UiIngestFigure {
  readonly id: string;
  /** What the row measures, in a few words. */
  readonly label: string;
  readonly unit: "node runs" | "spans";
  readonly items: number;
  /** Median time through the server, ms. */
  readonly serverMs: number;
  /** Median time written directly, ms. */
  readonly directMs: number;
  readonly serverPerSecond: number;
  readonly directPerSecond: number;
  /** serverPerSecond ÷ directPerSecond. */
  readonly ratio: number;
  readonly direct: string;
  /** True for the figures checked against the target; false for a context row. */
  readonly target: boolean;
}

/** One read figure. */
export interface UiReadFigure {
  readonly id: string;
  readonly label: string;
  /** `startUi` until listening, the store's index built, ms. */
  readonly startupMs: number;
  /** The first answer after start-up, ms. */
  readonly firstMs: number;
  /** Median answer, ms. */
  readonly medianMs: number;
  readonly limitMs: number;
}

export interface UiFigures {
  readonly ingest: readonly UiIngestFigure[];
  readonly reads: readonly UiReadFigure[];
}

/** An ingest figure with its rates and their ratio computed from its times. */
export function ingestFigure(
  fields: Omit<UiIngestFigure, "serverPerSecond" | "directPerSecond" | "ratio">,
): UiIngestFigure {
  const serverPerSecond = (fields.items * 1000) / fields.serverMs;
  const directPerSecond = (fields.items * 1000) / fields.directMs;
  return { ...fields, serverPerSecond, directPerSecond, ratio: serverPerSecond / directPerSecond };
}

const mark = (ok: boolean) => (ok ? "✓" : "✗");
const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The report's markdown for the `ui/…` figures. */
export function render(figures: UiFigures): string {
  const out: string[] = [];
  if (figures.ingest.length > 0) {
    out.push("### hamilton-ts-ui: ingest, through the server vs written directly", "");
    out.push(
      table(
        [
          "id",
          "what",
          "items",
          "through the server /s",
          "written directly /s",
          "directly with",
          "ratio",
          `target ≥ ${UI_INGEST_RATIO}×`,
        ],
        figures.ingest.map((f) => [
          f.id,
          f.label,
          `${n(f.items)} ${f.unit}`,
          n(f.serverPerSecond),
          n(f.directPerSecond),
          f.direct,
          `${n(f.ratio, 2)}×`,
          f.target ? mark(f.ratio >= UI_INGEST_RATIO) : "context",
        ]),
        [false, false, true, true, true, false, true, false],
      ),
      "",
    );
  }
  if (figures.reads.length > 0) {
    out.push("### hamilton-ts-ui: the read API over a large store", "");
    out.push(
      table(
        ["id", "request", "start-up ms", "first ms", "median ms", "target"],
        figures.reads.map((f) => [
          f.id,
          f.label,
          n(f.startupMs),
          n(f.firstMs),
          n(f.medianMs),
          `≤ ${f.limitMs} ms ${mark(f.medianMs <= f.limitMs)}`,
        ]),
        [false, false, true, true, true, false],
      ),
      "",
    );
  }
  return out.join("\n");
}

/** The target checks of the `ui/…` figures. */
export function targets(figures: UiFigures): TargetCheck[] {
  return [
    ...figures.ingest
      .filter((f) => f.target)
      .map((f) => ({
        name: `${f.id}: through the server ÷ ${f.direct}`,
        figure: `${n(f.ratio, 2)}×`,
        limit: `≥ ${UI_INGEST_RATIO}×`,
        ok: f.ratio >= UI_INGEST_RATIO,
      })),
    ...figures.reads.map((f) => ({
      name: `${f.id}: ${f.label}`,
      figure: `${n(f.medianMs)} ms`,
      limit: `≤ ${f.limitMs} ms`,
      ok: f.medianMs <= f.limitMs,
    })),
  ];
}
