/**
 * `ui/ingest/tracking` and its context row `ui/ingest/tracking/1-client`: the Hamilton UI tracking
 * protocol into `hamilton-ts-ui`, node runs per second, beside `FileSink` writing the same records.
 */
import { rm } from "node:fs/promises";
import { FileSink, HamiltonUIClient, readFileStore, type TrackerRecord } from "@hamilton-ts/tracker";
import { startUi } from "@hamilton-ts/ui";
import type { Options } from "./options.js";
import { ingestFigure, type UiIngestFigure } from "./ui-figures.js";
import {
  LANES,
  noSignal,
  PROJECT,
  paired,
  type Replayer,
  tempDir,
  timing,
  trackerBatches,
  USER,
} from "./ui-harness.js";
import type { ReplayRequest } from "./ui-replay.js";

/** The requests a `HamiltonUIClient` sent while it wrote `batches`: the setup, and one script per run. */
export interface TrackingCapture {
  readonly setup: ReplayRequest[];
  readonly scripts: ReplayRequest[][];
}

/**
 * Sends `batches` with a real `HamiltonUIClient` to a real server (not timed) and keeps every
 * request it made, as the replay child sends them again: the dag_run and template ids the server
 * handed out become `{run}` and `{template}`, the ids the replayed server hands out.
 */
export async function captureTracking(batches: readonly TrackerRecord[][]): Promise<TrackingCapture> {
  const dir = await tempDir();
  const ui = await startUi({ dir, port: 0 });
  const log: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | undefined;
    answer: string;
  }[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const answer = await response.clone().text();
    log.push({
      method: init?.method ?? "GET",
      path: String(input).slice(ui.url.length),
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : undefined,
      answer,
    });
    return response;
  };
  try {
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: USER });
    for (const batch of batches) await client.write(PROJECT, batch, noSignal);
  } finally {
    globalThis.fetch = realFetch;
    await ui.close();
    await rm(dir, { recursive: true, force: true });
  }
  const setup: ReplayRequest[] = [];
  const scripts = new Map<number, ReplayRequest[]>();
  const runOf = (id: string, path: string) => {
    const script = scripts.get(Number(id));
    if (script === undefined) throw new Error(`bench: captured ${path} before its run was created`);
    return script;
  };
  for (const entry of log) {
    const request = (path: string, saveAs?: string): ReplayRequest => ({
      method: entry.method as ReplayRequest["method"],
      path,
      headers: entry.headers,
      body: entry.body === undefined ? undefined : Buffer.from(entry.body),
      ...(saveAs === undefined ? {} : { saveAs }),
    });
    let m: RegExpExecArray | null;
    if (entry.method === "POST" && (m = /^(\/api\/v1\/dag_runs\?dag_template_id=)(\d+)$/.exec(entry.path))) {
      const id = (JSON.parse(entry.answer) as { id: number }).id;
      scripts.set(id, [request(`${m[1]}{template}`, "run")]);
    } else if ((m = /^(\/api\/v1\/dag_runs_bulk\?dag_run_id=)(\d+)$/.exec(entry.path))) {
      runOf(m[2]!, entry.path).push(request(`${m[1]}{run}`));
    } else if ((m = /^\/api\/v1\/dag_runs\/(\d+)\/$/.exec(entry.path))) {
      runOf(m[1]!, entry.path).push(request("/api/v1/dag_runs/{run}/"));
    } else if (entry.method === "POST" && entry.path.startsWith("/api/v1/dag_templates?")) {
      setup.push(request(entry.path, "template"));
    } else if (entry.method === "GET") {
      setup.push(request(entry.path));
    } else {
      throw new Error(`bench: HamiltonUIClient sent ${entry.method} ${entry.path}, which the replay does not know`);
    }
  }
  return { setup, scripts: [...scripts.values()] };
}

