/// <reference lib="dom" />
/**
 * The across-runs views in Chromium over one server: the runs list at scale (search, paging past
 * 1,000, multi-select delete seen by a second page), the activity chart (its days, a click that
 * filters the list), and a node's history (its points, a click that opens the node run). The
 * store is written once with `FileSink` before the server starts (1,050 runs of one DAG, 20
 * minutes apart, so about 72 a day over 15 days), with one run of another project whose node made
 * an LLM call (its span in the trace file: tokens and cost in the activity chart and the node's
 * history); every page is checked for CSP violations.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink, type TrackerRecord } from "@hamilton-ts/tracker";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../src/server.js";
import { TRACES_FILE } from "../src/traces.js";
import { launchChromium, type PageTrouble, watchTrouble } from "./browser.js";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

const BULK = 1050;
const GAP_MS = 20 * 60_000;
const now = Date.now();
/** Bulk run `i` (0 is the newest). */
const bulkId = (i: number) => `bulk-${String(i).padStart(4, "0")}`;
const bulkStart = (i: number) => now - (i + 1) * GAP_MS;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The LLM run: its node `ask` (span `a1` of trace `LLM_TRACE`) called gpt-4o-mini with 100 + 50 tokens. */
const LLM_START = now - 2 * GAP_MS;
const LLM_TRACE = "c".repeat(32);

/** One OTLP JSON line (as the trace file holds them) with the node's span and the call's span under it. */
function llmTraceLine(): string {
  const nanos = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
  const span = (spanId: string, parentSpanId: string, attributes: unknown[]) => ({
    traceId: LLM_TRACE,
    spanId,
    parentSpanId,
    name: spanId,
    kind: 1,
    startTimeUnixNano: nanos(LLM_START + 10),
    endTimeUnixNano: nanos(LLM_START + 20),
    attributes,
  });
  const spans = [
    span("a100000000000001", "", []),
    span("c100000000000001", "a100000000000001", [
      { key: "gen_ai.response.model", value: { stringValue: "gpt-4o-mini" } },
      { key: "gen_ai.usage.input_tokens", value: { intValue: "100" } },
      { key: "gen_ai.usage.output_tokens", value: { intValue: "50" } },
    ]),
  ];
  return `${JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] })}\n`;
}

let dir: string;
let ui: UiServer;
let browser: Browser;

function run(
  project: string,
  runId: string,
  start: number,
  over: { failed?: boolean; cache?: boolean; error?: string },
) {
  const status = over.failed === true ? "FAILURE" : "SUCCESS";
  const times = { startTime: start, endTime: start + 1000 + (start % 7) * 100, durationMs: 1000 };
  const error =
    over.failed === true
      ? { type: "Error", message: over.error ?? "the model timed out", stack: undefined, cause: undefined }
      : undefined;
  const dag = { dagName: `${project}_dag` };
  return [
    runRecord(runId, "RUNNING", { ...dag, startTime: start }),
    nodeRecord(runId, "a", status, {
      startTime: start + 10,
      endTime: start + 10 + ((start / GAP_MS) % 50) + 5,
      durationMs: ((start / GAP_MS) % 50) + 5,
      error,
      ...(over.cache === true ? { cache: "hit", cacheFromRun: bulkId(BULK - 1) } : {}),
    }),
    runRecord(runId, status, { ...dag, ...times }),
  ];
}

async function newPage(): Promise<{ page: Page; trouble: PageTrouble }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(60_000);
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const w = window as unknown as { cspViolations?: string[] };
      (w.cspViolations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, trouble: watchTrouble(page) };
}

/** The page's CSP violations (none expected) and its dialogs, errors and console errors. */
async function problems(page: Page, trouble: PageTrouble, expectedStatus?: number): Promise<unknown> {
  const csp = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
  // Chromium logs every non-2xx fetch as a console error: the one the test provokes is expected.
  const expected = `the server responded with a status of ${expectedStatus}`;
  const console = trouble.console.filter((m) => expectedStatus === undefined || !m.includes(expected));
  return { csp, ...trouble, console };
}

