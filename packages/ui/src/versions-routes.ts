/**
 * The versions API: `GET /api/versions?dag=&project=` → `{ dag, versions: [{ projectId,
 * graphVersion, firstSeen, lastSeen, runs, failures, nodes }] }` (newest first), and
 * `GET /api/versions/diff?dag=&project=&a=&b=` → the node-by-node difference from version `a` to
 * `b` (nodes added, removed, changed, with both sources). `read-routes.ts` hands these paths here;
 * a bad or missing parameter is an `HttpError` 400 and an unknown version a 404, each saying which.
 */
import { checkId, HttpError } from "./http-error.js";
import { single, textParam } from "./read-params.js";
import type { ReadAnswer, ReadSource } from "./read-routes.js";
import { dagVersions, versionTemplates } from "./sql/versions.js";
import { diffTemplates } from "./versions-diff.js";

function dagParam(query: URLSearchParams, path: string): string {
  const dag = textParam(query, "dag");
  if (dag === undefined) {
    throw new HttpError(400, `dag is missing: GET ${path} needs dag=<DAG name> (and may take project=).`);
  }
  return dag;
}

function projectParam(query: URLSearchParams): string | undefined {
  const project = single(query, "project");
  return project === undefined ? undefined : checkId("project", project);
}

async function list(query: URLSearchParams, source: ReadSource): Promise<ReadAnswer> {
  const dag = dagParam(query, "/api/versions");
  const project = projectParam(query);
  await source.settled();
  const versions = await dagVersions(source.db, { dag, project });
  return { status: 200, body: { dag, ...(project === undefined ? {} : { project }), versions } };
}

async function diff(query: URLSearchParams, source: ReadSource): Promise<ReadAnswer> {
  const dag = dagParam(query, "/api/versions/diff");
  const project = projectParam(query);
  const a = textParam(query, "a");
  const b = textParam(query, "b");
  if (a === undefined || b === undefined) {
    throw new HttpError(
      400,
      `${a === undefined ? "a" : "b"} is missing: GET /api/versions/diff needs a=<graph version> and b=<graph version> (see GET /api/versions?dag=…).`,
    );
  }
  await source.settled();
  const templates = await versionTemplates(source.db, { dag, project }, [a, b]);
  const where = `DAG ${JSON.stringify(dag)}${project === undefined ? "" : ` of project ${JSON.stringify(project)}`}`;
  for (const [name, version] of [
    ["a", a],
    ["b", b],
  ] as const) {
    if (!templates.has(version)) {
      return {
        status: 404,
        body: {
          error: `${name}=${JSON.stringify(version)}: ${where} has no recorded template of that version; GET /api/versions?dag=… lists its versions.`,
        },
      };
    }
  }
  return { status: 200, body: diffTemplates(templates.get(a)!, templates.get(b)!) };
}

/** Answers `/api/versions` and `/api/versions/diff` (GET), or undefined for another path. */
export async function versionsRoute(
  path: string,
  query: URLSearchParams,
  source: ReadSource,
): Promise<ReadAnswer | undefined> {
  if (path === "/api/versions") return list(query, source);
  if (path === "/api/versions/diff") return diff(query, source);
  return undefined;
}
