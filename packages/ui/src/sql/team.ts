/**
 * Team mode: everything a `hamilton-ts-ui` server keeps, in one PostgreSQL database, so several
 * servers on it ("replicas", behind a load balancer) behave as one. What one receives, every one
 * serves at once; none keeps a run's state in memory (two replicas may receive updates of one run
 * at once: they take turns on the run, and the store's fold rule is in the upserts); the tracking
 * protocol's ids come from sequences; the page's session secret is in the database; every write
 * is announced with NOTIFY, which every replica LISTENs to.
 *
 * ```ts
 * const team = await openTeamStore("postgres://ui:secret@db:5432/hamilton");
 * const protocol = new TrackingProtocol(team.ids, team.runs);
 * team.onChange(() => events.push());
 * ```
 */
import type { DecodedTraces } from "../otlp.js";
import type { Database } from "./database.js";
import { openPostgres } from "./database.js";
import { migrate } from "./migrations.js";
import { TeamIds } from "./team-ids.js";
import { ChangeFeed, type ChangeKind, Notifier } from "./team-notify.js";
import { TeamRuns } from "./team-runs.js";
import { rotateSessionSecret, sessionSecret } from "./team-secret.js";
import { storeSpans } from "./team-spans.js";
import {
  type DatabaseTarget,
  databaseTarget,
  guarded,
  guardedDatabase,
  isDatabaseUnavailable,
  unavailableError,
} from "./team-unavailable.js";

/** Options of {@link openTeamStore}. */
export interface TeamStoreOptions {
  /** Connections in this replica's pool (default 10); the LISTEN connection is one more. */
  readonly poolSize?: number | undefined;
}

/** One replica's handle on the team database (see the module's description). */
export interface TeamStore {
  /** The database (`openPostgres`), migrated; a failure to reach it is a `DATABASE_UNAVAILABLE` error. */
  readonly db: Database;
  /** Where the database is, for messages: `host:port/database` (no user, no password). */
  readonly address: string;
  /** The tracking protocol's ids: from sequences, never repeated across replicas. */
  readonly ids: TeamIds;
  /** The tracking protocol's runs: in the database only, no run state in memory. */
  readonly runs: TeamRuns;
  /** Stores the spans of an OTLP export (a span stored already is kept as it was). */
  writeSpans(decoded: Pick<DecodedTraces, "lines">): Promise<void>;
  /**
   * The page's session secret, shared by every replica. Read it per request: after a rotation
   * (here or on another replica) it is the new one.
   */
  readonly sessionSecret: Buffer;
  /** Replaces the session secret on every replica (every session ends); resolves with the new one. */
  rotateSessionSecret(): Promise<Buffer>;
  /**
   * Calls `listener` after a write to the database, by this replica or any other (a new session
   * secret included; and once after the LISTEN connection came back, for the writes it missed).
   * Returns a function that removes it.
   */
  onChange(listener: () => void): () => void;
  /** Stops listening, waits for the notifications being sent, and closes the pool. */
  close(): Promise<void>;
}

/**
 * Opens the team database at `databaseUrl` (`postgres://user:password@host:port/database`,
 * PostgreSQL 15 or newer): migrates it (under the migration lock, so replicas starting together
 * take turns), makes or reads the shared session secret, and listens for changes.
 *
 * @throws UiError `DATABASE_UNAVAILABLE` when the database cannot be reached (the message names
 * host and port, never the password); `INVALID_OPTION` for a URL that is not `postgres://`; the
 * migration's error for a database a newer version migrated (it is never written to).
 */
export async function openTeamStore(databaseUrl: string, options: TeamStoreOptions = {}): Promise<TeamStore> {
  const target = databaseTarget(databaseUrl);
  const raw = openPostgres(databaseUrl, { max: options.poolSize ?? 10 });
  const db = guardedDatabase(raw, target);
  const listeners = new Set<() => void>();
  let secret: Buffer;
  let feed: ChangeFeed | undefined;
  const tell = () => {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the others are still told.
      }
    }
  };
  let secretReads = 0;
  const onFeed = (kind: ChangeKind) => {
    if (kind === "write") return tell();
    // Re-read the secret (the latest read started wins); when that fails the old one stays until
    // the next notification or restart.
    const read = ++secretReads;
    void sessionSecret(db).then(
      (value) => {
        if (read !== secretReads) return;
        secret = value;
        tell();
      },
      () => undefined,
    );
  };
  try {
    await starting(target, () => migrate(raw));
    secret = await starting(target, () => sessionSecret(raw));
    feed = await starting(target, () => ChangeFeed.open(databaseUrl, onFeed));
  } catch (error) {
    await raw.close().catch(() => undefined);
    throw error;
  }
  const notifier = new Notifier(db);
  const changed = () => notifier.write();
  const listening = feed;
  let closed: Promise<void> | undefined;
  return {
    db,
    address: target.address,
    ids: new TeamIds(db),
    runs: new TeamRuns(db, changed),
    async writeSpans(decoded) {
      if ((await storeSpans(db, decoded)) > 0) changed();
    },
    get sessionSecret() {
      return secret;
    },
    async rotateSessionSecret() {
      const rotated = await rotateSessionSecret(db);
      // A re-read started before the rotation must not bring the old secret back.
      secretReads++;
      secret = rotated;
      return rotated;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () =>
      (closed ??= (async () => {
        await listening.close();
        await notifier.idle();
        await raw.close();
      })()),
  };
}

/** A start-up step: a failure to reach the database becomes `DATABASE_UNAVAILABLE` ("at start"). */
async function starting<T>(target: DatabaseTarget, step: () => Promise<T>): Promise<T> {
  try {
    return await guarded(target, "at start", step);
  } catch (error) {
    // Refused logins and missing databases stop a start as surely as a server that is down.
    const code = (error as { code?: unknown })?.code;
    if (!isDatabaseUnavailable(error) && typeof code === "string" && (code.startsWith("28") || code === "3D000"))
      throw unavailableError(target, error, "at start");
    throw error;
  }
}

export { isDatabaseUnavailable } from "./team-unavailable.js";
export { rotateSessionSecret } from "./team-secret.js";
