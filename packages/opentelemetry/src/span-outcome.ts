/**
 * What a span records when its node or run ends: a failure (exception event, ERROR status,
 * `error.type`, all redacted and cut), a node's attempt number and warnings; and ending a span
 * whose recording failed.
 *
 * @module
 */
import { SpanStatusCode } from "@opentelemetry/api";
import type { Exception, Span } from "@opentelemetry/api";
import { MAX_NODE_WARNINGS } from "@hamilton-ts/lifecycle";
import type { NodeExecutionEvent, NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";
import { redactAndCut, typeName } from "@hamilton-ts/lifecycle/internal";
import {
  ATTR_ERROR_TYPE,
  ATTR_NODE_ATTEMPT,
  ATTR_WARNING_MESSAGE,
  ATTR_WARNINGS_DROPPED,
  ERROR_TYPE_OTHER,
  EVENT_WARNING,
} from "./attribute-names.js";

/** A stack trace keeps up to this many times `maxValueLength` characters (its frames matter). */
const STACK_LENGTH_FACTOR = 4;

/**
 * semconv `error.type`: the error's class. `name` when a class set it (`BoomError`), else the
 * constructor's name (many libraries, openai's included, leave `name` as "Error").
 */
function errorType(error: Error): string {
  if (error.name && error.name !== "Error") return error.name;
  const name = typeName(error, "Error");
  return name === "Object" ? "Error" : name;
}

/** A property of a thrown value read as text, or undefined; a throwing getter reads as undefined. */
function textProperty(error: Error, key: "message" | "stack"): string | undefined {
  try {
    const value: unknown = error[key];
    return value === undefined || value === null ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/**
 * Records a failure on a span: exception event, ERROR status with the message, `error.type`.
 * Everything written is redacted by the shared rule and cut: the message to `max` characters,
 * the stack to {@link STACK_LENGTH_FACTOR} times that. A thrown value that is not an Error is
 * described by `describe` (serialized, redacted, truncated).
 */
export function recordFailure(span: Span, error: unknown, describe: (value: unknown) => string, max: number): void {
  if (error instanceof Error) {
    const message = redactAndCut(textProperty(error, "message") ?? "", max);
    const stack = textProperty(error, "stack");
    const code = (error as { code?: unknown }).code;
    const exception: Exception = {
      name: error.name,
      message,
      ...(stack !== undefined ? { stack: redactAndCut(stack, max * STACK_LENGTH_FACTOR) } : {}),
      ...(typeof code === "string" || typeof code === "number"
        ? { code: typeof code === "string" ? redactAndCut(code, max) : code }
        : {}),
    };
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    return;
  }
  const message = describe(error);
  span.recordException({ name: ERROR_TYPE_OTHER, message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_OTHER);
}

/**
 * Ends a node span, first adding what the completed event tells: the attempt number (a retrying
 * wrapper outside the tracer counts attempts up inside next()) and warnings as span events (at
 * most 100, redacted and cut to `max` characters; the rest counted in an attribute). The wrapper's event is the after-event too: one object
 * per node run, now completed.
 */
export function endNodeSpan(span: Span, event: NodeExecutionEvent, max: number): void {
  if (event.attempt > 1) span.setAttribute(ATTR_NODE_ATTEMPT, event.attempt);
  const warnings = (event as Partial<NodeExecutionResultEvent>).warnings;
  if (warnings !== undefined) recordWarnings(span, warnings, event as Partial<NodeExecutionResultEvent>, max);
  span.end();
}

/** Warnings as span events (off the per-node path: most node runs have none). */
function recordWarnings(
  span: Span,
  warnings: readonly string[],
  event: Partial<NodeExecutionResultEvent>,
  max: number,
): void {
  const kept = Math.min(warnings.length, MAX_NODE_WARNINGS);
  for (let i = 0; i < kept; i++)
    span.addEvent(EVENT_WARNING, { [ATTR_WARNING_MESSAGE]: redactAndCut(String(warnings[i]), max) });
  const dropped = warnings.length - kept + (event.warningsDropped ?? 0);
  if (dropped > 0) span.setAttribute(ATTR_WARNINGS_DROPPED, dropped);
}

/**
 * Ends a span after recording on it failed, so it is still exported (a run span that never ends
 * takes its whole trace with it); a span whose `end()` itself throws is left as it is (the failure
 * is already reported, and ending an ended span is a no-op).
 */
export function endQuietly(span: Span): void {
  try {
    span.end();
  } catch {
    // Already reported: the span is broken.
  }
}
