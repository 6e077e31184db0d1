/**
 * Telling "the team database cannot be reached" from every other failure, and saying so without
 * the password: {@link isDatabaseUnavailable} (what a server answers 503 for), the database's
 * address as `host:port` for messages, and a client whose failures to reach the database become a
 * `UiError` with code `DATABASE_UNAVAILABLE`.
 */
import { UiError } from "../errors.js";
import type { Database, SqlClient } from "./database.js";

/** Socket errors of a server that is down, restarting or unreachable. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOENT",
]);

/**
 * SQLSTATEs of a server that went away or cannot take the connection: class 08 (connection
 * exception), shutdown (57P01 admin, 57P02 crash), starting up (57P03), too many connections (53300).
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** node-postgres's own messages for a connection that ended (they carry no code). */
const CLIENT_MESSAGES =
  /Connection terminated|not queryable|Connection ended|timeout exceeded when trying to connect|Client was closed/i;

/**
 * True when `error` (or an error it wraps) says the database cannot be reached: a `UiError` with
 * code `DATABASE_UNAVAILABLE`, a refused or reset connection, a server shutting down or starting.
 * A server answers such a failure with 503: nothing was acknowledged, the client may retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if (UiError.isInstance(current)) return current.code === "DATABASE_UNAVAILABLE";
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith("08")))
      return true;
    if (typeof message === "string" && CLIENT_MESSAGES.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Where a database URL points, for messages: `host:port/database`, never the user or password. */
export interface DatabaseTarget {
  /** `host:port/database`. */
  readonly address: string;
  /** The URL's password (empty when none), to keep it out of any message. */
  readonly password: string;
}

/**
 * Reads a `postgres://user:password@host:port/database` URL (also `postgresql://`; a socket folder
 * as `?host=`). Rejects anything else with `INVALID_OPTION`, without echoing it (it may hold a password).
 */
export function databaseTarget(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new UiError(
      "INVALID_OPTION",
      `The database URL must look like postgres://user:password@host:5432/database (got one starting with ${JSON.stringify(url.slice(0, url.indexOf(":") + 1 || 12))}).`,
    );
  }
  const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
  const port = parsed.port || parsed.searchParams.get("port") || "5432";
  const database = decodeURIComponent(parsed.pathname.slice(1)) || "(the user's database)";
  return { address: `${host}:${port}/${database}`, password: decodeURIComponent(parsed.password) };
}

/** A message with the password cut out, wherever a driver or a server may have quoted it. */
function withoutPassword(text: string, password: string): string {
  return password.length === 0 ? text : text.split(password).join("***");
}

/** The `DATABASE_UNAVAILABLE` error for a failure to reach the database at `target`. */
export function unavailableError(target: DatabaseTarget, cause: unknown, doing: string): UiError {
  const reason = withoutPassword(String((cause as Error)?.message ?? cause), target.password);
  return new UiError(
    "DATABASE_UNAVAILABLE",
    `The team database at ${target.address} cannot be reached ${doing} (${reason}). ` +
      "Check that PostgreSQL runs there and that --database-url (HAMILTON_TS_UI_DATABASE_URL) names it; " +
      "nothing was stored by the failed request, which its client may send again.",
  );
}

/** Runs `work`, turning a failure to reach the database into {@link unavailableError}. */
export async function guarded<T>(target: DatabaseTarget, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnavailable(error) && !UiError.isInstance(error)) throw unavailableError(target, error, doing);
    throw error;
  }
}

/**
 * The same database, whose statements fail with `DATABASE_UNAVAILABLE` (a `UiError`) when the
 * database cannot be reached; other failures pass through unchanged.
 */
export function guardedDatabase(db: Database, target: DatabaseTarget): Database {
  const doing = "while serving";
  const client: SqlClient = {
    query: (text, values) => guarded(target, doing, () => db.query(text, values)),
    transaction: (statements) => guarded(target, doing, () => db.transaction(statements)),
    exclusive: (key, fn) => guarded(target, doing, () => db.exclusive(key, fn)),
  };
  return { ...client, backend: db.backend, close: () => db.close() };
}
