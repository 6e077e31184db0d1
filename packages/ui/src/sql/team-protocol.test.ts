// HamiltonUIClient against two team-mode replicas on one PostgreSQL: the tracker's protocol
// scenarios (shared through @hamilton-ts/testing) through a minimal HTTP harness that sends new
// runs and templates to one replica and every update to the other, behind a recording proxy. What
// was stored is read back through the protocol's own answers and the attribute table.
import { type PostgresServer, startPostgres } from "@hamilton-ts/testing";
import {
  protocolScenarios,
  type ScenarioBackend,
  type ScenarioNodeRun,
  type ScenarioRun,
} from "@hamilton-ts/testing/hamilton-ui-scenarios";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { RecordingProxy } from "../../test/recording-proxy.js";
import { openReplicas, type ProtocolHarness, protocolHarness, type Replicas } from "../../test/team-replicas.js";

let server: PostgresServer;
let replicas: Replicas;
let harness: ProtocolHarness;
let proxy: RecordingProxy;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);
beforeEach(async () => {
  replicas = await openReplicas(server);
  harness = await protocolHarness([replicas.a, replicas.b]);
  proxy = new RecordingProxy(harness.url);
  await proxy.start();
}, 60_000);
afterEach(async () => {
  await proxy.stop();
  await harness.close();
  // Both replicas took part whenever a run was created and updated.
  if (proxy.calls().some((c) => c.startsWith("PUT"))) expect(harness.answered.every((n) => n > 0)).toBe(true);
  await replicas.close();
});

interface ProtocolRun {
  id: number;
  dag_template_id: number;
  run_status: string;
  node_runs: ScenarioNodeRun[];
}

async function readRun(id: number): Promise<ScenarioRun | undefined> {
  // Straight to the harness (not through the proxy): the scenarios check what the client sent.
  const res = await fetch(`${harness.url}/api/v1/dag_runs/${id}`);
  if (res.status === 404) return undefined;
  const [run] = (await res.json()) as ProtocolRun[];
  const { rows } = await replicas.b.db.query<{ record: Record<string, unknown> & { node_name: string; name: string } }>(
    "SELECT record FROM protocol_attributes WHERE run_id = $1",
    [String(id)],
  );
  const attributes = new Map(rows.map(({ record }) => [`${record.node_name}/${record.name}`, record]));
  return {
    id: run!.id,
    dagTemplateId: run!.dag_template_id,
    status: run!.run_status,
    nodes: new Map(run!.node_runs.map((n) => [n.node_name, n])),
    attributes,
  };
}

function teamBackend(): ScenarioBackend {
  return {
    get baseUrl() {
      return proxy.baseUrl;
    },
    get requests() {
      return proxy.requests;
    },
    get problems() {
      return proxy.problems;
    },
    calls: () => proxy.calls(),
    runs: async () => {
      const { rows } = await replicas.a.db.query<{ id: number }>("SELECT id FROM protocol_runs ORDER BY id");
      const runs = await Promise.all(rows.map((r) => readRun(r.id)));
      return runs.filter((r) => r !== undefined);
    },
    run: readRun,
    // Attributes are upserted: a re-sent one replaces the stored one, never fails.
    duplicateAttributeErrors: () => 0,
    nextAnswer: () => proxy.nextAnswer(),
  };
}

protocolScenarios(teamBackend);
