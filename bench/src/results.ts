/**
 * The figures the bench produces, as written to `results/latest.json`, and the derived per-node
 * costs and ratios.
 */
import type { FanoutFigure } from "./fanout.js";
import type { Stats } from "./measure.js";
import type { VariantId } from "./variants.js";

/** Graph build of one shape at one size. */
export interface BuildFigure {
  readonly shape: string;
  /** The nominal size (1,000 / 10,000 / 100,000). */
  readonly size: number;
  /** Function nodes (the fan has one more: `total`). */
  readonly nodes: number;
  readonly stats: Stats;
  readonly usPerNode: number;
}

/** One variant on one shape at one size; `skipped` says why there is no figure. */
export interface ExecuteFigure {
  readonly shape: string;
  /** The nominal size (1,000 / 10,000 / 100,000). */
  readonly size: number;
  /** Function nodes (the fan has one more: `total`). */
  readonly nodes: number;
  readonly variant: VariantId;
  readonly label: string;
  readonly stats: Stats | undefined;
  readonly skipped: string | undefined;
  /** Median run time per node, µs. */
  readonly usPerNode: number | undefined;
  /** Per-node cost over the plain baseline, µs. */
  readonly overUsPerNode: number | undefined;
  /** Per-node cost over the bare engine (adapter variants), µs. */
  readonly adapterUsPerNode: number | undefined;
  /** Run time relative to the plain baseline (×). */
  readonly vsPlain: number | undefined;
  /** Run time relative to the bare engine (×). */
  readonly vsEngine: number | undefined;
}

/** The I/O-bound fan-out. */
export interface IoFigure {
  readonly id: string;
  readonly label: string;
  readonly nodes: number;
  readonly stats: Stats;
  /** The least time possible: waves of `delayMs` (1 wave without a limit). */
  readonly idealMs: number;
}

/** The tracker under a sink whose writes always fail. */
export interface DownSinkFigure {
  readonly runs: number;
  readonly nodesPerRun: number;
  readonly heapBeforeMB: number;
  readonly heapAfterMB: number;
  /** Heap after the first quarter of the runs: bounded means the rest add (about) nothing. */
  readonly heapQuarterMB: number;
  readonly totalMs: number;
  readonly note: string;
}

/** A run that hits the cache everywhere against the same run uncached. */
export interface CacheFigure {
  readonly id: string;
  readonly shape: string;
  readonly nodes: number;
  /** Median run of the engine without a cache, ms. */
  readonly uncachedMs: number;
  /** Median run of the engine with a cache that holds every node, ms. */
  readonly cachedMs: number;
  readonly cachedUsPerNode: number;
  /** (cached − uncached) / nodes, µs: what a hit costs over running the node. */
  readonly overUsPerNode: number;
  /** cached / uncached. */
  readonly ratio: number;
  /** Hits in the last cached run (should be every node). */
  readonly hits: number;
}

/** `fingerprint(value)` against SHA-256 over the value's bytes. */
export interface FingerprintFigure {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  readonly ms: number;
  readonly hashMs: number;
  /** ms / hashMs. */
  readonly ratio: number;
}

/** One target with its figure. */
export interface TargetCheck {
  readonly name: string;
  readonly figure: string;
  readonly limit: string;
  readonly ok: boolean | undefined;
}

/** Everything, as written with `--json`. */
export interface Results {
  readonly machine: Record<string, string | number>;
  readonly options: Record<string, unknown>;
  readonly build: BuildFigure[];
  readonly execute: ExecuteFigure[];
  readonly io: IoFigure[];
  readonly fanout: FanoutFigure[];
  readonly downSink: DownSinkFigure | undefined;
  readonly cache?: CacheFigure[];
  readonly fingerprint?: FingerprintFigure[];
  targets: TargetCheck[];
  readonly notes: string[];
}

/** Completes an execute figure with its per-node costs and ratios against the baselines measured. */
export function executeFigure(
  base: { shape: string; size: number; nodes: number; variant: VariantId; label: string },
  stats: Stats | undefined,
  skipped: string | undefined,
  plain: Stats | undefined,
  engine: Stats | undefined,
): ExecuteFigure {
  const perNode = (ms: number) => (ms * 1000) / base.nodes;
  const adapterVariant = base.variant !== "plain" && !base.variant.startsWith("raw-otel") && base.variant !== "engine";
  return {
    ...base,
    stats,
    skipped,
    usPerNode: stats && perNode(stats.medianMs),
    overUsPerNode: stats && plain && base.variant !== "plain" ? perNode(stats.medianMs - plain.medianMs) : undefined,
    adapterUsPerNode: stats && engine && adapterVariant ? perNode(stats.medianMs - engine.medianMs) : undefined,
    vsPlain: stats && plain && base.variant !== "plain" ? stats.medianMs / plain.medianMs : undefined,
    vsEngine: stats && engine && adapterVariant ? stats.medianMs / engine.medianMs : undefined,
  };
}
