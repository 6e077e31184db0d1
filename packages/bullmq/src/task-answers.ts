/**
 * Task answers (internal): a fan-out task whose item runs were all answered or stored by the
 * cache, kept whole in the cache's store, so that a coordinator with the same store answers the
 * task itself next time instead of sending it to a worker.
 *
 * A worker with a cache (`startWorker({ cache })`) runs each item's nodes through the engine's
 * cache, per node, as in the coordinator's process. When every node run of a task was a hit or a
 * keyed, stored miss (none recomputed, none uncached), the task's outputs depend on nothing but
 * what its answer key covers — the graph version (every node's code and the `configWhen`
 * variants), `version`, the block (parallelize node, nodes, outputs), the config, the outer values
 * and the item, by fingerprint — and the worker stores them under that key. An executor given the
 * same store (`BullMQExecutor({ cache })`) looks the key up before sending.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { type FanOutTask, fingerprint, isFingerprint } from "@hamilton-ts/core";
import type { LifecycleAdapter, NodeExecutionResultEvent } from "@hamilton-ts/lifecycle";

/** Part of every answer key and answer: answers of another format version are never read. */
const FORMAT = "hamilton-ts bullmq task answer 1";

/** Fingerprints of the objects the tasks of one fan-out share (config, outer values), by identity. */
const shared = new WeakMap<object, string | null>();

function fingerprintOf(value: object): string | undefined {
  let known = shared.get(value);
  if (known === undefined) {
    const f = fingerprint(value);
    known = isFingerprint(f) ? f : null;
    shared.set(value, known);
  }
  return known ?? undefined;
}

/** The key a task's answer is stored under, or undefined when a value of it cannot be fingerprinted. */
export function answerKey(task: FanOutTask, version: string): string | undefined {
  const config = fingerprintOf(task.config);
  const outer = fingerprintOf(task.outer);
  const item = fingerprint(task.item);
  if (config === undefined || outer === undefined || !isFingerprint(item)) return undefined;
  const text = JSON.stringify([
    FORMAT,
    task.graphVersion,
    version,
    task.parallelizeName,
    task.nodes,
    task.outputs,
    task.computedByWorker,
    config,
    outer,
    item,
  ]);
  return createHash("sha256").update(text).digest("hex");
}

/** What a task answer holds. */
export interface Answer {
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** The answer as bytes (the outputs crossed from a worker by structured clone, so they serialize). */
export function encodeAnswer(outputs: Readonly<Record<string, unknown>>): Uint8Array {
  return serialize({ format: FORMAT, outputs });
}

/** The answer in `bytes`, or undefined when they are not one (corrupt, another format). */
export function decodeAnswer(bytes: Uint8Array): Answer | undefined {
  let decoded: unknown;
  try {
    decoded = deserialize(bytes);
  } catch {
    return undefined;
  }
  if (typeof decoded !== "object" || decoded === null) return undefined;
  const { format, outputs } = decoded as Record<string, unknown>;
  if (format !== FORMAT || typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) return undefined;
  return { outputs: outputs as Record<string, unknown> };
}

/** The node an answer is listed under in the store's entries: the block's outputs. */
export function answerNode(task: FanOutTask): string {
  return task.outputs.join(",");
}

/**
 * Watches a worker's node runs (an adapter added to its driver) and tells, once a task has run,
 * whether the cache answered or stored every node run of it.
 */
export class AnswerWatch {
  /** Tasks (`runId\0taskId`) with a node run the cache did not key, or one that ran regardless. */
  readonly #spoiled = new Set<string>();
  /** Nodes whose cache outcome was `disabled`, by task: fine unless one is an output. */
  readonly #disabled = new Map<string, string[]>();

  /** The adapter to add to the worker's driver. */
  readonly adapter: LifecycleAdapter = {
    afterNodeExecution: (event: NodeExecutionResultEvent) => {
      if (event.taskId === undefined) return;
      const task = `${event.runId}\0${event.taskId}`;
      const outcome = event.cache;
      if (outcome === "hit" || (outcome === "miss" && event.cacheKey !== undefined)) return;
      if (outcome === "disabled") {
        const list = this.#disabled.get(task);
        if (list === undefined) this.#disabled.set(task, [event.node.name]);
        else list.push(event.node.name);
        return;
      }
      this.#spoiled.add(task);
    },
  };

  /** Whether the task's outputs may be stored whole; forgets the task. */
  settle(task: FanOutTask): boolean {
    const id = `${task.runId}\0${task.taskId}`;
    const spoiled = this.#spoiled.delete(id);
    const disabled = this.#disabled.get(id);
    this.#disabled.delete(id);
    return !spoiled && (disabled === undefined || !disabled.some((name) => task.outputs.includes(name)));
  }
}
