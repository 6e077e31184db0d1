/** Fetching the read API. */

/** A read API answer other than 2xx. */
export class ApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** GETs JSON from the server; a non-2xx answer throws an {@link ApiError} with the server's message. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" }, credentials: "same-origin" });
  if (res.status === 401) {
    // The session's key cookie is missing or stale: the server's login page asks for the key.
    location.reload();
    throw new ApiError(401, "The API key is required.");
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: unknown };
      if (typeof body.error === "string") message = body.error;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(res.status, message);
  }
  return (await res.json()) as T;
}

/**
 * DELETEs a read API resource (`/api/runs/<id>`) with the session's cookie (a server with a key
 * checks it). Resolves on 2xx; any other answer throws an {@link ApiError} with the server's message
 * (a 409 for a run still running, a 404 for one already gone).
 */
export async function deleteResource(path: string): Promise<void> {
  const res = await fetch(path, { method: "DELETE", credentials: "same-origin" });
  if (res.ok) return;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === "string") message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  throw new ApiError(res.status, message);
}