/** Each run's records, in the tracker's batches (a batch cut to the run's records), and the templates. */
function batchesPerRun(batches: readonly TrackerRecord[][]): { templates: TrackerRecord[]; runs: TrackerRecord[][][] } {
  const templates: TrackerRecord[] = [];
  const runs = new Map<string, TrackerRecord[][]>();
  for (const batch of batches) {
    const parts = new Map<string, TrackerRecord[]>();
    for (const record of batch) {
      if (record.type === "dag_template") {
        templates.push(record);
        continue;
      }
      let part = parts.get(record.runId);
      if (part === undefined) parts.set(record.runId, (part = []));
      part.push(record);
    }
    for (const [runId, part] of parts) {
      let list = runs.get(runId);
      if (list === undefined) runs.set(runId, (list = []));
      list.push(part);
    }
  }
  return { templates, runs: [...runs.values()] };
}

/** Runs `work` over `items`, `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/** Checks that a store holds `nodeRuns` finished node runs (every record written before its answer). */
async function checkStore(dir: string, nodeRuns: number, id: string): Promise<void> {
  const { runs } = await readFileStore(dir);
  const found = runs.reduce((n, r) => n + r.nodes.filter((node) => node.status !== "RUNNING").length, 0);
  if (found !== nodeRuns)
    throw new Error(`bench ${id}: the store holds ${found} finished node runs, expected ${nodeRuns}`);
}

/**
 * `ui/ingest/tracking`: the server's capacity. `LANES` clients report runs at once: the requests a
 * real `HamiltonUIClient` sent for them, replayed from a child process, each lane on its own
 * connection; beside one `FileSink` writing the same runs' batches, `LANES` runs at a time.
 */
export async function ingestTracking(options: Options, replayer: Replayer): Promise<UiIngestFigure> {
  const runsCount = LANES;
  const { batches, nodeRuns } = await trackerBatches(options.quick ? 500 : 1000, runsCount);
  const capture = await captureTracking(batches);
  const perRun = batchesPerRun(batches);
  const reps = options.quick ? 5 : 7;
  const id = "ui/ingest/tracking";
  const [serverMs, directMs] = await paired(
    reps,
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, ui: await startUi({ dir, port: 0 }) };
      },
      ({ ui }) => replayer.run({ url: ui.url, setup: capture.setup, scripts: capture.scripts, lanes: LANES }),
      async ({ dir, ui }) => {
        await ui.close();
        await checkStore(dir, nodeRuns, id);
        await rm(dir, { recursive: true, force: true });
      },
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, sink: new FileSink({ dir }) };
      },
      async ({ sink }) => {
        await sink.write(PROJECT, perRun.templates);
        await inLanes(perRun.runs, LANES, async (run) => {
          for (const batch of run) await sink.write(PROJECT, batch);
        });
      },
      async ({ dir }) => {
        await checkStore(dir, nodeRuns, id);
        await rm(dir, { recursive: true, force: true });
      },
    ),
  );
  return ingestFigure({
    id,
    label: `${runsCount} runs, ${LANES} clients at once (replayed)`,
    unit: "node runs",
    items: nodeRuns,
    serverMs,
    directMs,
    direct: "FileSink",
    target: true,
  });
}

/** Context: one `HamiltonUIClient` in this process sending batch after batch, end to end. */
export async function ingestTrackingOneClient(options: Options): Promise<UiIngestFigure> {
  const { batches, nodeRuns } = await trackerBatches(500, options.quick ? 4 : 10);
  const runs = options.quick ? 3 : 5;
  const [serverMs, directMs] = await paired(
    runs,
    timing(
      async () => {
        const dir = await tempDir();
        const ui = await startUi({ dir, port: 0 });
        return { dir, ui, client: new HamiltonUIClient({ baseUrl: ui.url, username: USER }) };
      },
      async ({ client }) => {
        for (const batch of batches) await client.write(PROJECT, batch, noSignal);
      },
      async ({ dir, ui }) => {
        await ui.close();
        await rm(dir, { recursive: true, force: true });
      },
    ),
    timing(
      async () => {
        const dir = await tempDir();
        return { dir, sink: new FileSink({ dir }) };
      },
      async ({ sink }) => {
        for (const batch of batches) await sink.write(PROJECT, batch);
      },
      async ({ dir }) => rm(dir, { recursive: true, force: true }),
    ),
  );
  return ingestFigure({
    id: "ui/ingest/tracking/1-client",
    label: "1 HamiltonUIClient, batch after batch, in process",
    unit: "node runs",
    items: nodeRuns,
    serverMs,
    directMs,
    direct: "FileSink",
    target: false,
  });
}
