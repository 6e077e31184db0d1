// One server in team mode, end to end on a real PostgreSQL: what HamiltonUIClient and an OTLP
// exporter send is stored in the database (no store files) and served by the read API; a database
// that is down at start is refused with its host and port (never the password), one lost while
// serving answers 503 and nothing crashes.
import { readdir } from "node:fs/promises";
import { freePort, type PostgresServer, startPostgres } from "@hamilton-ts/testing";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { HamiltonUIClient } from "@hamilton-ts/tracker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../test/api.js";
import { freshDatabase, startCluster, stopCluster } from "../test/team-replicas.js";
import { serve, tempDir } from "../test/temp.js";
import { UiError } from "./errors.js";
import { startUi } from "./server.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

describe("startUi with a team database", () => {
  it("stores what it receives in the database, serves it, and keeps no files", async () => {
    const dir = await tempDir();
    const ui = await serve({ dir, databaseUrl: await freshDatabase(postgres) });
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: "me@example.com" });
    await client.write(5, [
      templateRecord(),
      runRecord("r1", "RUNNING"),
      nodeRecord("r1", "a", "SUCCESS"),
      runRecord("r1", "SUCCESS"),
    ]);
    const exported = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [] },
            scopeSpans: [{ spans: [{ traceId: TRACE, spanId: "b7ad6b7169203331", name: "s", kind: 1 }] }],
          },
        ],
      }),
    });
    expect(exported.status).toBe(200);
    const { body } = await api(ui.url, "/api/runs");
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ projectId: "5", status: "SUCCESS", nodeCount: 1 });
    const run = await api(ui.url, `/api/runs/${body.runs[0].runId}`);
    expect(run.body.nodeRuns.map((n: { node: string; status: string }) => [n.node, n.status])).toEqual([
      ["a", "SUCCESS"],
    ]);
    expect((await api(ui.url, `/api/traces/${TRACE}`)).body.spans).toHaveLength(1);
    expect((await api(ui.url, "/api/store")).body).toMatchObject({ backend: "postgres", runs: 1, catchingUp: false });
    expect(await readdir(dir)).toEqual([]);
  });

  it("stores a run whose DAG name, tags, node name and error hold NUL characters (as ␀), found by them", async () => {
    const ui = await serve({ dir: await tempDir(), databaseUrl: await freshDatabase(postgres) });
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: "me@example.com" });
    const dag = { dagName: "dag\u0000x" };
    await client.write(5, [
      templateRecord(dag),
      runRecord("r1", "RUNNING", { ...dag, tags: { k: "v\u0000" } }),
      nodeRecord("r1", "n\u0000m", "FAILURE", {
        error: { type: "E", message: "bad \u0000 byte", stack: undefined, cause: undefined },
      }),
      runRecord("r1", "FAILURE", dag),
    ]);
    const { body } = await api(ui.url, "/api/runs?q=bad%20%00");
    expect(body.runs.map((r: { dagName: string; status: string }) => [r.dagName, r.status])).toEqual([
      ["dag␀x", "FAILURE"],
    ]);
    const run = await api(ui.url, `/api/runs/${body.runs[0].runId}`);
    expect(
      run.body.nodeRuns.map((n: { node: string; error: { message: string } }) => [n.node, n.error.message]),
    ).toEqual([["n␀m", "bad ␀ byte"]]);
  });

  it("refuses to start when the database is down, naming its host and port but not the password", async () => {
    const port = await freePort();
    const error = await startUi({ port: 0, databaseUrl: `postgres://ui:s3cret-pw@127.0.0.1:${port}/team` }).catch(
      (e: unknown) => e,
    );
    expect(UiError.isInstance(error)).toBe(true);
    expect((error as UiError).code).toBe("DATABASE_UNAVAILABLE");
    expect((error as UiError).message).toContain(`127.0.0.1:${port}`);
    expect((error as UiError).message).not.toContain("s3cret-pw");
  });

  it("answers 503 while the database is down, and serves again once it is back", async () => {
    const ui = await serve({ databaseUrl: await freshDatabase(postgres) });
    expect((await api(ui.url, "/api/runs")).status).toBe(200);
    await stopCluster(postgres);
    try {
      const down = await api(ui.url, "/api/runs");
      expect(down.status).toBe(503);
      expect(down.body.error).toMatch(/cannot be reached/);
    } finally {
      await startCluster(postgres);
    }
    expect((await api(ui.url, "/api/runs")).status).toBe(200);
  });
});
