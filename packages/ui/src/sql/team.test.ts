// Team mode on a real PostgreSQL: two openTeamStore()s on one database act as two replicas.
import { type PostgresServer, freePort, startPostgres } from "@hamilton-ts/testing";
import { nodeRecord, templateRecord } from "@hamilton-ts/testing/records";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openReplicas, type Replicas } from "../../test/team-replicas.js";
import { UiError } from "../errors.js";
import type { UiNodeRunRecord } from "../run-store.js";
import { TrackingProtocol } from "../tracking.js";
import { deleteRuns } from "./delete.js";
import { MIGRATIONS } from "./migrations.js";
import { isDatabaseUnavailable, openTeamStore, rotateSessionSecret, type TeamStore } from "./team.js";

let server: PostgresServer;
let replicas: Replicas | undefined;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);
afterEach(async () => {
  await replicas?.close();
  replicas = undefined;
});

async function open(): Promise<Replicas> {
  replicas = await openReplicas(server);
  return replicas;
}

/** Resolves at the store's next change notification. */
function nextChange(store: TeamStore): Promise<void> {
  return new Promise((resolve) => {
    const off = store.onChange(() => {
      off();
      resolve();
    });
  });
}

/**
 * Resolves once the store's session secret is `expected`: at once when it already is, else at the
 * change notification that brings it. (A notification of an earlier rotation may still be telling
 * its listeners, so "the next change" is not "this rotation's change".)
 */
function secretBecomes(store: TeamStore, expected: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!store.sessionSecret.equals(expected)) return false;
      off();
      resolve();
      return true;
    };
    const off = store.onChange(check);
    check();
  });
}

async function count(store: TeamStore, table: string): Promise<number> {
  const { rows } = await store.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return rows[0]!.n;
}

const body = (value: unknown) => async () => value;

describe("openTeamStore: replicas on one database", () => {
  it("migrate together at start, and share one session secret; a rotation on one reaches the other", async () => {
    const { a, b } = await open();
    const { rows } = await a.db.query<{ value: string }>("SELECT value FROM hts_schema WHERE key = 'version'");
    expect(Number(rows[0]!.value)).toBe(MIGRATIONS.at(-1)!.id);
    expect(a.sessionSecret).toHaveLength(32);
    expect(a.sessionSecret.equals(b.sessionSecret)).toBe(true);

    const before = b.sessionSecret;
    const rotated = await a.rotateSessionSecret();
    expect(rotated.equals(a.sessionSecret)).toBe(true);
    expect(rotated.equals(before)).toBe(false);
    await secretBecomes(b, rotated);

    // Rotated by a tool on the database itself (no replica's method): both replicas are told.
    const byTool = await rotateSessionSecret(b.db);
    expect(byTool.equals(rotated)).toBe(false);
    await Promise.all([secretBecomes(a, byTool), secretBecomes(b, byTool)]);
  });

  it("never hand out one id twice when both create at once (2 × 50 runs, 2 × 10 templates), and agree on a template", async () => {
    const { a, b } = await open();
    const template = (name: string) => ({ projectId: "1", name, dagHash: "h", codeHash: "c" });
    const templates = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).ids.addTemplate(template(`t${i}`))),
    );
    expect(new Set(templates.map((t) => t.id)).size).toBe(20);
    // The same template registered on both at once: one id.
    const [same1, same2] = await Promise.all([
      a.ids.addTemplate(template("same")),
      b.ids.addTemplate(template("same")),
    ]);
    expect(same1.id).toBe(same2.id);
    expect(same1.graphVersion).toBe(`hamilton-ui-${same1.id}`);

    const runs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).ids.addRun(same1.id, "1")),
    );
    const ids = runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(100);
    // What one handed out, the other knows at once.
    for (const entry of runs.slice(0, 10)) expect(await b.ids.run(entry.id)).toEqual(entry);
    expect(await a.ids.template(same1.id)).toEqual(same1);
    expect(await b.ids.findTemplate("1", "h", "c", "same")).toEqual(same1);
    const listed = await a.ids.listRuns({ templateId: same1.id, limit: 5, offset: 2 });
    expect(listed.map((r) => r.id)).toEqual([...ids].sort((x, y) => y - x).slice(2, 7));
    expect(await a.ids.listRuns({ projectId: "other", limit: 100, offset: 0 })).toEqual([]);
  });

  it("tell every replica of a write on one (onChange), itself included; a removed listener is not called", async () => {
    const { a, b } = await open();
    const removed: string[] = [];
    b.onChange(() => removed.push("called"))();
    const onB = nextChange(b);
    const onA = nextChange(a);
    await a.runs.writeTemplate("1", templateRecord());
    await Promise.all([onA, onB]);
    const onBAgain = nextChange(b);
    await a.writeSpans({
      lines: [
        JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: "0af7651916cd43dd8448eb211c80319c",
                      spanId: "b7ad6b7169203331",
                      name: "s",
                      startTimeUnixNano: "1700000000000000000",
                      endTimeUnixNano: "1700000000001000000",
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ],
    });
    await onBAgain;
    expect(removed).toEqual([]);
  });

  it("store spans once: an exporter's retry of the same spans keeps the first", async () => {
    const { a, b } = await open();
    const line = (name: string) =>
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: Array.from({ length: 3 }, (_, i) => ({
                  traceId: "0AF7651916CD43DD8448EB211C80319C",
                  spanId: `b7ad6b716920333${i}`,
                  name,
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000000001000000",
                })),
              },
            ],
          },
        ],
      });
    await a.writeSpans({ lines: [line("first")] });
    await b.writeSpans({ lines: [line("retry"), line("retry")] });
    const { rows } = await b.db.query<{ trace_id: string; name: string }>(
      "SELECT trace_id, record->>'name' AS name FROM spans ORDER BY span_id",
    );
    expect(rows).toEqual(
      Array.from({ length: 3 }, () => ({ trace_id: "0af7651916cd43dd8448eb211c80319c", name: "first" })),
    );
  });
});

