/** A JSON call to a test server, for the tests that speak the tracking protocol and the read API. */

/** Sends `body` (JSON, when given) with `method` to `url + path`: the status and the parsed answer (undefined when empty). */
export async function api(
  url: string,
  path: string,
  method = "GET",
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
}
