/**
 * The page's session secret in team mode: one for all replicas, kept in `hts_meta`, so a login on
 * one replica is good on every other behind a load balancer. The first replica to start makes it
 * (`INSERT … ON CONFLICT DO NOTHING`, then read: replicas starting together agree); rotating it
 * ends every session on every replica.
 */
import { randomBytes } from "node:crypto";
import type { SqlClient } from "./database.js";
import { CHANGES_CHANNEL } from "./team-notify.js";

/** The `hts_meta` key of the session secret (64 hex digits). */
export const SESSION_SECRET_KEY = "session_secret";

/** The shared session secret, made on first use. */
export async function sessionSecret(db: SqlClient): Promise<Buffer> {
  await db.query("INSERT INTO hts_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
    SESSION_SECRET_KEY,
    randomBytes(32).toString("hex"),
  ]);
  const { rows } = await db.query<{ value: string }>("SELECT value FROM hts_meta WHERE key = $1", [SESSION_SECRET_KEY]);
  const value = rows[0]?.value;
  if (value === undefined || !/^[0-9a-f]{64}$/.test(value)) {
    throw new Error(
      `hts_meta's ${SESSION_SECRET_KEY} is not 64 hex digits; delete that row to make a new one (every session ends).`,
    );
  }
  return Buffer.from(value, "hex");
}

/**
 * Replaces the shared session secret with a new random one and resolves with it: every page
 * session, on every replica, ends. One statement that also notifies the replicas (they read the new
 * secret when told, or at start), so a tool may call it on the database while servers run.
 */
export async function rotateSessionSecret(db: SqlClient): Promise<Buffer> {
  const secret = randomBytes(32);
  await db.query(
    `WITH up AS (
       INSERT INTO hts_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value
       RETURNING key
     )
     SELECT pg_notify($3, 'secret') FROM up`,
    [SESSION_SECRET_KEY, secret.toString("hex"), CHANGES_CHANNEL],
  );
  return secret;
}
