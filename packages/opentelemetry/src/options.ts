import type { Attributes, Tracer } from "@opentelemetry/api";
import type { GraphExecutionEvent } from "@hamilton-ts/lifecycle";

/** Options of {@link OpenTelemetryTracer}. All are optional. */
export interface OpenTelemetryTracerOptions {
  /**
   * The tracer to start spans with. Default: `trace.getTracer(tracerName)` from the global
   * provider, which is what an app that called `NodeTracerProvider.register()` or Traceloop's
   * `initialize()` wants. Give either `tracer` or `tracerName`, not both.
   */
  readonly tracer?: Tracer;
  /**
   * The instrumentation scope name for the global tracer. Default `"@hamilton-ts/opentelemetry"`.
   * (A Traceloop span processor created with `createSpanProcessor` drops scopes it does not
   * know: pass it `allowedInstrumentationLibraries: "all"` or this name.)
   */
  readonly tracerName?: string;
  /** The instrumentation scope version for the global tracer. Default: none. */
  readonly tracerVersion?: string;
  /**
   * The run span's name, or a function of the run event that returns it. Default
   * `"hamilton.run"`. Hamilton's Python tracer names the run span after the run id; a constant
   * name groups runs in every backend, and the run id is in `hamilton.run_id`.
   */
  readonly graphSpanName?: string | ((event: GraphExecutionEvent) => string);
  /**
   * The workflow name Traceloop shows (`traceloop.workflow.name` on every span, and
   * `traceloop.entity.name` on the run span). Default `"hamilton"`. Name it after your dataflow.
   */
  readonly workflowName?: string;
  /**
   * Records the run's inputs and each node's arguments as `traceloop.entity.input` (JSON).
   * Default false: values can hold secrets and personal data. Keys that look like secrets are
   * redacted and class instances are recorded by name only, but review what you record.
   */
  readonly recordInputs?: boolean;
  /**
   * Records the run's results and each node's value as `traceloop.entity.output` (JSON).
   * Default false, for the same reasons as {@link recordInputs}.
   */
  readonly recordOutputs?: boolean;
  /**
   * Longest recorded input or output, error message or warning, in characters; longer text is
   * cut and ends with `…` (a stack trace: 4 × this). Default 4096: backends truncate or reject
   * bigger attributes anyway. With the default `serialize`, it bounds the work of recording too:
   * writing stops at the limit, so a huge value costs what its head costs.
   */
  readonly maxValueLength?: number;
  /**
   * Turns a recorded value into a string. Default: {@link toJsonAttribute} (JSON, with secrets
   * redacted, class instances named — not walked, their `toJSON` not called — and getters not
   * run), written only up to `maxValueLength`. A serializer of your own runs on the whole value
   * and its text is cut afterwards.
   */
  readonly serialize?: (value: unknown) => string;
  /**
   * Extra attributes for the run span, e.g. the user or session a run serves. Called once per
   * run; a function that throws fails the run (it is your code, and its bug should show).
   */
  readonly runAttributes?: (event: GraphExecutionEvent) => Attributes | undefined;
}

/** Checks the options of `new OpenTelemetryTracer(options)`; throws a TypeError or RangeError naming the bad one. */
export function checkOptions(options: OpenTelemetryTracerOptions): void {
  const where = "new OpenTelemetryTracer(options)";
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${where}: options must be an object (or omitted), got ${options === null ? "null" : typeof options}.`,
    );
  }
  if (options.tracer !== undefined && options.tracerName !== undefined) {
    throw new TypeError(
      `${where}: got both \`tracer\` and \`tracerName\`. Pass \`tracer\` to use a Tracer you created, ` +
        `or \`tracerName\` to get one from the global provider — not both.`,
    );
  }
  if (options.tracer !== undefined && typeof (options.tracer as Partial<Tracer>).startSpan !== "function") {
    throw new TypeError(
      `${where}: \`tracer\` must be an OpenTelemetry Tracer (with startSpan), e.g. provider.getTracer("my-app").`,
    );
  }
  for (const key of ["tracerName", "workflowName"] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
      throw new TypeError(`${where}: \`${key}\` must be a non-empty string, got ${JSON.stringify(value)}.`);
    }
  }
  const { graphSpanName, maxValueLength, serialize, runAttributes } = options;
  if (
    graphSpanName !== undefined &&
    typeof graphSpanName !== "function" &&
    (typeof graphSpanName !== "string" || graphSpanName.length === 0)
  ) {
    throw new TypeError(
      `${where}: \`graphSpanName\` must be a non-empty string or a function (event) => string, got ${JSON.stringify(graphSpanName)}.`,
    );
  }
  if (maxValueLength !== undefined && !(Number.isInteger(maxValueLength) && maxValueLength > 0)) {
    throw new RangeError(
      `${where}: \`maxValueLength\` must be a positive integer (characters), got ${String(maxValueLength)}.`,
    );
  }
  for (const [key, value] of [
    ["serialize", serialize],
    ["runAttributes", runAttributes],
  ] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`${where}: \`${key}\` must be a function, got ${typeof value}.`);
    }
  }
}
