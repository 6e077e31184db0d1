/**
 * Reading the Hamilton UI's answers: the id of a created template or run, the attributes a
 * run's read-back says were stored, and the runs tagged with a hamilton-ts run id. An answer of
 * the wrong shape is a `BAD_RESPONSE` naming the URL, or is read as "nothing found".
 */
import { TrackerError } from "./errors.js";
import { excerpt } from "./hamilton-ui-http.js";
import { RUN_ID_TAG } from "./hamilton-ui-payloads.js";

/** The `id` of a created or found object; `what` names it in the error, `hide` hides the API key in it. */
export function idOf(body: unknown, what: string, url: string, hide?: (text: string) => string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "number") {
    throw new TrackerError(
      "BAD_RESPONSE",
      `${url} answered ${excerpt(JSON.stringify(body) ?? "", 200, hide)} for ${what}; expected {"id": <number>}. Is baseUrl the Hamilton UI's API server?`,
    );
  }
  return id;
}

/**
 * The attribute keys (`node\0name`) in the answer of `GET /dag_runs/{id}?attr=…`: a list of dag
 * runs, each with `node_runs`, each with `attributes`. Anything else reads as none stored.
 */
export function storedAttributeKeys(found: unknown): Set<string> {
  const stored = new Set<string>();
  for (const dagRun of Array.isArray(found) ? found : []) {
    for (const node of ((dagRun as { node_runs?: unknown }).node_runs as {
      attributes?: { node_name?: unknown; name?: unknown }[];
    }[]) ?? []) {
      for (const attribute of node.attributes ?? [])
        stored.add(`${String(attribute.node_name)}\0${String(attribute.name)}`);
    }
  }
  return stored;
}

/** The dag_run ids in one page of `GET /dag_runs/latest/` whose `hamilton_ts_run_id` tag is `runId`. */
export function runIdsTagged(runs: readonly unknown[], runId: string): number[] {
  const found: number[] = [];
  for (const candidate of runs as { id?: unknown; tags?: Record<string, unknown> | null }[]) {
    if (candidate.tags?.[RUN_ID_TAG] === runId && typeof candidate.id === "number") found.push(candidate.id);
  }
  return found;
}
