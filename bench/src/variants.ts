/**
 * The ways each shape is run: two baselines (plain calls, plain calls + raw OpenTelemetry spans)
 * and the engine bare or with adapters. A variant prepares a runner for one shape; the runner's
 * `run` is what gets timed — for variants that make spans, including the span export
 * (`forceFlush`) — and its `after` (tracker flush, span-count check) is timed separately.
 */
import { Builder } from "@hamilton-ts/core";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { bareSpanAdapter, noopObservers, tracer } from "./adapters.js";
import { makeTracker } from "./tracker.js";
import { nodeSpanAttributes, runPlain, runRawOtel } from "./baselines.js";
import { otel } from "./otel.js";
import type { Shape } from "./shapes.js";

/** One prepared variant on one shape. */
export interface Runner {
  /** One run; returns (or resolves to) the shape's final value. */
  run(): unknown;
  /** Work owed after a run (flushing the tracker, checking spans); not part of the run's time. */
  after?(): Promise<void>;
  /** Releases what `prepare` created. */
  dispose?(): Promise<void>;
}

/** A way of running a shape. */
export interface Variant {
  readonly id: VariantId;
  readonly label: string;
  /** True when it runs the engine with an adapter (the variants skipped at the largest sizes). */
  readonly adapter: boolean;
  /** Which shapes it applies to. */
  applies(shape: Shape): boolean;
  /** Builds what the runs need (a driver, a tracker, …). */
  prepare(shape: Shape): Promise<Runner>;
}

export type VariantId =
  | "plain"
  | "raw-otel"
  | "raw-otel-attrs"
  | "engine"
  | "noop"
  | "span"
  | "otel"
  | "tracker"
  | "both";

const syncOnly = (shape: Shape) => shape.kind !== "io";

function engine(shape: Shape, adapters: readonly LifecycleAdapter[], maxConcurrency = Infinity) {
  let builder = new Builder().withModules(shape.module).withAdapters(...adapters);
  if (maxConcurrency !== Infinity) builder = builder.withMaxConcurrency(maxConcurrency);
  const dr = builder.build();
  const finalVars = [shape.finalVar];
  const options = { inputs: shape.inputs };
  return () =>
    dr.execute(finalVars as never[], options).then((out) => (out as Record<string, unknown>)[shape.finalVar]);
}

/** The engine on an I/O shape, with an optional concurrency limit. */
export function engineRunner(shape: Shape, maxConcurrency = Infinity): Runner {
  return { run: engine(shape, [], maxConcurrency) };
}

const spans = (shape: Shape) => shape.nodes + 1; // one per node + the run span

/** A run that makes spans, followed by the span export it owes (timed with it, see OtelSetup). */
export function traced(run: () => Promise<unknown>): () => Promise<unknown> {
  const sdk = otel();
  return async () => {
    const value = await run();
    await sdk.forceFlush();
    return value;
  };
}

/** The raw OpenTelemetry baseline, with or without the tracer's node attributes. */
function rawOtel(id: "raw-otel" | "raw-otel-attrs", label: string, withAttributes: boolean): Variant {
  return {
    id,
    label,
    adapter: false,
    applies: syncOnly,
    prepare: async (shape) => {
      const sdk = otel();
      const attributes = withAttributes ? nodeSpanAttributes(shape) : undefined;
      return {
        run: traced(async () => runRawOtel(shape, sdk.tracer, attributes)),
        after: () => sdk.check(spans(shape)),
      };
    },
  };
}

/** The engine with one adapter that makes a span per node (and one per run), checked after each run. */
function spanning(id: "span" | "otel", label: string, adapter: () => LifecycleAdapter): Variant {
  return {
    id,
    label,
    adapter: true,
    applies: syncOnly,
    prepare: async (shape) => {
      const sdk = otel();
      return { run: traced(engine(shape, [adapter()])), after: () => sdk.check(spans(shape)) };
    },
  };
}

export const VARIANTS: readonly Variant[] = [
  {
    id: "plain",
    label: "plain function calls",
    adapter: false,
    applies: () => true,
    prepare: async (shape) => ({ run: () => runPlain(shape) }),
  },
  rawOtel("raw-otel", "plain calls + raw OTel span each", false),
  rawOtel("raw-otel-attrs", "… + the tracer's 7 node attributes", true),
  {
    id: "engine",
    label: "engine, no adapter",
    adapter: false,
    applies: () => true,
    prepare: async (shape) => ({ run: engine(shape, []) }),
  },
  {
    id: "noop",
    label: "engine + no-op observers",
    adapter: true,
    applies: syncOnly,
    prepare: async (shape) => ({ run: engine(shape, [noopObservers()]) }),
  },
  spanning("span", "engine + bare-span adapter (no attributes)", bareSpanAdapter),
  spanning("otel", "engine + OpenTelemetryTracer", tracer),
  {
    id: "tracker",
    label: "engine + HamiltonTracker (FileSink)",
    adapter: true,
    applies: syncOnly,
    prepare: async (shape) => {
      const kit = await makeTracker();
      return { run: engine(shape, [kit.adapter]), after: () => kit.flush(), dispose: () => kit.dispose() };
    },
  },
  {
    id: "both",
    label: "engine + tracer + tracker",
    adapter: true,
    applies: syncOnly,
    prepare: async (shape) => {
      const kit = await makeTracker();
      const sdk = otel();
      // The tracer first (outermost), so the tracker's observers see the node's span ids.
      return {
        run: traced(engine(shape, [tracer(), kit.adapter])),
        after: async () => {
          await kit.flush();
          await sdk.check(spans(shape));
        },
        dispose: () => kit.dispose(),
      };
    },
  },
];
