/**
 * What the server itself writes as HTML: the Content-Security-Policy of every answer and the login
 * page (asked for when the server has an API key and the browser has no session). The run pages
 * are static files built by Vite (`static-files.ts`).
 */

/** The Content-Security-Policy of every answer: no inline scripts, no styles from elsewhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The longest `next` kept; a longer one is refused (`/`), not cut (a cut could end mid-escape). */
const MAX_NEXT_LENGTH = 2000;
/** A stand-in origin: `next` is resolved against it as the browser resolves it against the server's. */
const SELF = "http://next.invalid";

/**
 * A path the login form may send the browser back to, else `/`. It goes into a `Location` header
 * and the form, so it must be a path of this server as the browser reads it: no control
 * characters and no backslash (a browser's URL parser drops tabs and newlines, so `"/\t/evil.example"`
 * is `//evil.example`, and reads `\` as `/`), resolved with `new URL(next, origin)` to the same
 * origin with a path that starts with a single `/`. The answer is that URL's path, query and
 * fragment as the parser writes them (percent-encoded ASCII, safe in a header).
 */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== "string" || next.length > MAX_NEXT_LENGTH) return "/";
  // C0 controls (tab, newline…), DEL and C1 controls, and the backslash browsers read as "/".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(next)) return "/";
  if (!next.startsWith("/") || next.startsWith("//")) return "/";
  let url: URL;
  try {
    url = new URL(next, SELF);
  } catch {
    return "/";
  }
  if (url.origin !== SELF) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}

/**
 * The login page: one form that posts the key to `POST /api/login`, which sets the session
 * cookie and sends the browser back to `next`. No script, no inline style.
 */
export function loginPage(next: string, message: string | undefined): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>API key · hamilton-ts-ui</title></head>
<body>
<h1>hamilton-ts-ui</h1>
<p>This server needs its API key (the one given with <code>--api-key</code> or <code>HAMILTON_TS_UI_API_KEY</code>). It is asked once; the browser keeps a session cookie.</p>
${message === undefined ? "" : `<p id="login-error"><strong>${escapeHtml(message)}</strong></p>\n`}<form method="post" action="/api/login">
<input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">
<label>API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
<button type="submit">Open</button>
</form>
</body>
</html>
`;
}
