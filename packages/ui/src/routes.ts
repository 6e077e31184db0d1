/**
 * The page's routes, declared once: the server answers each with the page's `index.html` (and the
 * login form when a key is needed), and the page (`web/src/main.ts`) picks its view with the same
 * {@link matchPage}. Plain TypeScript without Node or DOM APIs, so both builds import it.
 */

/** A view of the page and what its path names. */
export type PageRoute =
  | { readonly view: "runs" }
  | { readonly view: "run"; readonly runId: string }
  | { readonly view: "versions" }
  | { readonly view: "compare" }
  | { readonly view: "history" };

/** One route: its view, the pattern of its path (a run id is the first group), and an example. */
export interface PageRouteDeclaration {
  readonly view: PageRoute["view"];
  readonly pattern: RegExp;
  readonly example: string;
}

/**
 * Every path the page answers, in the order they are tried: the runs list, a run (and the Hamilton
 * UI's own link to a run, `/dashboard/project/<projectId>/runs/<runId>`), the comparison of two
 * runs (`?a=<runId>&b=<runId>`), a node's history (`?project=&dag=&node=&limit=`).
 */
export const PAGE_ROUTES: readonly PageRouteDeclaration[] = [
  { view: "runs", pattern: /^\/$/, example: "/" },
  { view: "run", pattern: /^\/runs\/([^/]+)\/?$/, example: "/runs/<runId>" },
  {
    view: "run",
    pattern: /^\/dashboard\/project\/[^/]+\/runs\/([^/]+)\/?$/,
    example: "/dashboard/project/1/runs/<runId>",
  },
  { view: "compare", pattern: /^\/compare\/?$/, example: "/compare?a=<runId>&b=<runId>" },
  { view: "versions", pattern: /^\/versions\/?$/, example: "/versions?project=<project>&dag=<dag>" },
  { view: "history", pattern: /^\/history\/?$/, example: "/history?project=<project>&dag=<dag>&node=<node>" },
];

/** Where the login form posts the key (the only route open without it). */
export const LOGIN_PATH = "/api/login";

/** True when `path` (without its query) is one of the page's. */
export function isPagePath(path: string): boolean {
  return PAGE_ROUTES.some((route) => route.pattern.test(path));
}

/**
 * The page's view for a path (without its query), or undefined when the path is not one of the
 * page's. A run id is percent-decoded; a malformed escape throws `URIError`.
 */
export function matchPage(path: string): PageRoute | undefined {
  for (const route of PAGE_ROUTES) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    if (route.view === "run") return { view: "run", runId: decodeURIComponent(match[1]!) };
    return { view: route.view };
  }
  return undefined;
}
