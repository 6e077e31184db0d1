/**
 * Errors across processes: a worker sends a task's error as plain data ({@link WireError}); the
 * coordinator makes it a `NodeExecutionError` again, with the worker's message, type and stack.
 *
 * @module
 */
import { HamiltonError, NodeExecutionError } from "@hamilton-ts/core";
import { BullMQError } from "./errors.js";
import type { WireError } from "./protocol.js";

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A task's error as plain data. */
export function toWire(error: unknown): WireError {
  const e = (error ?? {}) as Record<string, unknown>;
  const cause = e.cause as Record<string, unknown> | undefined;
  const isNodeFailure = HamiltonError.isInstance(error) && error.code === "NODE_FAILED";
  return {
    code: HamiltonError.isInstance(error) ? error.code : undefined,
    name: text(e.name) ?? "Error",
    message: error instanceof Error ? error.message : String(error),
    stack: text(e.stack),
    nodeName: isNodeFailure ? text(e.nodeName) : undefined,
    taskId: isNodeFailure ? text(e.taskId) : undefined,
    cause:
      isNodeFailure && cause !== undefined && cause !== null
        ? {
            name: text(cause.name) ?? (typeof cause === "object" ? "Error" : typeof cause),
            message: cause instanceof Error ? cause.message : String(cause),
            stack: text(cause.stack),
          }
        : undefined,
  };
}

/** An error as it came from a worker: a node's failure, an abort, or the worker's own failure. */
export function fromWire(wire: WireError, worker: string): Error {
  if (wire.code === "NODE_FAILED" && wire.nodeName !== undefined) {
    const cause = new Error(wire.cause?.message ?? wire.message);
    cause.name = wire.cause?.name ?? "Error";
    cause.stack = wire.cause?.stack ?? cause.stack;
    Object.defineProperty(cause, "worker", { value: worker, enumerable: true });
    return new NodeExecutionError(wire.nodeName, cause, wire.taskId);
  }
  if (wire.code !== undefined) {
    const error =
      wire.name === "BullMQError"
        ? new BullMQError(wire.code === "INVALID_ARGUMENT" ? "INVALID_OPTION" : "UNSERIALIZABLE", wire.message)
        : new HamiltonError(wire.code as HamiltonError["code"], wire.message);
    if (wire.stack !== undefined) error.stack = wire.stack;
    return error;
  }
  const error = new BullMQError("WORKER_FAILED", `Worker ${worker} failed: ${wire.message}`);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
