/**
 * A lifecycle adapter that follows each run from the outside: its run id, the trace id the
 * OpenTelemetry tracer left in the run's shared attributes, and a promise that settles once the
 * run has completely ended.
 *
 * `execute` rejects as soon as a node fails, while other nodes may still be finishing and the
 * adapters have not closed the run yet (the run span, the tracker's final record). Put this
 * adapter first — its wrapper is then outermost — and await `settled` before flushing, so the
 * flush sees everything.
 */
import type { GraphExecutionEvent, LifecycleAdapter } from "@hamilton-ts/core";
import { SHARED_TRACE_ID } from "@hamilton-ts/opentelemetry";

/** What {@link RunInfo} knows about one run. */
export interface RunIds {
  readonly runId: string;
  /** The run's trace id (32 hex characters), once a tracer inside this adapter made the run span. */
  readonly traceId: string | undefined;
  /** Settles when the run and every adapter inside this one are done with it; never rejects. */
  readonly settled: Promise<void>;
}

/** Collects {@link RunIds}, in run start order. */
export class RunInfo implements LifecycleAdapter {
  readonly name = "RunInfo";
  readonly runs: RunIds[] = [];

  async wrapGraphExecution(event: GraphExecutionEvent, next: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    this.runs.push({
      runId: event.runId,
      // Read when asked: the tracer writes it after this wrapper has started.
      get traceId() {
        const id = event.attributes[SHARED_TRACE_ID];
        return typeof id === "string" ? id : undefined;
      },
      settled,
    });
    try {
      return await next();
    } finally {
      done();
    }
  }

  /** The latest run, if any started. */
  get last(): RunIds | undefined {
    return this.runs.at(-1);
  }
}
