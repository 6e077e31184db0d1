/**
 * The coordinator's side of task answers (internal; see `task-answers.ts`): the tasks that arrive
 * in one tick are looked up in the cache's store together; those answered resolve at once, the
 * others go on to the batcher together, in the same tick (so they still share one batch).
 *
 * @module
 */
import type { CacheStore, FanOutTask } from "@hamilton-ts/core";
import { type Answer, answerKey, decodeAnswer } from "./task-answers.js";

/** A task waiting for its lookup. */
interface Waiting {
  readonly task: FanOutTask;
  readonly signal: AbortSignal;
  readonly resolve: (outputs: Readonly<Record<string, unknown>>) => void;
  readonly reject: (error: unknown) => void;
}

/** Sends a task to the workers (the batcher). */
export type Send = (waiting: Waiting) => void;

export class AnswerLookup {
  readonly #store: CacheStore;
  readonly #version: string;
  readonly #send: Send;
  readonly #warn: (message: string) => void;
  #warned = false;
  #waiting: Waiting[] | undefined;

  constructor(store: CacheStore, version: string, send: Send, warn: (message: string) => void) {
    this.#store = store;
    this.#version = version;
    this.#send = send;
    this.#warn = warn;
  }

  /** The task's outputs: from its answer in the store, else from a worker. */
  run(task: FanOutTask, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    return new Promise((resolve, reject) => {
      let waiting = this.#waiting;
      if (waiting === undefined) {
        waiting = this.#waiting = [];
        const started = waiting;
        queueMicrotask(() => {
          if (this.#waiting === started) this.#waiting = undefined;
          void this.#flush(started);
        });
      }
      waiting.push({ task, signal, resolve, reject });
    });
  }

  async #flush(waiting: Waiting[]): Promise<void> {
    const answers = await Promise.all(waiting.map((w) => this.#look(w.task)));
    // The misses go to the batcher in one synchronous loop: one batch, as without lookups.
    for (let i = 0; i < waiting.length; i++) {
      const w = waiting[i]!;
      const answer = answers[i];
      if (answer !== undefined) w.resolve(answer.outputs);
      else this.#send(w);
    }
  }

  async #look(task: FanOutTask): Promise<Answer | undefined> {
    try {
      const key = answerKey(task, this.#version);
      if (key === undefined) return undefined;
      const bytes = await this.#store.get(key);
      return bytes === undefined ? undefined : decodeAnswer(bytes);
    } catch (error) {
      // The store's failure costs the shortcut only: the task goes to a worker.
      if (!this.#warned) {
        this.#warned = true;
        this.#warn(
          `BullMQExecutor: the cache store could not be read (${error instanceof Error ? error.message : String(error)}); ` +
            `tasks go to the workers without looking for their answers.`,
        );
      }
      return undefined;
    }
  }
}
