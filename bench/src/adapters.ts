/**
 * The adapters the engine variants run with: a no-op observer adapter (every observer present,
 * none doing anything — the cost of the hook machinery itself), a bare-span adapter (what the raw
 * OTel baseline does per node, through the hooks) and the OpenTelemetry tracer on the bench's
 * SDK. The tracker's setup is in tracker.ts.
 */
import { context, trace, type Context } from "@opentelemetry/api";
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

/**
 * The least a tracing adapter can do: a run span, and per node a span started under it, made
 * current around the node and ended — the raw OTel baseline's work, no attributes, through the
 * engine's hooks. Beside the raw baseline it shows what the hooks and the run cost spans; beside
 * the tracer, what the tracer's own work (attributes, shared ids, checks) costs.
 */
export function bareSpanAdapter(): LifecycleAdapter {
  const sdk = otel();
  const runs = new Map<string, Context>();
  return {
    async wrapGraphExecution(event, next) {
      const parent = context.active();
      const span = sdk.tracer.startSpan("run", undefined, parent);
      const runContext = trace.setSpan(parent, span);
      runs.set(event.runId, runContext);
      try {
        return await context.with(runContext, next);
      } finally {
        runs.delete(event.runId);
        span.end();
      }
    },
    aroundNodeExecution(event, next) {
      const parent = runs.get(event.runId)!;
      const span = sdk.tracer.startSpan(event.node.name, undefined, parent);
      try {
        return context.with(trace.setSpan(parent, span), next);
      } finally {
        span.end();
      }
    },
  };
}
