/**
 * @packageDocumentation
 * `@hamilton-ts/bullmq`: hamilton-ts fan-out items on worker processes and machines, through
 * BullMQ on Redis. `BullMQExecutor` is the coordinator's task executor
 * (`Builder.withTaskExecutor`); `startWorker` runs the dataflow's fan-out blocks on a worker. A
 * run stays one trace and one run record across processes, through the adapters' run context.
 */
export { BullMQExecutor } from "./executor.js";
export type { BullMQExecutorOptions } from "./executor.js";
export { startWorker } from "./worker.js";
export type { HamiltonWorker, WorkerOptions } from "./worker.js";
export { BullMQError } from "./errors.js";
export type { BullMQErrorReason } from "./errors.js";
export type { ConnectionOptions } from "./connection.js";
