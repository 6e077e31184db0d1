/**
 * Everything this package relies on that BullMQ does not offer as API: key names, job-hash
 * fields, client names and error texts, read from BullMQ's source (6.x). `bullmq-internals.test.ts`
 * pins each one against the installed bullmq, one test per name, so an upgrade that changes one
 * fails that test by name instead of breaking the executor silently.
 *
 * @module
 */
import type { Queue } from "bullmq";

/**
 * The key of a job's lock: `<prefix>:<queue>:<jobId>:lock` (BullMQ's `toKey(jobId) + ":lock"`).
 * It exists while a worker holds the job; a worker that died lets it expire.
 */
export function lockKey(queue: Pick<Queue, "qualifiedName">, jobId: string): string {
  return `${queue.qualifiedName}:${jobId}:lock`;
}

/** The key of a job's hash: `<prefix>:<queue>:<jobId>` (BullMQ's `toKey(jobId)`). */
export function jobKey(qualifiedName: string, jobId: string): string {
  return `${qualifiedName}:${jobId}`;
}

/** The field of a job's hash that holds its data, as JSON (`job.data`). */
export const JOB_DATA_FIELD = "data";

/**
 * The failure reason BullMQ's stalled-job check gives a job that stalled more than
 * `maxStalledCount` times (`moveStalledJobsToWait` script). Such a job is not retried.
 */
export const STALLED_LIMIT_TEXT = /job stalled more than allowable limit/;

/**
 * The error BullMQ raises when a worker finishes a job whose lock it lost (the lock lapsed while
 * the worker held the job: its event loop was blocked longer than the lock).
 */
export const MISSING_LOCK_TEXT = /^Missing lock for job /;

/** The error BullMQ's lock renewal emits when a job's lock could not be extended. */
export const LOCK_RENEWAL_TEXT = /^could not renew lock for job /;

/**
 * The client name of a worker's blocking connection, which `CLIENT LIST` shows and BullMQ counts
 * workers by: `<prefix>:<base64(queue)>:w:<worker name>` (BullMQ's `createBlockingConnection`).
 */
export function workerClientName(queueName: string, workerName: string, prefix = "bull"): string {
  return `${prefix}:${Buffer.from(queueName).toString("base64")}:w:${workerName}`;
}

/** The queue and worker name of a worker's client name ({@link workerClientName}), if it is one. */
export function parseWorkerClientName(
  name: string,
  prefix = "bull",
): { readonly queueName: string; readonly workerName: string } | undefined {
  const match = /^([^:]+):([A-Za-z0-9+/=]+):w:(.*)$/.exec(name);
  if (match === null || match[1] !== prefix) return undefined;
  return { queueName: Buffer.from(match[2]!, "base64").toString("utf8"), workerName: match[3]! };
}
