/**
 * The checks that keep web pages out of a local server: a `Host` the server does not answer to
 * (DNS rebinding), an `Origin` other than the server's own (a cross-site request), and a request
 * body that is not the declared JSON (a form or `text/plain` post, which a page sends without a
 * preflight).
 */
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { HttpError } from "./http-error.js";

/** True for `localhost` and the loopback addresses (`127.x.x.x`, `::1`). */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** The host name of a `Host` header (`[::1]:8241` → `::1`), lower-cased; undefined when malformed. */
function hostName(header: string): string | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header.trim());
  if (m === null) return undefined;
  return (m[1] ?? m[2]!).toLowerCase();
}

/**
 * Refuses (403) a request that a web page could have made the browser send:
 * - without an API key, a `Host` other than `localhost`, a loopback address or `listenHost` (any
 *   port): a page on a rebound DNS name reaches the server with its own name as `Host`;
 * - an `Origin` that is not the server's own (`http://` + the request's `Host`), on every route.
 */
export function checkRequestSource(headers: IncomingHttpHeaders, listenHost: string, apiKey: string | undefined): void {
  const host = headers.host ?? "";
  if (apiKey === undefined) {
    const name = hostName(host);
    if (name === undefined || !(isLoopback(name) || name === listenHost.toLowerCase())) {
      throw new HttpError(
        403,
        `Host ${JSON.stringify(host.slice(0, 200))} is not this server's: without an API key it answers only to localhost, 127.0.0.1, [::1] or ${listenHost}. Open it by one of those names.`,
      );
    }
  }
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`.toLowerCase()) {
    throw new HttpError(
      403,
      `Origin ${JSON.stringify(origin.slice(0, 200))} is not this server's (http://${host.slice(0, 200)}): requests from other sites are refused.`,
    );
  }
}

/** The media type of a `content-type` header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Refuses (415) a request body that is not declared `application/json`. */
export function requireJson(contentType: string | undefined, what: string): void {
  const type = mediaType(contentType);
  if (type !== "application/json") {
    throw new HttpError(
      415,
      `${what}: content-type ${JSON.stringify(type)} is not supported; send the body as application/json.`,
    );
  }
}
