/** `ui/store/10000-runs` and `ui/run/10000-nodes`: the read API of `hamilton-ts-ui` over a large store. */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { FileSink, runFile, templateFile, type RunRecord } from "@hamilton-ts/tracker";
import { startUi } from "@hamilton-ts/ui";
import { median } from "./measure.js";
import { selected, type Options } from "./options.js";
import { UI_LIST_MS, UI_RUN_MS, type UiReadFigure } from "./ui-figures.js";
import { PROJECT, tempDir, trackerBatches } from "./ui-harness.js";

/** Times `requests` GETs of `path` against a server started over `dir`. */
async function readTimes(
  id: string,
  label: string,
  dir: string,
  path: string,
  limitMs: number,
  requests: number,
): Promise<UiReadFigure> {
  const started = performance.now();
  const ui = await startUi({ dir, port: 0 });
  const startupMs = performance.now() - started;
  try {
    // The client's first request (fetch loads and compiles its HTTP client) is not the server's time.
    await (await fetch(`${ui.url}/api/v1/health`)).text();
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const res = await fetch(`${ui.url}${path}`);
      const text = await res.text();
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`bench ${id}: GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    return { id, label, startupMs, firstMs: times[0]!, medianMs: median(times), limitMs };
  } finally {
    await ui.close();
  }
}

/** A store of `count` runs, each the records of one small tracker run (its run id changed), written in the store's layout. */
async function storeOfRuns(dir: string, count: number): Promise<void> {
  const { batches } = await trackerBatches(5);
  const records = batches.flat();
  const template = records.find((r) => r.type === "dag_template")!;
  const runId = (records.find((r) => r.type === "run") as RunRecord).runId;
  const lines = records
    .filter((r) => r.type !== "dag_template")
    .map((r) => JSON.stringify(r))
    .join("\n");
  const path = templateFile(dir, PROJECT, template.graphVersion);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(template)}\n`);
  await mkdir(dirname(runFile(dir, PROJECT, "x")), { recursive: true });
  for (let i = 0; i < count; i++) {
    const id = `run-${String(i).padStart(5, "0")}`;
    const text = lines
      .replaceAll(runId, id)
      .replace(/"startTime":(\d+)/g, (_, t: string) => `"startTime":${Number(t) + i}`);
    await writeFile(runFile(dir, PROJECT, id), `${text}\n`);
  }
}

/** The read figures `--only` selects. */
export async function reads(options: Options): Promise<UiReadFigure[]> {
  const out: UiReadFigure[] = [];
  const requests = options.quick ? 5 : 11;
  if (selected(options, "ui/store/10000-runs")) {
    const dir = await tempDir();
    try {
      await storeOfRuns(dir, 10_000);
      out.push(
        await readTimes(
          "ui/store/10000-runs",
          "GET /api/runs (10,000 runs in the store)",
          dir,
          "/api/runs",
          UI_LIST_MS,
          requests,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (selected(options, "ui/run/10000-nodes")) {
    const dir = await tempDir();
    try {
      const { batches } = await trackerBatches(10_000);
      const sink = new FileSink({ dir });
      for (const batch of batches) await sink.write(PROJECT, batch);
      const runId = (batches.flat().find((r) => r.type === "run") as RunRecord).runId;
      out.push(
        await readTimes(
          "ui/run/10000-nodes",
          "GET /api/runs/:runId (a run of 10,001 node runs)",
          dir,
          `/api/runs/${encodeURIComponent(runId)}`,
          UI_RUN_MS,
          requests,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}
