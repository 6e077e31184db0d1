/**
 * The adapters the engine variants run with: a no-op observer adapter (every observer present,
 * none doing anything — the cost of the hook machinery itself), the OpenTelemetry tracer on the
 * bench's SDK, and the tracker writing to a FileSink in a temporary directory.
 */
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { otel } from "./otel.js";
import { makeTracker, type TrackerKit } from "./tracker.js";

/** Every observer hook, each doing nothing. No wrappers: a wrapper would make sync nodes async. */
export function noopObservers(): LifecycleAdapter {
  return {
    afterGraphConstruction() {},
    beforeGraphExecution() {},
    afterGraphExecution() {},
    beforeNodeExecution() {},
    afterNodeExecution() {},
  };
}

/** The tracer on the bench's provider (batch processor, in-memory exporter). */
export function tracer(): LifecycleAdapter {
  return new OpenTelemetryTracer({ tracer: otel().tracer });
}

/** A tracker with a FileSink in a fresh temporary directory. */
export function tracker(): Promise<TrackerKit> {
  return makeTracker();
}
