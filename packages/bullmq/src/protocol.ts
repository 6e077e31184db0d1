/**
 * What travels through Redis between a `BullMQExecutor` and its workers (internal): the job data,
 * the keys a fan-out's shared part, a run's heartbeat and a job's outcome live under, and the
 * channels. BullMQ's own key and field names are in `bullmq-internals.ts`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { FanOutTask } from "@hamilton-ts/core";
import { BullMQError } from "./errors.js";

/** The task fields shared by every item of one fan-out, encoded once per fan-out (see `wire.ts`). */
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
  /** The Redis channel the worker signals an outcome on (the executor's). */
  readonly reply: string;
  readonly runId: string;
  /** The run's heartbeat key: while it exists the coordinator is alive ({@link runKey}). */
  readonly runKey: string;
  /** The key holding the fan-out's {@link SharedPart}, encoded ({@link sharedKey}). */
  readonly sharedKey: string;
  /** The key the worker leaves the job's outcome under ({@link resultKey}). */
  readonly resultKey: string;
  /** How long the outcome is kept if its coordinator never reads it, in ms. */
  readonly resultTtlMs: number;
  /** The executor's `runTtlMs`: a worker that saw the run alive trusts it for a tenth of it. */
  readonly runTtlMs: number;
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

/** A job's outcome, left by the worker under the job's {@link resultKey}. */
export type Outcome =
  | { readonly kind: "done"; readonly worker: string; readonly results: readonly WireResult[] }
  | { readonly kind: "failed"; readonly worker: string; readonly message: string };

/**
 * What a worker publishes on the reply channel: small signals only (a large message would make
 * Redis drop the subscriber at its pub/sub output buffer limit). `done`: the outcome is under the
 * job's result key, and also in `outcome` (its JSON text) when it is small
 * ({@link INLINE_OUTCOME_BYTES}); `requeued`: the job went back to the queue (its worker died).
 */
export type Signal =
  | { readonly kind: "done"; readonly jobId: string; readonly outcome?: string }
  | { readonly kind: "requeued"; readonly jobId: string };

/** The largest outcome a `done` signal carries itself (a larger one is read from its key). */
export const INLINE_OUTCOME_BYTES = 64 * 1024;

const prefix = (queue: string): string => `hamilton-ts:${queue}`;

/** The channel a coordinator publishes aborted run ids on. */
export function abortChannel(queue: string): string {
  return `${prefix(queue)}:abort`;
}

/** The channel workers signal outcomes on, for the executor that added the job. */
export function replyChannel(queue: string, executorId: string): string {
  return `${prefix(queue)}:reply:${executorId}`;
}

/** A run's heartbeat key: refreshed by its coordinator, expires when the coordinator is gone. */
export function runKey(queue: string, executorId: string, runId: string): string {
  return `${prefix(queue)}:run:${executorId}:${runId}`;
}

/** The key of what the items of one fan-out share, written once per fan-out. */
export function sharedKey(queue: string, executorId: string, fanOutId: string): string {
  return `${prefix(queue)}:shared:${executorId}:${fanOutId}`;
}

/** The key a job's outcome is left under until its coordinator reads it. */
export function resultKey(queue: string, executorId: string, jobId: string): string {
  return `${prefix(queue)}:result:${executorId}:${jobId}`;
}

/**
 * The BullMQ queue of one graph version (and of the user's `version`, when given): workers of
 * another version listen to another queue, so they never take the task (a rolling deploy).
 */
export function versionedQueue(queueName: string, graphVersion: string, version = ""): string {
  if (version === "") return `${queueName}-${graphVersion.slice(0, 16)}`;
  const hash = createHash("sha256").update(`${graphVersion}\n${version}`).digest("hex");
  return `${queueName}-${hash.slice(0, 16)}`;
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

/** Checks the `version` option: a string (default `""`, none). */
export function checkVersion(version: unknown, where: string): string {
  if (version === undefined) return "";
  if (typeof version !== "string") {
    throw new BullMQError(
      "INVALID_OPTION",
      `${where}: version must be a string (your release, or a hash of the module constants the nodes read), got ${typeof version}.`,
    );
  }
  return version;
}
