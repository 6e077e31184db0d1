/**
 * The runs list's filters and the address that keeps them (`/?project=&dag=&status=&q=&tag=k:v&from=&to=`),
 * read and written both ways, and the read API requests they make. `from`/`to` are UTC days
 * (`YYYY-MM-DD`, both included) in the address, start times in ms in the API. No DOM: tested under Node.
 */

/** What the list shows: every field given must hold. */
export interface RunsFilter {
  readonly project: string;
  readonly dag: string;
  readonly status: string;
  /** Text in the DAG name, node names, error messages and tag values. */
  readonly q: string;
  /** `key:value` each. */
  readonly tags: readonly string[];
  /** First day (UTC, `YYYY-MM-DD`), "" for none. */
  readonly from: string;
  /** Last day (UTC, `YYYY-MM-DD`, included), "" for none. */
  readonly to: string;
}

/** One day in ms. */
export const DAY_MS = 86_400_000;

/** No filter at all. */
export const NO_FILTER: RunsFilter = { project: "", dag: "", status: "", q: "", tags: [], from: "", to: "" };

/** True for a valid `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** The start of a UTC day in ms. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The UTC day (`YYYY-MM-DD`) of a time in ms. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Reads the filters from an address's query (`location.search`); invalid days and tags are dropped. */
export function readFilter(search: string): RunsFilter {
  const q = new URLSearchParams(search);
  const day = (name: string) => {
    const v = q.get(name) ?? "";
    return isDay(v) ? v : "";
  };
  return {
    project: q.get("project") ?? "",
    dag: q.get("dag") ?? "",
    status: q.get("status") ?? "",
    q: q.get("q") ?? "",
    tags: q.getAll("tag").filter((t) => t.indexOf(":") > 0),
    from: day("from"),
    to: day("to"),
  };
}

/** The address's query for filters (`""` when none is set; else `?…`), in a fixed order. */
export function filterSearch(filter: RunsFilter): string {
  const q = new URLSearchParams();
  for (const key of ["project", "dag", "status", "q"] as const) if (filter[key] !== "") q.set(key, filter[key]);
  for (const tag of filter.tags) q.append("tag", tag);
  if (filter.from !== "") q.set("from", filter.from);
  if (filter.to !== "") q.set("to", filter.to);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

/** `GET /api/runs` for the filters: a page of `limit` runs, older than the cursor `before` when given. */
export function runsRequest(filter: RunsFilter, limit: number, before?: string | undefined): string {
  const q = new URLSearchParams();
  for (const key of ["project", "dag", "status", "q"] as const) if (filter[key] !== "") q.set(key, filter[key]);
  for (const tag of filter.tags) q.append("tag", tag);
  if (filter.from !== "") q.set("from", String(dayStart(filter.from)));
  if (filter.to !== "") q.set("to", String(dayStart(filter.to) + DAY_MS));
  q.set("limit", String(limit));
  if (before !== undefined) q.set("before", before);
  return `/api/runs?${q.toString()}`;
}

/** `GET /api/activity` for the filters' project and DAG, over `days` days. */
export function activityRequest(filter: RunsFilter, days: number): string {
  const q = new URLSearchParams();
  if (filter.project !== "") q.set("project", filter.project);
  if (filter.dag !== "") q.set("dag", filter.dag);
  q.set("days", String(days));
  return `/api/activity?${q.toString()}`;
}

/** Parses the tag box's text (`team:search, env:prod`) into `key:value` tags; the bad ones are returned apart. */
export function parseTags(text: string): { readonly tags: string[]; readonly bad: string[] } {
  const tags: string[] = [];
  const bad: string[] = [];
  for (const part of text.split(",")) {
    const t = part.trim();
    if (t === "") continue;
    if (t.indexOf(":") > 0) tags.push(t);
    else bad.push(t);
  }
  return { tags, bad };
}
