/**
 * The adapters the engine variants run with: a no-op observer adapter (every observer present,
 * none doing anything — the cost of the hook machinery itself) and the OpenTelemetry tracer on
 * the bench's SDK. The tracker's setup is in tracker.ts.
 */
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { otel } from "./otel.js";

/** Every observer hook, each doing nothing, and no wrapper: the cost of the observer machinery. */
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


