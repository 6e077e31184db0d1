/**
 * The pages, for now: a placeholder that shows a run (or the runs list) as JSON text. The full page
 * (DAG, waterfall, trace) is built from the read API and served as static files in a later
 * release. Everything is escaped: a run's values come from running code and may hold HTML.
 */

/** The Content-Security-Policy of every answer: no inline scripts, no styles from elsewhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A placeholder page: a title, a note that the full page is coming, and `data` as JSON text. */
export function placeholderPage(title: string, data: unknown): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} · hamilton-ts-ui</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>The run page of hamilton-ts-ui (DAG, node runs, trace) is not part of this version yet; here is what the read API returns (<code>/api/runs</code>, <code>/api/runs/&lt;runId&gt;</code>).</p>
<pre>${escapeHtml(JSON.stringify(data, null, 2))}</pre>
</body>
</html>
`;
}
