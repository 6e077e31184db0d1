// Team mode under load: 20 HamiltonUIClients at once through two replicas (a round-robin harness)
// into one PostgreSQL lose nothing: every run, node run and attribute they were told was stored is
// in the database. The node runs per second are printed (the benchmark proper is in `pnpm bench`).
import { type PostgresServer, startPostgres } from "@hamilton-ts/testing";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { HamiltonUIClient } from "@hamilton-ts/tracker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReplicas, protocolHarness } from "../../test/team-replicas.js";

const CLIENTS = 20;
const RUNS_PER_CLIENT = 5;
const NODES_PER_RUN = 200;
const NODES_PER_WRITE = 100;

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);

describe("team mode under load", () => {
  it(`${CLIENTS} clients at once through 2 replicas lose nothing`, async () => {
    const replicas = await openReplicas(server, 10);
    const harness = await protocolHarness([replicas.a, replicas.b], "alternate");
    try {
      const signal = new AbortController().signal;
      const client = async (c: number) => {
        const ui = new HamiltonUIClient({ baseUrl: harness.url, apiKey: "k", username: "me" });
        for (let r = 0; r < RUNS_PER_CLIENT; r++) {
          const runId = `c${c}-r${r}`;
          await ui.write(1, [templateRecord(), runRecord(runId)], { signal });
          for (let first = 0; first < NODES_PER_RUN; first += NODES_PER_WRITE) {
            const nodes = Array.from({ length: NODES_PER_WRITE }, (_, i) => nodeRecord(runId, `n${first + i}`));
            await ui.write(1, nodes, { signal });
          }
          await ui.write(1, [runRecord(runId, "SUCCESS")], { signal });
          expect(ui.dagRunId(runId)).toBeGreaterThan(0);
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      const seconds = (performance.now() - started) / 1000;

      const expected = CLIENTS * RUNS_PER_CLIENT * NODES_PER_RUN;
      const count = async (sql: string) => (await replicas.b.db.query<{ n: number }>(sql)).rows[0]!.n;
      expect(await count("SELECT count(*) AS n FROM runs WHERE status = 'SUCCESS'")).toBe(CLIENTS * RUNS_PER_CLIENT);
      expect(await count("SELECT count(*) AS n FROM node_runs WHERE status = 'SUCCESS'")).toBe(expected);
      expect(await count("SELECT count(*) AS n FROM protocol_attributes")).toBe(expected);
      expect(await count("SELECT count(*) AS n FROM protocol_templates")).toBe(1);
      expect(harness.answered.every((n) => n > 0)).toBe(true);
      process.stderr.write(
        `team load: ${expected} node runs from ${CLIENTS} clients through 2 replicas in ${seconds.toFixed(1)} s = ${Math.round(expected / seconds)} node runs/s\n`,
      );
    } finally {
      await harness.close();
      await replicas.close();
    }
  }, 600_000);
});
