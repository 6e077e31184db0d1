/**
 * One `beforeExit` listener for every queue with undelivered records: each gets a chance to
 * deliver when a script ends without calling `shutdown()`. The listener is installed while at
 * least one queue is registered, and removed with the last one.
 */

/** What a registered queue does at `beforeExit`. */
export interface ExitFlushable {
  /** Called at each `beforeExit` while registered. */
  exitFlush(): void;
}

const registered = new Set<ExitFlushable>();

function onBeforeExit(): void {
  for (const target of registered) target.exitFlush();
}

/** Calls `target.exitFlush()` at every `beforeExit` until {@link unregisterExitFlush}. Idempotent. */
export function registerExitFlush(target: ExitFlushable): void {
  if (registered.has(target)) return;
  if (registered.size === 0) process.on("beforeExit", onBeforeExit);
  registered.add(target);
}

/** Stops calling `target` at `beforeExit`. Idempotent. */
export function unregisterExitFlush(target: ExitFlushable): void {
  if (registered.delete(target) && registered.size === 0) process.off("beforeExit", onBeforeExit);
}
