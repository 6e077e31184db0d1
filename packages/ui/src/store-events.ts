/**
 * `GET /api/events`: server-sent events that tell the page the store changed, so runs in progress
 * and new runs show without a reload. Nothing is polled: the events come from the store's change
 * feed — the log indexer's batches embedded (what this server and every other process appended),
 * the database's notifications in team mode (what any replica stored). A burst of changes is one
 * event per {@link EVENT_INTERVAL_MS}, the last change always told.
 */
import type { ServerResponse } from "node:http";

/** The least time between two `store` events to one page, in ms (a burst is told once, then again at its end). */
export const EVENT_INTERVAL_MS = 250;
/** A comment line keeps idle connections open through proxies. */
const KEEPALIVE_MS = 15_000;

/** Subscribes to a change feed; returns the function that unsubscribes. */
export type ChangeFeed = (listener: () => void) => () => void;

/** The listeners of `/api/events` and the change feed that feeds them. */
export class StoreEvents {
  readonly #feed: ChangeFeed;
  readonly #clients = new Set<ServerResponse>();
  #unsubscribe: (() => void) | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  /** Set while events are held back; `pending`: a change came meanwhile. */
  #cooling: NodeJS.Timeout | undefined;
  #pending = false;

  constructor(feed: ChangeFeed) {
    this.#feed = feed;
  }

  /**
   * Answers a request with an event stream until the client goes or {@link close} is called. The
   * stream opens with `event: ready`: from then on no change is missed (a page refreshes once on
   * it, for what changed while it loaded).
   */
  subscribe(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    this.#start();
    this.#clients.add(res);
    res.write("retry: 1000\n\nevent: ready\ndata: \n\n");
    res.on("close", () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stop();
    });
  }

  /** Ends every stream and stops listening. */
  close(): void {
    this.#stop();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#feed(() => this.#changed());
    this.#keepalive = setInterval(() => {
      for (const res of this.#clients) res.write(": keepalive\n\n");
    }, KEEPALIVE_MS);
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#keepalive);
    clearTimeout(this.#cooling);
    this.#keepalive = undefined;
    this.#cooling = undefined;
    this.#pending = false;
  }

  #changed(): void {
    if (this.#cooling !== undefined) {
      this.#pending = true;
      return;
    }
    for (const res of this.#clients) res.write(`event: store\ndata: ${Date.now()}\n\n`);
    this.#cooling = setTimeout(() => {
      this.#cooling = undefined;
      if (this.#pending) {
        this.#pending = false;
        this.#changed();
      }
    }, EVENT_INTERVAL_MS);
  }
}