describe("the tracking protocol on two replicas", () => {
  async function startRun(a: TeamStore) {
    const protocol = new TrackingProtocol(a.ids, a.runs);
    const template = await protocol.handle({
      method: "POST",
      path: "/dag_templates/",
      query: new URLSearchParams({ project_id: "1" }),
      user: "me",
      body: body({ name: "d", dag_hash: "h", code_hash: "c", nodes: [{ name: "n0" }] }),
    });
    const run = await protocol.handle({
      method: "POST",
      path: "/dag_runs/",
      query: new URLSearchParams({ dag_template_id: String((template!.body as { id: number }).id) }),
      user: "me",
      body: body({ run_start_time: "2026-01-01T00:00:00", run_status: "RUNNING", inputs: { x: 1 } }),
    });
    expect(run!.status).toBe(200);
    return (run!.body as { id: number }).id;
  }

  const bulk = (protocol: TrackingProtocol, id: number, value: object) =>
    protocol.handle({
      method: "PUT",
      path: "/dag_runs_bulk",
      query: new URLSearchParams({ dag_run_id: String(id) }),
      user: "me",
      body: body(value),
    });
  const task = (node: string, status: string) => ({
    node_template_name: node,
    node_name: node,
    status,
    start_time: "2026-01-01T00:00:01+00:00",
    end_time: status === "RUNNING" ? null : "2026-01-01T00:00:02+00:00",
  });
  const attribute = (node: string, name: string) => ({
    node_name: node,
    name,
    type: "primitive",
    schema_version: 1,
    value: { type: "str", value: name },
    attribute_role: "result_summary",
  });

  it("updates of one node at once on both replicas: the final status and every attribute are kept", async () => {
    const { a, b } = await open();
    const id = await startRun(a);
    const [pa, pb] = [new TrackingProtocol(a.ids, a.runs), new TrackingProtocol(b.ids, b.runs)];
    // 20 rounds: a task update on one replica and an attribute of the same node on the other, at once.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.all([
          bulk(i % 2 === 0 ? pa : pb, id, { task_updates: [task(`n${i}`, "SUCCESS")], attributes: [] }),
          bulk(i % 2 === 0 ? pb : pa, id, { task_updates: [], attributes: [attribute(`n${i}`, "result_summary")] }),
          bulk(pb, id, { task_updates: [task(`n${i}`, "RUNNING")], attributes: [attribute(`n${i}`, "extra")] }),
        ]),
      ),
    );
    const state = await b.runs.read("1", String(id));
    expect(state!.nodes.size).toBe(20);
    for (const node of state!.nodes.values() as Iterable<UiNodeRunRecord>) {
      expect(node.status).toBe("SUCCESS");
      expect(Object.keys(node.uiAttributes ?? {}).sort()).toEqual(["extra", "result_summary"]);
      expect(node.result).toMatchObject({ kind: "string" });
    }
    expect(await count(a, "protocol_attributes")).toBe(40);
    expect(await count(a, "node_runs")).toBe(20);
    // Deleting the run (the read API's DELETE, retention) takes its attributes with it.
    await b.runs.update(
      "1",
      String(id),
      (state) => ({ records: [{ ...state!.run, status: "SUCCESS" }], value: 0 }),
      [],
    );
    expect(await deleteRuns(a.db, [String(id)])).toHaveLength(1);
    expect(await count(a, "protocol_attributes")).toBe(0);
  });

  it("a run created on one replica is ended on the other; a late RUNNING there keeps the final status", async () => {
    const { a, b } = await open();
    const id = await startRun(a);
    const pb = new TrackingProtocol(b.ids, b.runs);
    const end = (status: string) =>
      pb.handle({
        method: "PUT",
        path: `/dag_runs/${id}/`,
        query: new URLSearchParams(),
        user: "me",
        body: body({ run_status: status, run_end_time: "2026-01-01T00:00:05", upsert_tags: { k: status } }),
      });
    expect((await end("SUCCESS"))!.body).toMatchObject({ id, run_status: "SUCCESS", inputs: { x: 1 } });
    expect((await end("RUNNING"))!.body).toMatchObject({ run_status: "SUCCESS", tags: { k: "RUNNING" } });
    const { rows } = await a.db.query<{ status: string; project_id: string }>(
      "SELECT status, project_id FROM runs WHERE run_id = $1",
      [String(id)],
    );
    expect(rows).toEqual([{ status: "SUCCESS", project_id: "1" }]);
    const latest = await new TrackingProtocol(a.ids, a.runs).handle({
      method: "GET",
      path: "/dag_runs/latest/",
      query: new URLSearchParams({ project_id: "1" }),
      user: "me",
      body: body(undefined),
    });
    expect((latest!.body as { id: number; run_status: string }[]).map((r) => [r.id, r.run_status])).toEqual([
      [id, "SUCCESS"],
    ]);
  });

  it("reads a run's node runs by the protocol's names, fan-out tasks (taskId-node) and dashes in names included", async () => {
    const { a, b } = await open();
    const id = await startRun(a);
    await a.runs.update(
      "1",
      String(id),
      (state) => ({
        records: [
          nodeRecord(String(id), "c", "RUNNING", { taskId: "t-1" }),
          nodeRecord(String(id), "x-y", "SUCCESS"),
          nodeRecord(String(id), "y", "SUCCESS", { taskId: "z" }),
        ],
        value: state,
      }),
      [],
    );
    const picked = await b.runs.read("1", String(id), ["t-1-c", "x-y"]);
    expect([...picked!.nodes.keys()].sort()).toEqual(["t-1-c", "x-y"]);
    const none = await b.runs.read("1", String(id), []);
    expect(none!.nodes.size).toBe(0);
    expect(none!.run.runId).toBe(String(id));
    expect((await b.runs.read("1", String(id)))!.nodes.size).toBe(3);
    expect(await b.runs.read("1", "404")).toBeUndefined();
  });

  it("keeps no run state in a replica: a change made on the database directly is what the next update sees", async () => {
    const { a, b } = await open();
    const id = await startRun(a);
    await a.db.query(
      "UPDATE runs SET status = 'FAILURE', record = record || '{\"status\":\"FAILURE\"}'::jsonb WHERE run_id = $1",
      [String(id)],
    );
    const seen = await b.runs.update("1", String(id), (state) => ({ records: [], value: state!.run.status }), []);
    expect(seen).toBe("FAILURE");
  });
});

