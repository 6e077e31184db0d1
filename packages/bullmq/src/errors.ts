import { HamiltonError } from "@hamilton-ts/core";

/**
 * Why a {@link BullMQError} was thrown:
 * - `UNSERIALIZABLE`: a value that must cross processes cannot (a function, a class instance, a
 *   socket); the message names the node and says what to do.
 * - `NO_WORKER`: no worker of the run's graph version took a task within `taskTimeoutMs`.
 * - `CONNECTION`: Redis could not be reached within `connectTimeoutMs`, or the connection failed.
 * - `INVALID_OPTION`: an option of `BullMQExecutor` or `startWorker` is wrong.
 * - `CLOSED`: the executor or worker was closed.
 * - `WORKER_FAILED`: a worker could not run a task (it died too often, or failed outside any node).
 */
export type BullMQErrorReason =
  | "UNSERIALIZABLE"
  | "NO_WORKER"
  | "CONNECTION"
  | "INVALID_OPTION"
  | "CLOSED"
  | "WORKER_FAILED";

/**
 * The one error class of `@hamilton-ts/bullmq`. It is a `HamiltonError` (so a run fails with it as
 * it is): `code` is `INVALID_ARGUMENT` for bad options and `TASK_FAILED` otherwise; `reason` says
 * precisely what happened. Use `HamiltonError.isInstance` rather than `instanceof` across copies.
 */
export class BullMQError extends HamiltonError {
  /** What happened; see {@link BullMQErrorReason}. */
  readonly reason: BullMQErrorReason;

  constructor(reason: BullMQErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(reason === "INVALID_OPTION" ? "INVALID_ARGUMENT" : "TASK_FAILED", message, options);
    this.name = "BullMQError";
    this.reason = reason;
  }
}
