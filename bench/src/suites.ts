/**
 * The three suites: graph build per shape and size, every variant on every shape and size, and
 * the I/O-bound fan-out. Each returns figures; printing is the table's job.
 */
import { Builder } from "@hamilton-ts/core";
import { collect, measure, measureSync } from "./measure.js";
import { selected, type Options } from "./options.js";
import { executeFigure, type BuildFigure, type ExecuteFigure, type IoFigure } from "./results.js";
import { makeShape, ioFan, type Shape } from "./shapes.js";
import { runPlain } from "./baselines.js";
import { engineRunner, VARIANTS } from "./variants.js";
import type { Stats } from "./measure.js";

const SHAPES = ["chain", "fan"] as const;

/** Progress, on stderr (the report goes to stdout). */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function checker(shape: Shape): (value: unknown) => void {
  return (value) => {
    if (value !== shape.expected) {
      throw new Error(
        `${shape.kind} ${shape.nodes}: got ${String(value)}, expected ${shape.expected} — the run computed the wrong value.`,
      );
    }
  };
}

/** Graph build time for each shape and size, on fresh functions every time (no signature cache hits). */
export function buildSuite(options: Options): BuildFigure[] {
  const figures: BuildFigure[] = [];
  for (const kind of SHAPES) {
    for (const size of options.sizes) {
      if (!selected(options, `build/${kind}/${size}`)) continue;
      log(`build ${kind} ${size}…`);
      let nodes = 0;
      const stats = measureSync(
        () => {
          const shape = makeShape(kind, size);
          nodes = shape.nodes;
          return shape;
        },
        (shape) => void new Builder().withModules(shape.module).build(),
        options.buildPlan(size),
      );
      figures.push({ shape: kind, size, nodes, stats, usPerNode: (stats.medianMs * 1000) / nodes });
    }
  }
  return figures;
}

/** Every variant on every shape and size, in one process. */
export async function executeSuite(options: Options, notes: string[]): Promise<ExecuteFigure[]> {
  const figures: ExecuteFigure[] = [];
  const largest = Math.max(...options.sizes);
  let skippedLargest = false;
  for (const kind of SHAPES) {
    for (const size of options.sizes) {
      const chosen = new Set(
        VARIANTS.filter((v) => selected(options, `execute/${kind}/${size}/${v.id}`)).map((v) => v.id),
      );
      if (chosen.size === 0) continue;
      // The ratios need their references: plain and engine always, raw OTel (and the bare-span
      // adapter, which splits the tracer's cost) for the tracer.
      chosen.add("plain").add("engine");
      if (chosen.has("otel")) chosen.add("raw-otel").add("raw-otel-attrs").add("span");
      if (chosen.has("both")) chosen.add("raw-otel-attrs");
      const variants = VARIANTS.filter((v) => chosen.has(v.id));
      const shape = makeShape(kind, size);
      const check = checker(shape);
      let plain: Stats | undefined;
      let engine: Stats | undefined;
      for (const variant of variants) {
        if (!variant.applies(shape)) continue;
        const base = { shape: kind, size, nodes: shape.nodes, variant: variant.id, label: variant.label };
        if (variant.adapter && size === largest && size >= 100_000 && !options.adaptersAtLargest) {
          skippedLargest = true;
          figures.push(executeFigure(base, undefined, "--no-adapters-at-100k", plain, engine));
          continue;
        }
        collect();
        const runner = await variant.prepare(shape);
        log(`execute ${kind} ${size} ${variant.id}…`);
        const subject =
          runner.after === undefined ? { run: runner.run, check } : { run: runner.run, after: runner.after, check };
        const stats = await measure(subject, options.executePlan(size, variant.adapter));
        await runner.dispose?.();
        if (variant.id === "plain") plain = stats;
        if (variant.id === "engine") engine = stats;
        figures.push(executeFigure(base, stats, undefined, plain, engine));
      }
    }
  }
  if (skippedLargest) {
    notes.push(
      `The adapter variants were skipped at ${largest.toLocaleString("en-US")} nodes (--no-adapters-at-100k).`,
    );
  }
  return figures;
}

/** 1,000 nodes each awaiting 20 ms, without a limit and with `withMaxConcurrency(100)`. */
export async function ioSuite(options: Options): Promise<IoFigure[]> {
  const nodes = 1_000;
  const delay = 20;
  const plan = options.quick ? { warmup: 2, runs: 5 } : { warmup: 3, runs: 11 };
  const shape = ioFan(nodes, delay);
  const check = checker(shape);
  const cases = [
    { id: "io/plain", label: "plain: start all, Promise.all", runner: { run: () => runPlain(shape) }, ideal: delay },
    { id: "io/engine", label: "engine, no limit", runner: engineRunner(shape), ideal: delay },
    {
      id: "io/engine-max100",
      label: "engine, withMaxConcurrency(100)",
      runner: engineRunner(shape, 100),
      ideal: Math.ceil(nodes / 100) * delay,
    },
  ];
  const figures: IoFigure[] = [];
  for (const c of cases) {
    if (!selected(options, c.id)) continue;
    log(`${c.id}…`);
    const stats = await measure({ run: c.runner.run, check }, plan);
    figures.push({ id: c.id, label: c.label, nodes: shape.nodes, stats, idealMs: c.ideal });
  }
  return figures;
}
