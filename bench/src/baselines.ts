/**
 * The limits the engine is compared with: the same node functions called directly, in
 * topological order, each with a kwargs object built the way the engine builds it (from the
 * node's own constructor, then `kwargs[dep] = value`) — and the
 * same again with one OpenTelemetry span per node, started, made current and ended by hand.
 */
import { context, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import type { Shape } from "./shapes.js";

function initialValues(shape: Shape): unknown[] {
  const values = new Array<unknown>(Object.keys(shape.inputs).length + shape.steps.length);
  let i = 0;
  for (const key of Object.keys(shape.inputs)) values[i++] = shape.inputs[key];
  return values;
}

/** Calls every node directly; async nodes (the io shape) are started together, like `Promise.all`. */
export function runPlain(shape: Shape): unknown {
  const values = initialValues(shape);
  const base = values.length - shape.steps.length;
  const steps = shape.steps;
  let pending: Promise<void>[] | undefined;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const deps = step.deps;
    const slots = step.depSlots;
    if (pending !== undefined && slots.some((d) => d >= base && values[d] instanceof Promise)) {
      // Only the io shape's fan-in gets here: wait for the async nodes, then go on.
      return Promise.all(pending).then(() => finish(shape, values, s));
    }
    const kwargs = new step.Kwargs();
    for (let k = 0; k < deps.length; k++) kwargs[deps[k]!] = values[slots[k]!];
    const value = step.fn(kwargs);
    values[base + s] = value;
    if (value instanceof Promise) {
      (pending ??= []).push(value.then((v: unknown) => void (values[base + s] = v)));
    }
  }
  return values[values.length - 1];
}

function finish(shape: Shape, values: unknown[], from: number): unknown {
  const base = values.length - shape.steps.length;
  for (let s = from; s < shape.steps.length; s++) {
    const step = shape.steps[s]!;
    const kwargs = new step.Kwargs();
    for (let k = 0; k < step.deps.length; k++) kwargs[step.deps[k]!] = values[step.depSlots[k]!];
    values[base + s] = step.fn(kwargs);
  }
  return values[values.length - 1];
}

/**
 * The plain baseline plus one span per node, the minimum a tracer must do: `startSpan` with an
 * explicit parent (a run span), `context.with(trace.setSpan(parent, span), fn)`, `span.end()`.
 * No attributes, unless `attributes` (one object per step) is given: then each span gets its
 * step's with `setAttributes`, as the tracer does. Synchronous shapes only.
 */
export function runRawOtel(shape: Shape, tracer: Tracer, attributes?: readonly Attributes[]): unknown {
  const root = tracer.startSpan("run", undefined, context.active());
  const parent = trace.setSpan(context.active(), root);
  const values = initialValues(shape);
  const base = values.length - shape.steps.length;
  const steps = shape.steps;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const deps = step.deps;
    const slots = step.depSlots;
    const kwargs = new step.Kwargs();
    for (let k = 0; k < deps.length; k++) kwargs[deps[k]!] = values[slots[k]!];
    const span = tracer.startSpan(step.name, undefined, parent);
    if (attributes !== undefined) span.setAttributes(attributes[s]!);
    values[base + s] = context.with(trace.setSpan(parent, span), step.fn, undefined, kwargs);
    span.end();
  }
  root.end();
  return values[values.length - 1];
}

/**
 * The attributes the OpenTelemetryTracer sets on each node span of a shape (the seven it sets
 * on a node with no tags: hamilton node name, version and dependencies, `code.function.name`,
 * and Traceloop's span kind, entity and workflow names), built once per shape as the tracer
 * caches them per graph.
 */
export function nodeSpanAttributes(shape: Shape): Attributes[] {
  return shape.steps.map((step) => ({
    "hamilton.node.name": step.name,
    "hamilton.node.version": "0123456789abcdef",
    "hamilton.node.dependencies": [...step.deps],
    "code.function.name": step.name,
    "traceloop.span.kind": "task",
    "traceloop.entity.name": step.name,
    "traceloop.workflow.name": "hamilton",
  }));
}
