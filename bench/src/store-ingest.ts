/**
 * The ingest figures of the `store/…` section:
 * - `store/ingest/tracking`, `store/ingest/otlp`: the `ui/ingest/…` capacity figures (through the
 *   server ÷ written directly, ≥ 0.5×) against whatever `startUi` is built, when the `ui/…`
 *   section does not measure them in the same run;
 * - `store/ingest-lag`: the requests real `HamiltonUIClient`s sent for runs of 1,000 nodes, replayed
 *   at ~10,000 node runs/s (a run starting every 100 ms) to a server in a child process; the time from the last acknowledged write to the moment `GET /api/runs` shows
 *   every run finished with all its node runs (≤ 2 s);
 * - `store/team`: 20 clients (the replayed requests of real `HamiltonUIClient`s) through 2 servers
 *   on one PostgreSQL: node runs/s, and that every node run is there afterwards (`GET /api/runs`
 *   of either server, and a row count in the database). Only when the built `startUi` takes a
 *   `databaseUrl`; otherwise the row says it was skipped.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Options } from "./options.js";
import { count, ms, STORE_TARGETS as T, type StoreRow } from "./store-figures.js";
import { get, runsOf, waitCaughtUp } from "./store-http.js";
import { postgresBinDir, startPostgres } from "./store-postgres.js";
import { type ServerProcess, startServerProcess } from "./store-process.js";
import type { UiIngestFigure } from "./ui-figures.js";
import { LANES, PROJECT, Replayer, trackerBatches } from "./ui-harness.js";
import { captureTracking } from "./ui-ingest-tracking.js";

const log = (message: string) => process.stderr.write(`  ${message}\n`);
/** The pace of `store/ingest-lag`, node runs per second (the issue's). */
const LAG_RATE = 10_000;
/** Nodes of each run the lag and team figures report. */
const RUN_NODES = 1_000;

/** A capacity figure of the `ui/…` section as a `store/…` row. */
export function ingestRow(figure: UiIngestFigure, id: string): StoreRow {
  return {
    id,
    what: `${figure.label}: through the server ÷ ${figure.direct}`,
    figure: `${figure.ratio.toFixed(2)}×`,
    detail: `${count(figure.serverPerSecond)} vs ${count(figure.directPerSecond)} ${figure.unit}/s`,
    target: `≥ ${T.ingestRatio}×`,
    ok: figure.ratio >= T.ingestRatio,
    values: { ratio: figure.ratio, serverPerSecond: figure.serverPerSecond, directPerSecond: figure.directPerSecond },
  };
}

async function tempStore(): Promise<string> {
  return mkdtemp(join(tmpdir(), "hamilton-ts-bench-store-"));
}