describe("openTeamStore: faults at start", () => {
  it("rejects with DATABASE_UNAVAILABLE naming host and port, never the password, when PostgreSQL is not there", async () => {
    const port = await freePort();
    const error = await openTeamStore(`postgres://ui:hunter2-pass@127.0.0.1:${port}/hamilton`).catch((e: unknown) => e);
    expect(UiError.isInstance(error)).toBe(true);
    expect((error as UiError).code).toBe("DATABASE_UNAVAILABLE");
    expect((error as UiError).message).toContain(`127.0.0.1:${port}/hamilton`);
    expect((error as UiError).message).toMatch(/at start/);
    expect((error as UiError).message).not.toContain("hunter2");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("rejects a database that does not exist with DATABASE_UNAVAILABLE, and a URL that is not postgres:// with INVALID_OPTION", async () => {
    const missing = await openTeamStore(server.url.replace(/\/postgres$/, "/no_such_db")).catch((e: unknown) => e);
    expect((missing as UiError).code).toBe("DATABASE_UNAVAILABLE");
    expect((missing as UiError).message).toContain(`127.0.0.1:${server.port}/no_such_db`);
    const wrong = await openTeamStore("mysql://u:hunter2@h/db").catch((e: unknown) => e);
    expect((wrong as UiError).code).toBe("INVALID_OPTION");
    expect((wrong as UiError).message).not.toContain("hunter2");
    expect(isDatabaseUnavailable(wrong)).toBe(false);
    expect(isDatabaseUnavailable(new Error("syntax error"))).toBe(false);
  });
});
