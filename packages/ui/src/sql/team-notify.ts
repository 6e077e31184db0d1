/**
 * Telling every replica that the team database changed: each write is followed by a
 * `pg_notify` on one channel ({@link Notifier}, coalesced: at most one in flight, and one more
 * after it when writes finished meanwhile), and each replica LISTENs on a connection of its own
 * ({@link ChangeFeed}), which reconnects when the database goes away and, once back, tells its
 * listeners once (what changed meanwhile was not announced). No polling.
 */
import pg from "pg";
import type { SqlClient } from "./database.js";

/** The channel every replica listens on. */
export const CHANGES_CHANNEL = "hamilton_ts_ui_changes";

/** What a notification says changed: the store's records, or the session secret (`rotateSessionSecret`). */
export type ChangeKind = "write" | "secret";

/** Reconnection delays of the LISTEN connection: from the first, doubling up to the last. */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 2_000;

/** Sends the notifications of one replica's writes (see the module's description). */
export class Notifier {
  readonly #db: SqlClient;
  #inFlight: Promise<void> | undefined;
  #again = false;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /**
   * Announces a write that has been stored. Never fails: a notification that cannot be sent (the
   * database just went away) is dropped; the listeners of every replica are told when their
   * connection comes back.
   */
  write(): void {
    if (this.#inFlight !== undefined) {
      this.#again = true;
      return;
    }
    this.#inFlight = this.#send("write");
  }

  async #send(kind: ChangeKind): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#db.query("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, kind]);
      } catch {
        // Dropped (see write()).
      }
    } while (this.#again);
    this.#inFlight = undefined;
  }

  /** Resolves once no notification is being sent. */
  async idle(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight;
  }
}

/** The LISTEN side of one replica (see the module's description). */
export class ChangeFeed {
  readonly #url: string;
  readonly #onChange: (kind: ChangeKind) => void;
  #client: pg.Client | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #delay = RECONNECT_FIRST_MS;
  /** Times the connection came back after it was lost. */
  reconnects = 0;

  private constructor(url: string, onChange: (kind: ChangeKind) => void) {
    this.#url = url;
    this.#onChange = onChange;
  }

  /** Connects and listens; rejects when the database cannot be reached now. */
  static async open(url: string, onChange: (kind: ChangeKind) => void): Promise<ChangeFeed> {
    const feed = new ChangeFeed(url, onChange);
    await feed.#connect();
    return feed;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    // A lost connection: listen again on a new one (errors before connect() settles reject it instead).
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      this.#schedule();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      if (message.channel === CHANGES_CHANNEL) this.#onChange(message.payload === "secret" ? "secret" : "write");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners();
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect().then(
        () => {
          if (this.#closed) return;
          this.#delay = RECONNECT_FIRST_MS;
          this.reconnects++;
          // Writes made while this replica was not listening were not announced to it.
          this.#onChange("write");
          this.#onChange("secret");
        },
        () => {
          this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS);
          this.#schedule();
        },
      );
    }, this.#delay);
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Stops listening and reconnecting. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
