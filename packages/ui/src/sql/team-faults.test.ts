// Team mode when PostgreSQL goes away while serving: writes fail with DATABASE_UNAVAILABLE (a
// server answers 503; nothing is acknowledged), what was acknowledged before is all there after a
// restart, writes work again, and each replica's LISTEN connection comes back by itself.
import { type PostgresServer, startPostgres } from "@hamilton-ts/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Builder } from "@hamilton-ts/core";
import { HamiltonTracker, HamiltonUIClient } from "@hamilton-ts/tracker";
import { openReplicas, protocolHarness, startCluster, stopCluster } from "../../test/team-replicas.js";
import { UiError } from "../errors.js";
import { TrackingProtocol } from "../tracking.js";
import { isDatabaseUnavailable, type TeamStore } from "./team.js";

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);

function nextChange(store: TeamStore): Promise<void> {
  return new Promise((resolve) => {
    const off = store.onChange(() => {
      off();
      resolve();
    });
  });
}

const call = (
  protocol: TrackingProtocol,
  method: string,
  path: string,
  query: Record<string, string>,
  body?: unknown,
) => protocol.handle({ method, path, query: new URLSearchParams(query), user: "me", body: async () => body });

const task = (node: string) => ({
  node_template_name: node,
  node_name: node,
  status: "SUCCESS",
  start_time: "2026-01-01T00:00:01+00:00",
  end_time: "2026-01-01T00:00:02+00:00",
});

async function expectUnavailable(work: Promise<unknown>): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDatabaseUnavailable(error)).toBe(true);
  expect(UiError.isInstance(error) && error.code).toBe("DATABASE_UNAVAILABLE");
  expect((error as Error).message).toContain(`127.0.0.1:${server.port}/`);
}

describe("team mode: PostgreSQL lost while serving", () => {
  it("fails writes and reads with DATABASE_UNAVAILABLE while it is down, loses nothing acknowledged, and works again once it is back", async () => {
    const { a, b, close } = await openReplicas(server);
    try {
      const [pa, pb] = [new TrackingProtocol(a.ids, a.runs), new TrackingProtocol(b.ids, b.runs)];
      const template = await call(
        pa,
        "POST",
        "/dag_templates/",
        { project_id: "1" },
        {
          name: "d",
          dag_hash: "h",
          code_hash: "c",
          nodes: [],
        },
      );
      const templateId = String((template!.body as { id: number }).id);
      const run = await call(pa, "POST", "/dag_runs/", { dag_template_id: templateId }, { run_status: "RUNNING" });
      const runId = String((run!.body as { id: number }).id);
      const nodes = Array.from({ length: 50 }, (_, i) => task(`n${i}`));
      expect(
        (await call(pb, "PUT", "/dag_runs_bulk", { dag_run_id: runId }, { task_updates: nodes.slice(0, 25) }))!.status,
      ).toBe(200);

      const reconnected = nextChange(b);
      await stopCluster(server);
      try {
        await expectUnavailable(call(pa, "PUT", "/dag_runs_bulk", { dag_run_id: runId }, { task_updates: nodes }));
        await expectUnavailable(call(pb, "POST", "/dag_runs/", { dag_template_id: templateId }, {}));
        await expectUnavailable(b.runs.read("1", runId));
        await expectUnavailable(
          a.writeSpans({
            lines: [
              JSON.stringify({
                resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "a".repeat(32), spanId: "b".repeat(16) }] }] }],
              }),
            ],
          }),
        );
      } finally {
        await startCluster(server);
      }
      // The LISTEN connection comes back by itself and says so (writes meanwhile were not announced).
      await reconnected;
      const told = nextChange(b);
      expect(
        (await call(pa, "PUT", "/dag_runs_bulk", { dag_run_id: runId }, { task_updates: nodes.slice(25) }))!.status,
      ).toBe(200);
      await told;
      expect((await call(pb, "PUT", `/dag_runs/${runId}/`, {}, { run_status: "SUCCESS" }))!.status).toBe(200);
      const state = await a.runs.read("1", runId);
      expect(state!.run.status).toBe("SUCCESS");
      expect(state!.nodes.size).toBe(50);
      expect([...state!.nodes.values()].every((n) => n.status === "SUCCESS")).toBe(true);
      // Ids continue from the sequence: none handed out twice across the restart.
      const again = await call(pb, "POST", "/dag_runs/", { dag_template_id: templateId }, {});
      expect((again!.body as { id: number }).id).toBeGreaterThan(Number(runId));
    } finally {
      await close();
    }
  }, 120_000);

  it("answers a tracked program 503 while it is down; the tracker retries, and every run arrives once it is back", async () => {
    const replicas = await openReplicas(server);
    const harness = await protocolHarness([replicas.a, replicas.b]);
    try {
      const tracker = new HamiltonTracker({
        projectId: 1,
        username: "me",
        dagName: "retried",
        sink: new HamiltonUIClient({ baseUrl: harness.url, apiKey: "k", username: "me" }),
        retryInitialDelayMs: 5,
        retryMaxDelayMs: 50,
        onError: () => {},
      });
      const dr = new Builder()
        .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
        .withAdapters(tracker)
        .build();
      const refused = harness.nextUnavailable();
      await stopCluster(server);
      try {
        for (let i = 0; i < 5; i++) expect(await dr.execute(["b"])).toEqual({ b: 2 });
        await refused;
      } finally {
        await startCluster(server);
      }
      const report = await tracker.flush({ timeoutMs: 120_000 });
      expect(report.complete).toBe(true);
      expect(report.rejected).toBe(0);
      const count = async (sql: string) => (await replicas.a.db.query<{ n: number }>(sql)).rows[0]!.n;
      expect(await count("SELECT count(*) AS n FROM runs WHERE status = 'SUCCESS'")).toBe(5);
      expect(await count("SELECT count(*) AS n FROM node_runs WHERE status = 'SUCCESS'")).toBe(10);
      expect(await count("SELECT count(*) AS n FROM protocol_runs")).toBe(5);
      await tracker.shutdown();
    } finally {
      await harness.close();
      await replicas.close();
    }
  }, 180_000);
});
