import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Checks a request's key against the server's: `x-api-key` (what both Hamilton SDKs send) or
 * `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests with `timingSafeEqual`, so the
 * time taken says nothing about the key. With no server key every request passes.
 */
export function isAuthorized(headers: IncomingHttpHeaders, apiKey: string | undefined): boolean {
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
  return ok;
}
