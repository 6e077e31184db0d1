/**
 * The one place where run and node-run records are created.
 *
 * Each kind is created by one object literal with its keys in one order, so that every record of
 * a kind shares one hidden class (V8 map): the `RUNNING` and the final record of a node, and of a
 * run, have the same shape, and the code that reads them (the queue, the sinks, `JSON.stringify`)
 * stays monomorphic. Add a field here, in both the literal and the parameters, never on a record
 * after it is built.
 */
import { type NodeExecutionEvent, SHARED_SPAN_ID, SHARED_TRACE_ID } from "@hamilton-ts/lifecycle";
import type { ErrorInfo, NodeRunRecord, RunRecord, RunStatus, ValueSummary } from "./records.js";

/**
 * A node run's record: the node, task, attempt and the trace/span ids (left in the event's
 * `attributes` by a tracer) come from the event, the rest from the caller. Hot path: positional
 * parameters, no intermediate object.
 */
export function nodeRunRecord(
  event: NodeExecutionEvent,
  status: RunStatus,
  startTime: number,
  endTime: number | undefined,
  durationMs: number | undefined,
  result: ValueSummary | undefined,
  error: ErrorInfo | undefined,
  warnings: readonly string[] | undefined,
  warningsDropped: number | undefined,
  remote: RemoteTask | undefined,
): NodeRunRecord {
  const attributes = event.attributes;
  return {
    type: "node_run",
    runId: event.runId,
    node: event.node.name,
    taskId: event.taskId,
    attempt: event.attempt,
    status,
    startTime,
    endTime,
    durationMs,
    result,
    error,
    warnings,
    warningsDropped,
    traceId: stringOrUndefined(attributes[SHARED_TRACE_ID]),
    spanId: stringOrUndefined(attributes[SHARED_SPAN_ID]),
    cache: event.cache,
    cacheKey: event.cacheKey,
    cacheFromRun: event.cacheFromRun,
    cacheMissReason: event.cacheMissReason,
    worker: remote?.worker,
    taskAttempt: remote?.attempt,
  };
}

/** A task of another process's run running here (a worker): what its node run records say. */
export interface RemoteTask {
  readonly worker: string;
  readonly attempt: number;
}

/** A run's record, from its fields (in any order, e.g. a started record spread with its end). */
export function runRecord(fields: Omit<RunRecord, "type">): RunRecord {
  return {
    type: "run",
    runId: fields.runId,
    dagName: fields.dagName,
    graphVersion: fields.graphVersion,
    dagHash: fields.dagHash,
    codeHash: fields.codeHash,
    username: fields.username,
    host: fields.host,
    pid: fields.pid,
    status: fields.status,
    startTime: fields.startTime,
    endTime: fields.endTime,
    durationMs: fields.durationMs,
    finalVars: fields.finalVars,
    inputs: fields.inputs,
    overrides: fields.overrides,
    config: fields.config,
    tags: fields.tags,
    error: fields.error,
  };
}

/** The record of a run that ended, from its `RUNNING` record. */
export function endedRunRecord(
  started: RunRecord,
  success: boolean,
  endTime: number,
  durationMs: number,
  error: ErrorInfo | undefined,
): RunRecord {
  return runRecord({ ...started, status: success ? "SUCCESS" : "FAILURE", endTime, durationMs, error });
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
