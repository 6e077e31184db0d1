/**
 * A lifecycle adapter that follows each run from the outside: its run id and the trace id the
 * OpenTelemetry tracer left in the run's shared attributes (for the report's "where it went").
 *
 * Nothing here waits for the run to end: `execute` settles only once every node and every adapter
 * is done with the run (the engine's structured completion), so the caller flushes right after it.
 */
import type { GraphExecutionEvent, LifecycleAdapter } from "@hamilton-ts/core";
import { SHARED_TRACE_ID } from "@hamilton-ts/opentelemetry";

/** What {@link RunInfo} knows about one run. */
export interface RunIds {
  readonly runId: string;
  /** The run's trace id (32 hex characters), once a tracer made the run span. */
  readonly traceId: string | undefined;
}

/** Collects {@link RunIds}, in run start order. */
export class RunInfo implements LifecycleAdapter {
  readonly name = "RunInfo";
  readonly runs: RunIds[] = [];

  beforeGraphExecution(event: GraphExecutionEvent): void {
    this.runs.push({
      runId: event.runId,
      // Read when asked: the tracer's wrapper writes it around the run.
      get traceId() {
        const id = event.attributes[SHARED_TRACE_ID];
        return typeof id === "string" ? id : undefined;
      },
    });
  }

  /** The latest run, if any started. */
  get last(): RunIds | undefined {
    return this.runs.at(-1);
  }
}
