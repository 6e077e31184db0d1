/** An answer other than 2xx that a request handler throws: its status and a message for the client. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/**
 * Checks an id that becomes part of a file name or a lookup (a project id, a run id): non-empty,
 * at most 1,000 characters, no path separators, no NUL, not `.` or `..` and not starting with `.`.
 * The store encodes ids as file names so nothing could escape its directory anyway; such an id is
 * refused outright with a 400 that says why.
 */
export function checkId(what: string, id: string): string {
  if (id.length === 0 || id.length > 1000 || /[/\\\0]/.test(id) || id.startsWith(".")) {
    throw new HttpError(
      400,
      `${what} ${JSON.stringify(id.slice(0, 100))} is not allowed: ids must be 1 to 1,000 characters, without "/", "\\", NUL or a leading ".".`,
    );
  }
  return id;
}
