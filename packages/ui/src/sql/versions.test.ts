import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends, emptyIndex } from "../../test/sql-backends.js";
import { type ReadSource, readRoute } from "../read-routes.js";
import type { Database } from "./database.js";
import { ingestRecords, ingestTemplates } from "./ingest.js";
import { migrate } from "./migrations.js";
import { dagVersions } from "./versions.js";

const T0 = 1_700_000_000_000;

describe.each(backends)("a DAG's versions on $name", (backend) => {
  let db: Database;
  let source: ReadSource;
  beforeAll(async () => {
    db = await backend.open();
    source = {
      db,
      backend: backend.name === "PGlite" ? "embedded" : "postgres",
      settled: async () => undefined,
      status: async () => ({}),
    };
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await migrate(db);
    await emptyIndex(db);
    const v1 = templateRecord({ graphVersion: "v1", createdAt: T0 });
    const [a, c] = v1.nodes;
    const v2 = templateRecord({
      graphVersion: "v2",
      createdAt: T0 + 5000,
      nodes: [a!, { ...c!, version: "vc2", source: "({ a }) => a * 2" }, { ...a!, name: "d", version: "vd" }],
    });
    // v3: runs reported without a template (the store has none).
    await ingestTemplates(db, "p", [v1, v2]);
    await ingestTemplates(db, "other", [templateRecord({ graphVersion: "v9", createdAt: T0 })]);
    await ingestRecords(db, "p", [
      runRecord("r1", "SUCCESS", { graphVersion: "v1", startTime: T0 + 1000 }),
      runRecord("r2", "FAILURE", { graphVersion: "v1", startTime: T0 + 2000 }),
      nodeRecord("r2", "a", "FAILURE"),
      runRecord("r3", "SUCCESS", { graphVersion: "v2", startTime: T0 + 6000 }),
      runRecord("r4", "SUCCESS", { graphVersion: "v3", startTime: T0 + 9000 }),
      runRecord("x", "SUCCESS", { graphVersion: "v1", dagName: "another", startTime: T0 }),
    ]);
  });

  it("lists each version with first and last seen, runs and failures, the newest first", async () => {
    expect(await dagVersions(db, { dag: "dag", project: "p" })).toEqual([
      {
        projectId: "p",
        graphVersion: "v3",
        firstSeen: T0 + 9000,
        lastSeen: T0 + 9000,
        runs: 1,
        failures: 0,
        nodes: null,
      },
      { projectId: "p", graphVersion: "v2", firstSeen: T0 + 5000, lastSeen: T0 + 6000, runs: 1, failures: 0, nodes: 3 },
      { projectId: "p", graphVersion: "v1", firstSeen: T0, lastSeen: T0 + 2000, runs: 2, failures: 1, nodes: 2 },
    ]);
    // Without a project: every project's versions of the DAG (a template without runs too).
    expect((await dagVersions(db, { dag: "dag" })).map((v) => `${v.projectId}/${v.graphVersion}:${v.runs}`)).toEqual([
      "p/v3:1",
      "p/v2:1",
      "p/v1:2",
      "other/v9:0",
    ]);
    expect(await dagVersions(db, { dag: "nothing" })).toEqual([]);
  });

  it("answers GET /api/versions and the diff of two versions: added, removed and changed nodes with both sources", async () => {
    const list = await readRoute("GET", "/api/versions", new URLSearchParams("dag=dag&project=p"), source);
    expect(list?.status).toBe(200);
    expect((list!.body as { versions: { graphVersion: string }[] }).versions.map((v) => v.graphVersion)).toEqual([
      "v3",
      "v2",
      "v1",
    ]);
    const forward = await readRoute(
      "GET",
      "/api/versions/diff",
      new URLSearchParams("dag=dag&project=p&a=v1&b=v2"),
      source,
    );
    expect(forward?.status).toBe(200);
    expect(forward?.body).toMatchObject({
      dagName: "dag",
      a: "v1",
      b: "v2",
      added: [{ name: "d", version: "vd", source: "() => 1" }],
      removed: [],
      changed: [
        {
          name: "c",
          changes: ["code"],
          before: { version: "vc", source: "({ a }) => a" },
          after: { version: "vc2", source: "({ a }) => a * 2" },
        },
      ],
      unchanged: 1,
    });
    const back = await readRoute("GET", "/api/versions/diff", new URLSearchParams("dag=dag&a=v2&b=v1"), source);
    expect(back?.body).toMatchObject({ added: [], removed: [{ name: "d" }], changed: [{ name: "c" }] });
  });

  it("says which parameter is missing and which version is unknown", async () => {
    const noDag = await readRoute("GET", "/api/versions", new URLSearchParams("project=p"), source);
    expect(noDag).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^dag is missing/) } });
    const noB = await readRoute("GET", "/api/versions/diff", new URLSearchParams("dag=dag&a=v1"), source);
    expect(noB).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^b is missing/) } });
    const unknown = await readRoute("GET", "/api/versions/diff", new URLSearchParams("dag=dag&a=v1&b=v3"), source);
    expect(unknown?.status).toBe(404);
    expect((unknown!.body as { error: string }).error).toBe(
      'b="v3": DAG "dag" has no recorded template of that version; GET /api/versions?dag=… lists its versions.',
    );
  });
});
