/**
 * Node runs that started and whose `RUNNING` record is not made yet. A node that ends before
 * anyone could have read its `RUNNING` record (the queue had no chance to send it: the common
 * case of a synchronous node, or any node that ends before the next batch goes out) gets only its
 * final record, which replaces a `RUNNING` one anyway. That saves the hot path a record, its
 * queueing and its garbage per node. A node still running when the queue sends a batch (or when
 * another node ends first) gets its `RUNNING` record then, always before its final one.
 *
 * Starts are kept on a stack of flat arrays: a node that ends right after it started (a
 * synchronous node, or the last one started) is popped in O(1), without a lookup.
 */
import type { NodeExecutionEvent } from "@hamilton-ts/lifecycle";
import type { RemoteTask } from "./record-builders.js";

/** Makes the `RUNNING` record of a start (the tracker's, with its queue). */
export type StartRecorder = (event: NodeExecutionEvent, startTime: number, remote: RemoteTask | undefined) => void;

export class PendingStarts {
  #events: (NodeExecutionEvent | undefined)[] = [];
  #times = new Float64Array(64);
  #remotes: (RemoteTask | undefined)[] = [];
  #size = 0;

  /** Starts waiting for their `RUNNING` record. */
  get size(): number {
    return this.#size;
  }

  /** Remembers a start. Hot path: no allocation but the arrays' growth. */
  push(event: NodeExecutionEvent, startTime: number, remote: RemoteTask | undefined): void {
    const i = this.#size++;
    if (i === this.#times.length) {
      const times = new Float64Array(i * 2);
      times.set(this.#times);
      this.#times = times;
    }
    this.#events[i] = event;
    this.#times[i] = startTime;
    this.#remotes[i] = remote;
  }

  /**
   * Forgets the start of `event` when it is the last one remembered, and returns its start time:
   * its `RUNNING` record is not needed. -1 otherwise (record the pending starts first).
   */
  popIfLast(event: NodeExecutionEvent): number {
    const i = this.#size - 1;
    if (i < 0 || this.#events[i] !== event) return -1;
    this.#events[i] = undefined;
    this.#remotes[i] = undefined;
    this.#size = i;
    return this.#times[i]!;
  }

  /** Makes the `RUNNING` record of every remembered start, oldest first, and forgets them. */
  record(recorder: StartRecorder): void {
    const n = this.#size;
    if (n === 0) return;
    this.#size = 0;
    const events = this.#events;
    const remotes = this.#remotes;
    for (let i = 0; i < n; i++) {
      const event = events[i]!;
      events[i] = undefined;
      const remote = remotes[i];
      remotes[i] = undefined;
      recorder(event, this.#times[i]!, remote);
    }
    // A burst of starts (a wide fan-out of slow nodes) does not keep its arrays' size for ever.
    if (events.length > 1024) {
      this.#events = [];
      this.#remotes = [];
      this.#times = new Float64Array(64);
    }
  }
}
