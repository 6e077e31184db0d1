/**
 * `GET /api/events`: server-sent events that tell the page the store changed, so runs in progress
 * and new runs show without a reload. While at least one page listens, the server refreshes the
 * store index (the read API's: what changed since it last looked) every {@link POLL_INTERVAL_MS};
 * when its version moved — by this poll or by a request's refresh — an event `store` is sent. It
 * sees what this server writes and what other processes write alike.
 */
import type { ServerResponse } from "node:http";
import { type StoreIndex, storeIndex } from "./store-index.js";

/** How often the store is polled while a page listens, in ms. */
export const POLL_INTERVAL_MS = 700;
/** A comment line keeps idle connections open through proxies. */
const KEEPALIVE_MS = 15_000;

/** The listeners of `/api/events` and the poll that feeds them. */
export class StoreEvents {
  private readonly index: StoreIndex;
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private last: number | undefined;
  /** Clients that have not been told yet that polling watches for them (`event: ready`). */
  private readonly waiting = new Set<ServerResponse>();

  constructor(dir: string) {
    this.index = storeIndex(dir);
  }

  /** Answers a request with an event stream until the client goes or {@link close} is called. */
  subscribe(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write("retry: 1000\n\n");
    this.clients.add(res);
    this.waiting.add(res);
    res.on("close", () => {
      this.clients.delete(res);
      this.waiting.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    this.start();
    this.poll();
  }

  /** Ends every stream and stops polling. */
  close(): void {
    this.stop();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
    this.keepalive = setInterval(() => {
      for (const res of this.clients) res.write(": keepalive\n\n");
    }, KEEPALIVE_MS);
  }

  private stop(): void {
    clearInterval(this.timer);
    clearInterval(this.keepalive);
    this.timer = undefined;
    this.keepalive = undefined;
    this.last = undefined;
  }

  /**
   * Compares the store with the last poll; a change is an event `store` to every client. Clients
   * that subscribed before this poll started then get `event: ready`: from now on no change is
   * missed (a page refreshes once on it, for what changed while it loaded).
   */
  private poll(): void {
    const newcomers = [...this.waiting];
    let now: number;
    try {
      now = this.index.refresh();
    } catch {
      return; // The store cannot be listed now (the read API says why); the next poll tries again.
    }
    if (this.last !== undefined && now !== this.last) {
      for (const res of this.clients) res.write(`event: store\ndata: ${Date.now()}\n\n`);
    }
    if (this.timer !== undefined) this.last = now;
    for (const res of newcomers) {
      if (this.waiting.delete(res)) res.write("event: ready\ndata: \n\n");
    }
  }
}