const NO_PROBLEMS = { csp: [], dialogs: [], errors: [], console: [] };

/** The run ids of the table's rows, in order. */
function rowIds(page: Page): Promise<string[]> {
  return page.locator("tr.run-row").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.runId ?? ""));
}

/** Clicks the centre of column `index` of `count` in a chart (x is an index axis with equal columns). */
async function clickColumn(page: Page, chart: string, index: number, count: number): Promise<void> {
  const over = page.locator(`${chart} .u-over`);
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + ((index + 0.5) / count) * box.width, box.y + box.height / 2);
  await page.mouse.click(box.x + ((index + 0.5) / count) * box.width, box.y + box.height / 2);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-views-list-"));
  const bulk: TrackerRecord[] = [templateRecord("v1", "bulk_dag")];
  for (let i = 0; i < BULK; i++)
    bulk.push(...run("bulk", bulkId(i), bulkStart(i), { failed: i % 7 === 3, cache: i % 5 === 0 }));
  const sink = new FileSink({ dir, fsync: false });
  await sink.write("bulk", bulk);
  await sink.write("search", [
    templateRecord("v1", "search_dag"),
    ...run("search", "needle-run", now - 5 * GAP_MS, { failed: true, error: "a Needle in the haystack" }),
    ...run("search", "hay-run", now - 6 * GAP_MS, { failed: true }),
  ]);
  await sink.write("del", [
    templateRecord("v1", "del_dag"),
    ...run("del", "del-1", now - 2 * GAP_MS, {}),
    ...run("del", "del-2", now - 3 * GAP_MS, {}),
    runRecord("del-running", "RUNNING", { dagName: "del_dag", startTime: now - GAP_MS }),
  ]);
  await sink.write("llm", [
    templateRecord("v1", "llm_dag"),
    runRecord("llm-run", "RUNNING", { dagName: "llm_dag", startTime: LLM_START }),
    nodeRecord("llm-run", "ask", "SUCCESS", {
      startTime: LLM_START + 10,
      endTime: LLM_START + 20,
      durationMs: 10,
      traceId: LLM_TRACE,
      spanId: "a100000000000001",
    }),
    runRecord("llm-run", "SUCCESS", {
      dagName: "llm_dag",
      startTime: LLM_START,
      endTime: LLM_START + 30,
      durationMs: 30,
    }),
  ]);
  await writeFile(join(dir, TRACES_FILE), llmTraceLine());
  ui = await startUi({ dir, port: 0 });
  await ui.caughtUp();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the across-runs views in Chromium", { timeout: 120_000 }, () => {
  it("search narrows the list and is kept in the address", async () => {
    const { page, trouble } = await newPage();
    await page.goto(`${ui.url}/`);
    await page.locator("tr.run-row").first().waitFor();
    expect((await rowIds(page)).length).toBe(100);
    await page.fill("#filter-q", "needle");
    await page.press("#filter-q", "Enter");
    await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 1);
    expect(await rowIds(page)).toEqual(["needle-run"]);
    expect(new URL(page.url()).search).toBe("?q=needle");
    // The address alone gives the same list (a reload, a shared link).
    await page.goto(`${ui.url}/?q=NEEDLE&project=search`);
    await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 1);
    expect(await rowIds(page)).toEqual(["needle-run"]);
    expect(await page.inputValue("#filter-q")).toBe("NEEDLE");
    expect(await problems(page, trouble)).toEqual(NO_PROBLEMS);
    await page.close();
  });

  it("pages past 1,000 runs: the 1,001st run opens the second page of 1,000", async () => {
    const { page, trouble } = await newPage();
    await page.goto(`${ui.url}/?project=bulk`);
    await page.locator("tr.run-row").first().waitFor();
    await page.selectOption("#page-size", "1000");
    await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 1000);
    expect(await page.textContent("#runs-count")).toBe("Runs 1–1,000, older ones on the next pages");
    expect((await rowIds(page))[999]).toBe(bulkId(999));
    await page.click("#older");
    await page.waitForFunction((n) => document.querySelectorAll("tr.run-row").length === n, BULK - 1000);
    expect(await page.textContent("#runs-count")).toBe("Runs 1,001–1,050");
    const ids = await rowIds(page);
    expect(ids[0]).toBe(bulkId(1000));
    expect(ids[ids.length - 1]).toBe(bulkId(BULK - 1));
    expect(await page.isDisabled("#older")).toBe(true);
    await page.click("#newer");
    await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 1000);
    expect((await rowIds(page))[0]).toBe(bulkId(0));
    // Sorted by node runs' failures, numerically: the failed runs first.
    await page.click('button.sort[data-sort="failures"]');
    const firstFailed = await page.locator("tr.run-row").first().getAttribute("data-run-id");
    expect(firstFailed).toBe(bulkId(3));
    expect(await problems(page, trouble)).toEqual(NO_PROBLEMS);
    await page.close();
  });

  it("deletes ticked runs after asking in the page; a running one is refused as text; a second page sees it go", async () => {
    const a = await newPage();
    const b = await newPage();
    await a.page.goto(`${ui.url}/?project=del`);
    await b.page.goto(`${ui.url}/?project=del`);
    for (const { page } of [a, b]) {
      await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 3);
      await page.locator("#live.on").waitFor();
    }
    expect(await rowIds(a.page)).toEqual(["del-running", "del-1", "del-2"]);
    await a.page.check('tr[data-run-id="del-1"] input.tick');
    await a.page.check('tr[data-run-id="del-running"] input.tick');
    expect(await a.page.textContent("#ticked")).toBe("2 ticked");
    await a.page.click("#delete");
    await a.page.locator("#delete-dialog[open]").waitFor();
    expect(await a.page.textContent("#delete-question")).toContain("these 2 runs");
    // Cancel keeps everything.
    await a.page.click("#delete-cancel");
    await a.page.locator("#delete-dialog[open]").waitFor({ state: "detached" });
    expect((await rowIds(a.page)).length).toBe(3);
    await a.page.click("#delete");
    await a.page.click("#delete-confirm");
    await a.page.waitForFunction(() => document.getElementById("runs-message")?.textContent?.startsWith("Deleted"));
    await a.page.waitForFunction(() => document.querySelector('tr[data-run-id="del-1"]') === null);
    expect(await a.page.textContent("#runs-message")).toMatch(/^Deleted 1 of 2\. del-running: .*still running/);
    expect(await rowIds(a.page)).toEqual(["del-running", "del-2"]);
    // The other page is told by the server's live events.
    await b.page.waitForFunction(() => document.querySelector('tr[data-run-id="del-1"]') === null);
    expect(await rowIds(b.page)).toEqual(["del-running", "del-2"]);
    expect(await (await fetch(`${ui.url}/api/runs/del-1`)).status).toBe(404);
    expect(await problems(a.page, a.trouble, 409)).toEqual(NO_PROBLEMS);
    expect(await problems(b.page, b.trouble)).toEqual(NO_PROBLEMS);
    await a.page.close();
    await b.page.close();
  });

  it("charts runs per day for the project, and a click on a day filters the list to it", async () => {
    const { page, trouble } = await newPage();
    await page.goto(`${ui.url}/?project=bulk`);
    const box = page.locator(".activity-charts[data-days]");
    await box.waitFor();
    const days = (await box.getAttribute("data-days"))!.split(",");
    const runs = (await box.getAttribute("data-runs"))!.split(",").map(Number);
    expect(days.length).toBe(30);
    expect(days[29]).toBe(dayOf(now));
    const expected = new Map<string, number>();
    for (let i = 0; i < BULK; i++) expected.set(dayOf(bulkStart(i)), (expected.get(dayOf(bulkStart(i))) ?? 0) + 1);
    const charted = new Map(days.flatMap((d, i) => (runs[i]! > 0 ? [[d, runs[i]!] as const] : [])));
    expect(charted).toEqual(expected);
    expect(await page.locator(".activity-runs canvas").count()).toBe(1);
    // No run of the project called an LLM: no tokens chart.
    expect(await page.locator(".activity-llm").count()).toBe(0);
    // A full day in the middle of the range.
    const day = dayOf(bulkStart(500));
    const index = days.indexOf(day);
    await clickColumn(page, ".activity-runs", index, days.length);
    await page.waitForFunction((d) => location.search === `?project=bulk&from=${d}&to=${d}`, day);
    await page.waitForFunction((n) => document.querySelectorAll("tr.run-row").length === n, expected.get(day)!);
    const ids = await rowIds(page);
    expect(ids).toContain(bulkId(500));
    expect(await page.inputValue("#filter-from")).toBe(day);
    expect(await page.inputValue("#filter-to")).toBe(day);
    expect(await problems(page, trouble)).toEqual(NO_PROBLEMS);
    await page.close();
  });

  it("charts tokens and cost per day when a run called an LLM, and a node's history shows its tokens", async () => {
    const { page, trouble } = await newPage();
    await page.goto(`${ui.url}/?project=llm`);
    const box = page.locator(".activity-charts[data-tokens]");
    await box.waitFor();
    const days = (await box.getAttribute("data-days"))!.split(",");
    const tokens = (await box.getAttribute("data-tokens"))!.split(",").map(Number);
    const index = days.indexOf(dayOf(LLM_START));
    expect(index).toBeGreaterThanOrEqual(0);
    expect(tokens[index]).toBe(150);
    expect(tokens.reduce((a, b) => a + b, 0)).toBe(150);
    expect(await page.locator(".activity-llm canvas").count()).toBe(1);
    // gpt-4o-mini: (100 × 0.15 + 50 × 0.6) / 1M USD.
    expect(await page.textContent(".activity-summary")).toContain("150 tokens, $0.000045");
    await page.goto(`${ui.url}/history?project=llm&dag=llm_dag&node=ask`);
    await page.waitForFunction(() => document.getElementById("app")?.dataset.view === "history");
    expect(await page.textContent("#history-stats")).toContain("150 tokens · $0.0000450");
    expect(await page.locator(".history-llm canvas").count()).toBe(1);
    expect(await problems(page, trouble)).toEqual(NO_PROBLEMS);
    await page.close();
  });

  it("charts a node's history from its panel's link, and a click on a point opens that node run", async () => {
    const { page, trouble } = await newPage();
    await page.goto(`${ui.url}/runs/${bulkId(2)}#node=a`);
    const link = page.locator('.node-detail[data-node="a"] a.history-link');
    await link.click();
    await page.waitForFunction(() => document.getElementById("app")?.dataset.view === "history");
    expect(new URL(page.url()).search).toBe("?project=bulk&dag=bulk_dag&node=a");
    const chart = page.locator(".history-duration");
    expect(await chart.getAttribute("data-points")).toBe("100");
    const stats = (await page.textContent("#history-stats"))!;
    // Of the newest 100 bulk runs, i % 7 === 3 failed and i % 5 === 0 were cache hits.
    const failed = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 7 === 3).length;
    expect(stats).toContain("100 node runs");
    expect(stats).toContain(`failure rate ${failed.toFixed(1)}%`);
    expect(stats).toContain("20 cache hits");
    await page.selectOption("#history-limit", "1000");
    await page.waitForFunction(
      () => document.querySelector(".history-duration")?.getAttribute("data-points") === "1000",
    );
    expect(new URL(page.url()).searchParams.get("limit")).toBe("1000");
    // The newest point is the last column: it opens bulk-0000 with node a selected.
    await clickColumn(page, ".history-duration", 999, 1000);
    await page.waitForURL((url) => url.pathname === `/runs/${bulkId(0)}`);
    expect(new URL(page.url()).hash).toBe("#node=a");
    await page.locator('.node-detail[data-node="a"]').waitFor();
    expect(await problems(page, trouble)).toEqual(NO_PROBLEMS);
    await page.close();
  });
});
