/**
 * The executor's connections to Redis (internal): a publisher for commands, a subscriber for the
 * reply channel, and the BullMQ queues on the publisher. Opened on first use, watched, and given
 * up when the connection is lost for longer than `connectTimeoutMs` (the next run opens them
 * again).
 *
 * @module
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type ConnectionOptions, connect, subscribe, watchConnection, whereIs } from "./connection.js";
import { BullMQError } from "./errors.js";

/** The open connections. */
export interface Connected {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  /** Stops watching the connections. */
  readonly unwatch: () => void;
}

/** What a link is told about. */
export interface LinkEvents {
  /** A message on the reply channel. */
  onMessage(text: string): void;
  /** The connection was lost for longer than `connectTimeoutMs`. */
  onLost(error: BullMQError): void;
}

/** How far the events stream of a queue this executor adds to may grow (BullMQ's default 10,000). */
const EVENTS_MAX_LEN = 100;

export class RedisLink {
  readonly #connection: ConnectionOptions;
  readonly #connectTimeoutMs: number;
  readonly #channel: string;
  readonly #events: LinkEvents;
  readonly #queues = new Map<string, Queue>();
  #connected: Promise<Connected> | undefined;
  #closed = false;

  constructor(connection: ConnectionOptions, connectTimeoutMs: number, channel: string, events: LinkEvents) {
    this.#connection = connection;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#channel = channel;
    this.#events = events;
  }

  /** `host:port`, for messages. */
  get where(): string {
    return whereIs(this.#connection);
  }

  /** The open connections, opened if need be (a failed attempt is tried again next time). */
  connect(): Promise<Connected> {
    this.#connected ??= this.#open();
    this.#connected.catch(() => {
      this.#connected = undefined;
    });
    return this.#connected;
  }

  /** The connections if they are open or opening, without opening them. */
  current(): Promise<Connected | undefined> {
    return this.#connected?.catch(() => undefined) ?? Promise.resolve(undefined);
  }

  /** The BullMQ queue `name`, on the publisher. */
  queue(name: string, connection: Redis): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
      queue.on("error", () => undefined); // reported where it matters: the commands that fail
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Closes the queues and the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    const connected = this.#connected;
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    const c = await connected?.catch(() => undefined);
    c?.unwatch();
    c?.subscriber.disconnect();
    c?.publisher.disconnect();
  }

  #lost(lost: Promise<Connected>, c: Connected): void {
    if (this.#connected !== lost || this.#closed) return;
    this.#connected = undefined;
    c.unwatch();
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    // Commands waiting for the lost connection fail now ("Connection is closed"), not never.
    c.subscriber.disconnect();
    c.publisher.disconnect();
    void Promise.allSettled(queues.map((q) => q.close()));
    this.#events.onLost(
      new BullMQError(
        "CONNECTION",
        `Lost the connection to Redis at ${this.where}, and it did not come back within ` +
          `${this.#connectTimeoutMs} ms (connectTimeoutMs): the run's pending tasks failed. Check that Redis is running ` +
          `and reachable, then run again (the executor connects again on the next run).`,
      ),
    );
  }

  async #open(): Promise<Connected> {
    const ignore = (): void => undefined;
    const publisher = await connect(this.#connection, this.#connectTimeoutMs, ignore);
    let subscriber: Redis;
    try {
      subscriber = await connect(this.#connection, this.#connectTimeoutMs, ignore);
    } catch (error) {
      publisher.disconnect();
      throw error;
    }
    subscriber.on("message", (_channel: string, text: string) => this.#events.onMessage(text));
    await subscribe(subscriber, this.#channel, ignore);
    if (this.#closed) {
      publisher.disconnect();
      subscriber.disconnect();
      throw new BullMQError("CLOSED", "The BullMQExecutor was closed: create a new one.");
    }
    const opened = this.#connected;
    const stops: Array<() => void> = [];
    const c: Connected = {
      publisher,
      subscriber,
      unwatch: () => {
        for (const stop of stops) stop();
      },
    };
    for (const redis of [publisher, subscriber]) {
      stops.push(
        watchConnection(redis, this.#connectTimeoutMs, () => {
          if (opened !== undefined) this.#lost(opened, c);
        }),
      );
    }
    return c;
  }
}