/** True when every one of `runs` runs in the project is finished with `nodes` node runs in `GET /api/runs`. */
async function allShown(base: string, runs: number, nodes: number): Promise<{ done: boolean; nodeRuns: number }> {
  const answer = await get(`${base}/api/runs?project=${PROJECT}&limit=1000`);
  const r = runsOf(answer.body);
  if (answer.status !== 200 || "why" in r)
    throw new Error(`bench: GET /api/runs answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  let nodeRuns = 0;
  let finished = 0;
  for (const run of r.runs) {
    nodeRuns += Number(run.nodeCount ?? 0);
    if (run.status === "SUCCESS" && run.nodeCount === nodes) finished++;
  }
  return { done: finished >= runs, nodeRuns };
}

/** `store/ingest-lag` (see the module's comment). */
export async function ingestLag(options: Options, replayer: Replayer): Promise<StoreRow> {
  const id = "store/ingest-lag";
  const runs = options.quick ? 20 : 50;
  const { batches, nodeRuns } = await trackerBatches(RUN_NODES, runs);
  const capture = await captureTracking(batches);
  const perRunNodes = nodeRuns / runs;
  const dir = await tempStore();
  const server = await startServerProcess({ dir });
  try {
    await waitCaughtUp(server.url, 120_000);
    // A run's requests start every perRunNodes / LAG_RATE seconds: ~LAG_RATE node runs/s.
    const paceMs = (perRunNodes * 1000) / LAG_RATE;
    const sendMs = await replayer.run({
      url: server.url,
      setup: capture.setup,
      scripts: capture.scripts,
      lanes: LANES,
      paceMs,
    });
    // The replay child answers right after the last answer: its message's trip is in the lag (~1 ms).
    const lastAck = performance.now();
    const rate = (nodeRuns * 1000) / sendMs;
    let shown = await allShown(server.url, runs, perRunNodes);
    while (!shown.done) {
      if (performance.now() - lastAck > 120_000)
        throw new Error(`bench ${id}: after 120 s GET /api/runs shows ${shown.nodeRuns} of ${nodeRuns} node runs`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      shown = await allShown(server.url, runs, perRunNodes);
    }
    const lagMs = performance.now() - lastAck;
    return {
      id,
      what: `last acknowledged write to GET /api/runs, ~${count(LAG_RATE)} node runs/s`,
      figure: `${ms(lagMs)} ms`,
      detail: `${runs} runs of ${count(perRunNodes)} node runs (replayed HamiltonUIClient requests) at ${count(rate)} node runs/s`,
      target: `≤ ${count(T.lagMs)} ms`,
      ok: lagMs <= T.lagMs,
      values: { lagMs, rate, nodeRuns },
    };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when the built `@hamilton-ts/ui`'s `startUi` options declare `databaseUrl`. */
export async function teamModeAvailable(): Promise<boolean> {
  const dist = dirname(fileURLToPath(import.meta.resolve("@hamilton-ts/ui")));
  if (!existsSync(dist)) return false;
  for (const name of await readdir(dist)) {
    if (name.endsWith(".d.ts") && (await readFile(join(dist, name), "utf8")).includes("databaseUrl")) return true;
  }
  return false;
}

/** `store/team` (see the module's comment). */
export async function team(options: Options): Promise<StoreRow> {
  const id = "store/team";
  const what = `${LANES} clients through 2 servers on one PostgreSQL`;
  const skipped = (why: string): StoreRow => ({
    id,
    what,
    figure: "skipped",
    detail: why,
    target: "nothing lost",
    ok: undefined,
    values: { skipped: why },
  });
  if (!(await teamModeAvailable())) return skipped("skipped: team mode not available (startUi takes no databaseUrl)");
  const binDir = postgresBinDir();
  if (binDir === undefined) return skipped("skipped: PostgreSQL not installed (scripts/system-deps.sh)");
  const { batches, nodeRuns } = await trackerBatches(options.quick ? 500 : RUN_NODES, LANES);
  log(`${id}: capturing the client's requests…`);
  const capture = await captureTracking(batches);
  const pg = await startPostgres(binDir);
  const dirs = [await tempStore(), await tempStore()];
  const servers: ServerProcess[] = [];
  const replayers = [new Replayer(), new Replayer()];
  try {
    for (const dir of dirs) servers.push(await startServerProcess({ dir, databaseUrl: pg.url }));
    for (const server of servers) await waitCaughtUp(server.url, 120_000);
    const status = (await get(`${servers[0]!.url}/api/store`)).body as { backend?: unknown } | undefined;
    if (status?.backend !== "postgres")
      return skipped(`skipped: the server given a databaseUrl reports backend ${JSON.stringify(status?.backend)}`);
    log(`${id}: ${LANES} lanes through 2 servers…`);
    const half = Math.ceil(capture.scripts.length / 2);
    const parts = [capture.scripts.slice(0, half), capture.scripts.slice(half)];
    const started = performance.now();
    await Promise.all(
      servers.map((server, k) =>
        replayers[k]!.run({ url: server.url, setup: capture.setup, scripts: parts[k]!, lanes: LANES / 2 }),
      ),
    );
    const wallMs = performance.now() - started;
    // What either server answers: every run, each with all its node runs (both read one database).
    const perRunNodes = nodeRuns / LANES;
    const shown = await Promise.all(servers.map((s) => allShown(s.url, LANES, perRunNodes)));
    let rows = "n/a";
    try {
      rows = await pg.psql("SELECT count(*) FROM node_runs");
    } catch (error) {
      rows = `n/a (${String((error as { stderr?: string }).stderr ?? error).split("\n")[0]})`;
    }
    const lost = nodeRuns - Math.min(...shown.map((s) => s.nodeRuns));
    const rate = (nodeRuns * 1000) / wallMs;
    return {
      id,
      what,
      figure: `${count(rate)} node runs/s`,
      detail: `${count(nodeRuns)} node runs; each server lists ${shown.map((s) => count(s.nodeRuns)).join(" and ")}; node_runs rows: ${rows}; lost ${lost}`,
      target: "nothing lost",
      ok: lost === 0 && shown.every((s) => s.done),
      values: { rate, nodeRuns, lost, rows, wallMs },
    };
  } finally {
    for (const r of replayers) r.close();
    await Promise.all(servers.map((s) => s.stop()));
    await pg.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
