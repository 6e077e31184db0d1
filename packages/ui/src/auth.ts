import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** The cookie the page keeps the key in (as a digest of it), once `POST /api/login` accepted the key. */
export const SESSION_COOKIE = "hamilton_ts_ui_session";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * The value of the session cookie for a key: an HMAC-SHA256 of the key under `secret` (hex), so
 * the cookie never holds the key itself. Each server start draws a new secret: a restart ends every
 * session (the page asks for the key again), and a cookie that leaked is worth nothing after it.
 */
export function sessionToken(apiKey: string, secret: Buffer): string {
  return createHmac("sha256", secret).update(`hamilton-ts-ui session\0${apiKey}`, "utf8").digest("hex");
}

/** The `Set-Cookie` header that keeps a session: HttpOnly, SameSite=Strict, Path=/. */
export function sessionCookie(apiKey: string, secret: Buffer): string {
  return `${SESSION_COOKIE}=${sessionToken(apiKey, secret)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The values of a cookie in a `Cookie` header (a name can come more than once). */
function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  const out: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/** True when `candidate` is the key; compared as SHA-256 digests with `timingSafeEqual`. */
export function isKey(candidate: string, apiKey: string): boolean {
  return timingSafeEqual(digest(candidate), digest(apiKey));
}

/**
 * Checks a request's key against the server's: `x-api-key` (what both Hamilton SDKs send),
 * `Authorization: Bearer <key>`, or the page's session cookie ({@link SESSION_COOKIE}). Keys are
 * compared as SHA-256 digests with `timingSafeEqual`, so the time taken says nothing about the key.
 * With no server key every request passes. `sessionSecret` is the server's (see {@link sessionToken}).
 */
export function isAuthorized(headers: IncomingHttpHeaders, apiKey: string | undefined, sessionSecret: Buffer): boolean {
  if (apiKey === undefined) return true;
  const expected = digest(apiKey);
  const candidates: string[] = [];
  const header = headers["x-api-key"];
  if (typeof header === "string") candidates.push(header);
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) candidates.push(match[1]!);
  }
  let ok = false;
  // Every candidate is compared, so the time does not depend on which header matched.
  for (const candidate of candidates) ok = timingSafeEqual(digest(candidate), expected) || ok;
  const session = digest(sessionToken(apiKey, sessionSecret));
  for (const value of cookieValues(headers.cookie, SESSION_COOKIE)) ok = timingSafeEqual(digest(value), session) || ok;
  return ok;
}
