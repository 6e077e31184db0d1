/**
 * Command-line options: `--quick` (smaller sizes, fewer runs), `--only <substring>` (run only the
 * figures whose id contains it, e.g. `chain`, `fan/10000`, `otel`, `build`, `io`, `down-sink`),
 * `--json` (also write `bench/results/latest.json`), `--no-adapters-at-100k` (skip the adapter
 * variants on the 100,000-node shapes: about a minute less).
 */
import type { Plan } from "./measure.js";

export interface Options {
  readonly quick: boolean;
  readonly json: boolean;
  readonly only: string | undefined;
  readonly adaptersAtLargest: boolean;
  /** Sizes of the chain and fan shapes. */
  readonly sizes: readonly number[];
  /** Warm-up and timed runs of an execute at a size (adapter variants run less at 100k). */
  executePlan(size: number, adapter: boolean): Plan;
  /** Warm-up and timed runs of a graph build at a size. */
  buildPlan(size: number): Plan;
}

const USAGE = "usage: pnpm bench [--quick] [--json] [--only <substring>] [--no-adapters-at-100k]";

/** Parses `process.argv`-style arguments (turbo's `--` separator is ignored). */
export function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let json = false;
  let only: string | undefined;
  let adaptersAtLargest = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue;
    else if (arg === "--quick") quick = true;
    else if (arg === "--json") json = true;
    else if (arg === "--no-adapters-at-100k") adaptersAtLargest = false;
    else if (arg === "--only") {
      only = argv[++i];
      if (only === undefined || only.startsWith("--"))
        throw new Error(`--only needs a substring, e.g. --only chain.\n${USAGE}`);
    } else if (arg.startsWith("--only=")) only = arg.slice("--only=".length);
    else throw new Error(`Unknown option ${JSON.stringify(arg)}.\n${USAGE}`);
  }
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  return {
    quick,
    json,
    only,
    adaptersAtLargest,
    sizes,
    // The same warm-up at every size, so every node function has been called as often (and is
    // as optimised) at 100k as at 1k: per-node figures then compare sizes, not JIT tiers.
    // At 100k an adapter run takes 0.2–1.5 s (plus the tracker's flush): fewer runs keep the whole
    // bench near 5 minutes; the node functions are already hot from the baselines' warm-up.
    executePlan: (size, adapter) =>
      quick
        ? { warmup: 5, runs: 7 }
        : size >= 100_000 && adapter
          ? { warmup: 3, runs: 5 }
          : { warmup: 20, runs: size <= 1_000 ? 31 : size <= 10_000 ? 15 : 5 },
    buildPlan: (size) =>
      quick
        ? { warmup: 1, runs: 3 }
        : size <= 1_000
          ? { warmup: 5, runs: 11 }
          : size <= 10_000
            ? { warmup: 2, runs: 7 }
            : { warmup: 0, runs: 3 },
  };
}

/** True when a figure with this id should run. */
export function selected(options: Options, id: string): boolean {
  return options.only === undefined || id.includes(options.only);
}
