/**
 * What travels through Redis between a `BullMQExecutor` and its workers (internal).
 *
 * @module
 */
import type { FanOutTask } from "@hamilton-ts/core";
import { BullMQError } from "./errors.js";

/** The task fields shared by every item of one fan-out, encoded once (see `wire.ts`). */
export type SharedPart = Pick<
  FanOutTask,
  | "runId"
  | "graphVersion"
  | "parallelizeName"
  | "nodes"
  | "outputs"
  | "outer"
  | "computedByWorker"
  | "config"
  | "runContexts"
>;

/** One job: one or more items of one fan-out. */
export interface JobData {
  /** The Redis channel the worker publishes to (the executor's). */
  readonly reply: string;
  readonly runId: string;
  /** {@link SharedPart}, encoded. */
  readonly shared: string;
  readonly items: readonly { readonly taskId: string; readonly index: number; readonly item: string }[];
}

/** A task's error as it crosses back. */
export interface WireError {
  readonly code: string | undefined;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** For `NODE_FAILED`: the node and task, and the node's own error. */
  readonly nodeName: string | undefined;
  readonly taskId: string | undefined;
  readonly cause: { readonly name: string; readonly message: string; readonly stack: string | undefined } | undefined;
}

/** One item's outcome. */
export type WireResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: WireError };

/** What a worker publishes on the reply channel. */
export type ReplyMessage =
  | { readonly kind: "requeued"; readonly jobId: string }
  | { readonly kind: "done"; readonly jobId: string; readonly worker: string; readonly results: readonly WireResult[] }
  | { readonly kind: "failed"; readonly jobId: string; readonly worker: string; readonly message: string };

/** The channel a coordinator publishes aborted run ids on. */
export function abortChannel(queue: string): string {
  return `hamilton-ts:${queue}:abort`;
}

/** The channel a worker publishes a job's events on, for the executor that added it. */
export function replyChannel(queue: string, executorId: string): string {
  return `hamilton-ts:${queue}:reply:${executorId}`;
}

/**
 * The BullMQ queue of one graph version: workers of another version listen to another queue, so
 * they never take the task (a rolling deploy).
 */
export function versionedQueue(queueName: string, graphVersion: string): string {
  return `${queueName}-${graphVersion.slice(0, 16)}`;
}

/** Checks a queue name: BullMQ refuses `:`. */
export function checkQueueName(queueName: unknown, where: string): string {
  if (typeof queueName !== "string" || queueName.length === 0 || queueName.includes(":")) {
    throw new BullMQError(
      "INVALID_OPTION",
      `${where}: queueName must be a non-empty string without ":" (BullMQ uses it as a key separator), got ${JSON.stringify(queueName)}.`,
    );
  }
  return queueName;
}
