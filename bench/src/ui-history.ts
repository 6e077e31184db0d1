/**
 * `ui-history/10000`: a node's history of 10,000 node runs in Chromium. Starts `startUi` on a
 * fresh store of 10,000 runs of one DAG (written with `FileSink`, as the tracker writes them; one
 * node each, every 7th failed, every 5th a cache hit), opens
 * `/history?project=bench&dag=bench_history&node=score&limit=10000` in Debian's Chromium
 * (`CHROMIUM_PATH`, default `/usr/bin/chromium`) through playwright-core, and reads what the page
 * records: `#app[data-load-ms]`, the history's request (`GET /api/nodes/history`) and the chart's
 * drawing, and `data-first-render-ms`, navigation start → drawn. One cold load, then the median of
 * five: target ≤ 1 s for the request and the drawing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink, type NodeRunRecord, type RunRecord, type TrackerRecord } from "@hamilton-ts/tracker";
import { startUi } from "@hamilton-ts/ui";
import { chromium } from "playwright-core";
import { selected, type Options } from "./options.js";
import type { TargetCheck } from "./results.js";

/** The figure's id for `--only`. */
export const UI_HISTORY_ID = "ui-history/10000";
/** Target: the history's request and drawing over 10,000 node runs, in ms. */
export const UI_HISTORY_MS = 1000;
const RUNS = 10_000;
const NAME = "UI: a node's history of 10,000 node runs (request + chart)";

function records(n: number): TrackerRecord[] {
  const now = Date.now();
  const out: TrackerRecord[] = [
    {
      type: "dag_template",
      graphVersion: "bench-v1",
      dagName: "bench_history",
      dagHash: "d",
      codeHash: "c",
      createdAt: now - n * 60_000,
      config: {},
      tags: {},
      nodes: [
        {
          name: "score",
          functionName: "score",
          dependencies: [],
          optionalDependencies: [],
          tags: {},
          documentation: "",
          source: "const score = () => 1;",
          classification: "transform",
          kind: "transform",
          version: "v",
        },
      ],
    },
  ];
  for (let i = 0; i < n; i++) {
    const runId = `history-${i}`;
    const start = now - (n - i) * 60_000;
    const failed = i % 7 === 3;
    const status = failed ? "FAILURE" : "SUCCESS";
    const run = (s: RunRecord["status"], end: number | undefined): RunRecord => ({
      type: "run",
      runId,
      dagName: "bench_history",
      graphVersion: "bench-v1",
      dagHash: "d",
      codeHash: "c",
      username: "bench",
      status: s,
      startTime: start,
      endTime: end,
      durationMs: end === undefined ? undefined : end - start,
      finalVars: ["score"],
      inputs: {},
      overrides: [],
      config: {},
      tags: {},
      error: undefined,
    });
    const duration = 5 + (i % 50);
    const node: NodeRunRecord = {
      type: "node_run",
      runId,
      node: "score",
      taskId: undefined,
      attempt: 1,
      status,
      startTime: start + 1,
      endTime: start + 1 + duration,
      durationMs: duration,
      result: failed ? undefined : { kind: "primitive", type: "number", value: i },
      error: failed ? { type: "Error", message: "bench failure", stack: undefined, cause: undefined } : undefined,
      warnings: undefined,
      traceId: undefined,
      spanId: undefined,
      ...(i % 5 === 0 ? { cache: "hit" as const } : {}),
    };
    out.push(run("RUNNING", undefined), node, run(status, start + duration + 5));
  }
  return out;
}

/**
 * Measures a 10,000-point node history page (when `--only` selects {@link UI_HISTORY_ID}) and
 * returns its target check; adds a note with the figures.
 */
export async function uiHistoryTargets(options: Options, notes: string[]): Promise<TargetCheck[]> {
  if (!selected(options, UI_HISTORY_ID)) return [];
  process.stderr.write(`${UI_HISTORY_ID}: writing 10,000 runs, opening a node's history in Chromium…\n`);
  const dir = await mkdtemp(join(tmpdir(), "hamilton-ts-bench-history-"));
  await new FileSink({ dir, fsync: false }).write("bench", records(RUNS));
  const ui = await startUi({ dir, port: 0 });
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  try {
    await ui.caughtUp();
    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
    try {
      const load = async (): Promise<{ loadMs: number; firstMs: number; requestMs: number }> => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(`${ui.url}/history?project=bench&dag=bench_history&node=score&limit=${RUNS}`);
        await page.locator("#app[data-first-render-ms]").waitFor({ timeout: 120_000 });
        const points = await page.getAttribute(".history-duration", "data-points");
        if (points !== String(RUNS)) throw new Error(`the chart plots ${points} points, not ${RUNS}`);
        const loadMs = Number(await page.getAttribute("#app", "data-load-ms"));
        const firstMs = Number(await page.getAttribute("#app", "data-first-render-ms"));
        const requestMs = Number(await page.getAttribute("#app", "data-request-ms"));
        await page.close();
        return { loadMs, firstMs, requestMs };
      };
      const cold = await load();
      const warm: { loadMs: number; firstMs: number; requestMs: number }[] = [];
      for (let i = 0; i < (options.quick ? 3 : 5); i++) warm.push(await load());
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const loadMs = median(warm.map((w) => w.loadMs));
      const firstMs = median(warm.map((w) => w.firstMs));
      const requestMs = median(warm.map((w) => w.requestMs));
      notes.push(
        `${UI_HISTORY_ID}: a node's history of 10,000 node runs in Chromium: request + chart ${loadMs} ms median of ` +
          `${warm.length} loads (${warm.map((w) => w.loadMs).join(", ")} ms; cold ${cold.loadMs} ms), of which the request ` +
          `(GET /api/nodes/history, answer parsed) ${requestMs} ms and the chart ${loadMs - requestMs} ms; navigation start → ` +
          `drawn ${firstMs} ms median (cold ${cold.firstMs} ms).`,
      );
      return [{ name: NAME, figure: `${loadMs} ms`, limit: `≤ ${UI_HISTORY_MS} ms`, ok: loadMs <= UI_HISTORY_MS }];
    } finally {
      await browser.close();
    }
  } catch (error) {
    notes.push(
      `${UI_HISTORY_ID}: not measured (${error instanceof Error ? error.message.split("\n")[0] : String(error)}).`,
    );
    return [{ name: NAME, figure: "not measured", limit: `≤ ${UI_HISTORY_MS} ms`, ok: undefined }];
  } finally {
    await ui.close();
    await rm(dir, { recursive: true, force: true });
  }
}
