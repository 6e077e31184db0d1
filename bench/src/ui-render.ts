/**
 * `ui-render`: the first render of a 10,000-node run's page in Chromium. Starts `startUi` on a
 * fresh store holding one run of 10,000 nodes (written with `FileSink`, as the tracker writes it),
 * opens `/runs/<id>` in Debian's Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`) through
 * playwright-core, and reads the time from navigation start until the page has drawn the run
 * (header, graph status and the waterfall's visible rows): the page stores it in
 * `#app[data-first-render-ms]`. One cold load, then the median of five: target ≤ 1 s.
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
export const UI_RENDER_ID = "ui-render/10000";
/** Target: the first render of a 10,000-node run, in ms. */
export const UI_RENDER_MS = 1000;
const NODES = 10_000;

/** Writes one finished run of `n` nodes (each depending on up to two earlier ones) under project `bench`. */
async function writeRun(dir: string, runId: string, n: number): Promise<void> {
  const start = Date.now() - 60_000;
  const run = (status: RunRecord["status"], end: number | undefined): RunRecord => ({
    type: "run",
    runId,
    dagName: "bench_10k",
    graphVersion: "bench-v1",
    dagHash: "d",
    codeHash: "c",
    username: "bench",
    status,
    startTime: start,
    endTime: end,
    durationMs: end === undefined ? undefined : end - start,
    finalVars: [`n${n - 1}`],
    inputs: {},
    overrides: [],
    config: {},
    tags: {},
    error: undefined,
  });
  const nodes: NodeRunRecord[] = Array.from({ length: n }, (_, i) => ({
    type: "node_run",
    runId,
    node: `n${i}`,
    taskId: undefined,
    attempt: 1,
    status: "SUCCESS",
    startTime: start + i,
    endTime: start + i + 2,
    durationMs: 2,
    result: { kind: "primitive", type: "number", value: i },
    error: undefined,
    warnings: undefined,
    traceId: undefined,
    spanId: undefined,
  }));
  const records: TrackerRecord[] = [
    {
      type: "dag_template",
      graphVersion: "bench-v1",
      dagName: "bench_10k",
      dagHash: "d",
      codeHash: "c",
      createdAt: start,
      config: {},
      tags: {},
      nodes: Array.from({ length: n }, (_, i) => ({
        name: `n${i}`,
        functionName: `n${i}`,
        dependencies: i === 0 ? [] : i < 10 ? [`n${i - 1}`] : [`n${i - 1}`, `n${Math.floor(i / 2)}`],
        optionalDependencies: [],
        tags: {},
        documentation: "",
        source: `const n${i} = (x) => x + ${i};`,
        classification: "transform",
        kind: "transform",
        version: "v",
      })),
    },
    run("RUNNING", undefined),
    ...nodes,
    run("SUCCESS", start + n + 5),
  ];
  await new FileSink({ dir, fsync: false }).write("bench", records);
}

/**
 * Measures the first render of a 10,000-node run page (when `--only` selects {@link UI_RENDER_ID})
 * and returns its target check; adds a note with the figures.
 */
export async function uiRenderTargets(options: Options, notes: string[]): Promise<TargetCheck[]> {
  if (!selected(options, UI_RENDER_ID)) return [];
  process.stderr.write(`${UI_RENDER_ID}: writing a 10,000-node run, opening its page in Chromium…\n`);
  const dir = await mkdtemp(join(tmpdir(), "hamilton-ts-bench-ui-"));
  const ui = await startUi({ dir, port: 0 });
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  try {
    await writeRun(dir, "run-10k", NODES);
    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
    try {
      const load = async (): Promise<number> => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(`${ui.url}/runs/run-10k`);
        await page.locator("#app[data-first-render-ms]").waitFor({ timeout: 60_000 });
        const ms = Number(await page.getAttribute("#app", "data-first-render-ms"));
        await page.close();
        return ms;
      };
      const cold = await load();
      const warm: number[] = [];
      for (let i = 0; i < (options.quick ? 3 : 5); i++) warm.push(await load());
      warm.sort((a, b) => a - b);
      const median = warm[Math.floor(warm.length / 2)]!;
      notes.push(
        `${UI_RENDER_ID}: first render of a 10,000-node run page in Chromium (navigation start → run drawn, ` +
          `read API included): ${median} ms median of ${warm.length} loads (${warm.join(", ")} ms), ${cold} ms the first (cold) load.`,
      );
      return [
        {
          name: "UI: first render of a 10,000-node run",
          figure: `${median} ms`,
          limit: `≤ ${UI_RENDER_MS} ms`,
          ok: median <= UI_RENDER_MS,
        },
      ];
    } finally {
      await browser.close();
    }
  } catch (error) {
    notes.push(
      `${UI_RENDER_ID}: not measured (${error instanceof Error ? error.message.split("\n")[0] : String(error)}).`,
    );
    return [
      {
        name: "UI: first render of a 10,000-node run",
        figure: "not measured",
        limit: `≤ ${UI_RENDER_MS} ms`,
        ok: undefined,
      },
    ];
  } finally {
    await ui.close();
    await rm(dir, { recursive: true, force: true });
  }
}
