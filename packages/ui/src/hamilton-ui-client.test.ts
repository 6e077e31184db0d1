// HamiltonUIClient against hamilton-ts-ui: the tracker's own protocol scenarios (the ones it plays
// against its fake Hamilton UI, shared through @hamilton-ts/testing), played against a real `startUi` behind a
// recording proxy that logs what the client sent. What the server stored is read back through its
// own protocol answers (`GET /api/v1/dag_runs/{id}`) and the store's files.
import { readFileStore } from "@hamilton-ts/store";
import { afterEach, beforeEach } from "vitest";
import {
  KEY,
  protocolScenarios,
  type ScenarioBackend,
  type ScenarioNodeRun,
  type ScenarioRun,
} from "@hamilton-ts/testing/hamilton-ui-scenarios";
import { RecordingProxy } from "../test/recording-proxy.js";
import { serve } from "../test/temp.js";
import type { UiNodeRunRecord } from "./run-store.js";
import type { UiServer } from "./server.js";

let ui: UiServer;
let proxy: RecordingProxy;
beforeEach(async () => {
  ui = await serve({ apiKey: KEY });
  proxy = new RecordingProxy(ui.url);
  await proxy.start();
});
afterEach(async () => {
  await proxy.stop();
});

interface ProtocolRun {
  id: number;
  dag_template_id: number;
  run_status: string;
  node_runs: ScenarioNodeRun[];
}

async function readRun(id: number): Promise<ScenarioRun | undefined> {
  // Straight to the server (not through the proxy): the scenarios check what the client sent.
  const res = await fetch(`${ui.url}/api/v1/dag_runs/${id}`, { headers: { "x-api-key": KEY } });
  if (res.status === 404) return undefined;
  const [run] = (await res.json()) as ProtocolRun[];
  const stored = (await readFileStore(ui.dir)).runs.find((r) => r.runId === String(id));
  const attributes = new Map<string, Record<string, unknown>>();
  for (const node of (stored?.nodes ?? []) as UiNodeRunRecord[]) {
    for (const a of Object.values(node.uiAttributes ?? {})) {
      const { node_name, name, type, schema_version, value, attribute_role } = a;
      attributes.set(`${node_name}/${name}`, { node_name, name, type, schema_version, value, attribute_role });
    }
  }
  return {
    id: run!.id,
    dagTemplateId: run!.dag_template_id,
    status: run!.run_status,
    nodes: new Map(run!.node_runs.map((n) => [n.node_name, n])),
    attributes,
  };
}

function uiBackend(): ScenarioBackend {
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
      const ids = (await readFileStore(ui.dir)).runs.map((r) => Number(r.runId)).sort((a, b) => a - b);
      const runs = await Promise.all(ids.map(readRun));
      return runs.filter((r) => r !== undefined);
    },
    run: readRun,
    // The server upserts attributes: a re-sent one replaces the stored one, never fails.
    duplicateAttributeErrors: () => 0,
    nextAnswer: () => proxy.nextAnswer(),
  };
}

protocolScenarios(uiBackend);
