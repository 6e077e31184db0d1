/// <reference lib="dom" />
/**
 * The page in a real browser (Debian's Chromium driven by playwright-core): a demo-like run made by
 * the real packages (core's Builder with the OpenTelemetry tracer and HamiltonTracker + FileSink,
 * the `openai` client against a local OpenAI-compatible server, instrumented by Traceloop, spans
 * exported over OTLP protobuf to the UI), markup from running code, a run in progress, and a
 * 10,000-node run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import { startLocalOpenAI, type LocalOpenAI } from "@hamilton-ts/local-openai";
import { OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import { FileSink, HamiltonTracker, HamiltonUIClient } from "@hamilton-ts/tracker";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import * as traceloop from "@traceloop/node-server-sdk";
import OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../src/server.js";
import { writeBigRun } from "./big-run.js";
import { launchChromium, watchTrouble } from "./browser.js";
import * as dataflow from "./page-dataflow.js";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

type InitializeOptions = NonNullable<Parameters<typeof traceloop.initialize>[0]>;

const EVIL = '<img src=x onerror="window.__pwned=1;alert(1)">';

let dir: string;
let ui: UiServer;
let llm: LocalOpenAI;
let browser: Browser;
let demoRunId: string;

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(30_000);
  return page;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-page-"));
  ui = await startUi({ dir, port: 0 });
  llm = await startLocalOpenAI({ latencyMs: 5 });
  traceloop.initialize({
    appName: "ui-page-test",
    exporter: new OTLPTraceExporter({ url: `${ui.url}/v1/traces` }),
    disableBatch: true,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    instrumentModules: { openAI: OpenAI } as unknown as InitializeOptions["instrumentModules"],
  });
  const tracker = new HamiltonTracker({
    projectId: "demo",
    username: "tester",
    dagName: "page_test",
    sink: new FileSink({ dir }),
    // The page is checked against the summaries the tracker makes, not against its 5 ms wall-clock
    // budget (the tracker's own tests cover that): on a busy machine a pause between the budget's
    // first two clock reads recorded `measurements` as `{ kind: "truncated", reason: "time" }`.
    summaryLimits: { timeBudgetMs: Number.POSITIVE_INFINITY },
  });
  const dr = new Builder()
    .withModules(dataflow)
    .withAdapters(new OpenTelemetryTracer({ workflowName: "page_test" }), tracker)
    .build();
  await dr.execute(["report", "markup"], { inputs: { openaiBaseUrl: llm.baseURL } });
  await tracker.shutdown();
  await traceloop.forceFlush();
  const runs = (await (await fetch(`${ui.url}/api/runs`)).json()) as { runs: { runId: string }[] };
  demoRunId = runs.runs[0]!.runId;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await llm?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the page in Chromium", { timeout: 60_000 }, () => {
  it("lists the demo-like run with its DAG, status word, node runs and failures, and filters", async () => {
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/`);
    const row = page.locator(`tr.run-row[data-run-id="${demoRunId}"]`);
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[2]).toBe("demo");
    expect(cells[3]).toContain("page_test");
    expect(cells[4]).toBe("success");
    expect(Number(cells[7])).toBe(12); // 10 node runs besides the input, the fan-out's shout three times
    expect(cells[8]).toBe("0");
    // The LLM column: its one OpenAI call and what it cost.
    expect(cells[9]).toMatch(/^1 · \$0\.\d+$/);
    await page.selectOption("#filter-status", "FAILURE");
    await page.waitForFunction((id) => document.querySelector(`tr[data-run-id="${id}"]`) === null, demoRunId);
    expect(page.url()).toMatch(/\?status=FAILURE$/);
    await page.selectOption("#filter-status", { label: "all" });
    await row.waitFor();
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("draws the run's DAG, shows a node's summary and links it with its span and the OpenAI span under it", async () => {
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/dashboard/project/demo/runs/${demoRunId}`);
    await page.locator('svg.dag g.node[data-node="answer"]').waitFor();
    const names = await page
      .locator("svg.dag g.node")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-node")));
    expect(names.sort()).toEqual(
      [
        "answer",
        "llm",
        "markup",
        "measurements",
        "openaiBaseUrl",
        "question",
        "report",
        "shout",
        "shouts",
        "word",
        "words",
      ].sort(),
    );
    // Status as a word on the node, and the fan-out drawn once with its item count.
    expect(await page.locator('svg.dag g.node[data-node="answer"] text.state').textContent()).toBe("success");
    expect(await page.locator('svg.dag g.node[data-node="shout"] text.state').textContent()).toBe("success · ×3 items");
    // The waterfall: one row per node run, fan-out items with their task ids.
    expect(await page.locator(".node-list .wf-row").count()).toBe(12);
    expect(
      await page.locator(".node-list .wf-row", { hasText: "shout [word[1]]" }).locator(".wf-status").textContent(),
    ).toBe("success");

    // A fan-out item: its task id, and the input of its own task.
    await page.locator(".node-list .wf-row", { hasText: "shout [word[1]]" }).click();
    const item = page.locator('.node-detail[data-node="shout"]');
    await item.locator(".task").waitFor();
    expect(await item.locator("h3").textContent()).toBe("shout [word[1]]");
    expect(await item.locator("table.inputs").textContent()).toBe('worditem 1: string (4 chars) "beta"');
    expect(await item.locator("ul.siblings li").count()).toBe(3);

    // An input is no node run: the panel says what was given.
    await page.click('svg.dag g.node[data-node="llm"]');
    await page.locator('.node-detail[data-node="llm"] table.inputs').waitFor();
    expect(await page.locator(".node-detail table.inputs").textContent()).toBe(
      `openaiBaseUrlgiven: string (${llm.baseURL.length} chars) ${JSON.stringify(llm.baseURL)}`,
    );

    // A node with numbers: statistics and a histogram.
    await page.click('svg.dag g.node[data-node="measurements"]');
    const panel = page.locator('.node-detail[data-node="measurements"]');
    await panel.waitFor();
    expect(await panel.textContent()).toContain("Array of 200 numbers");
    expect(await panel.locator("svg.histogram rect.bar").count()).toBe(10);
    expect(await panel.locator("table.stats").textContent()).toContain("mean");

    // The LLM node: its result, its inputs, its code, and the link to its span.
    await page.click('svg.dag g.node[data-node="answer"]');
    const answer = page.locator('.node-detail[data-node="answer"]');
    await answer.waitFor();
    const text = (await answer.textContent()) ?? "";
    expect(text).toContain("success");
    expect(text).toMatch(/string, \d+ characters/);
    expect(text).toContain("Inputs taken");
    expect(text).toContain("llm.chat.completions.create");
    await page.waitForFunction(
      () => !document.querySelector(".node-detail")?.textContent?.includes("not in the trace file"),
    );
    // The run's one OpenAI call, counted from the trace Traceloop wrote and priced as gpt-4o-mini.
    const total = page.locator("#llm-total");
    await total.waitFor();
    const usage = /^1 LLM call · (\d+) input \+ (\d+) output tokens · \$0\.\d+$/.exec(
      (await total.textContent()) ?? "",
    );
    expect(usage).not.toBeNull();
    const [input, output] = [Number(usage![1]), Number(usage![2])];
    expect(input).toBeGreaterThan(0);
    expect(Number(await total.getAttribute("data-cost-usd"))).toBeCloseTo((input * 0.15 + output * 0.6) / 1e6, 12);
    expect(await answer.locator(".node-llm").textContent()).toBe((await total.textContent()) ?? "");
    const spanHref = await answer.locator("a.span-link").getAttribute("href");
    expect(spanHref).toMatch(/^#span=[0-9a-f]{16}$/);
    const nodeSpanId = spanHref!.slice("#span=".length);
    await answer.locator("a.span-link").click();
    const detail = page.locator(".span-detail");
    await detail.locator("a.node-link").waitFor();
    expect(await detail.locator("a.node-link").textContent()).toBe("Its node run: answer");

    // The OpenAI call's span, under the node's span, with model and tokens.
    const llmRow = page.locator(".trace-list .wf-row:has(.llm-tag)").first();
    await llmRow.click();
    await detail.locator(".llm").waitFor();
    expect(await detail.locator(".meta").textContent()).toContain(`parent ${nodeSpanId}`);
    const llmText = (await detail.locator(".llm").textContent()) ?? "";
    expect(llmText).toContain("gpt-4o-mini");
    expect(llmText).toMatch(/input tokens\d+/);
    expect(llmText).toContain("What is the answer to everything?");
    // Back from the node's span to its node run.
    await page.click(`.trace-list .wf-row[data-key="${nodeSpanId}"]`);
    await detail.locator("a.node-link").click();
    await page.locator('.node-detail[data-node="answer"]').waitFor();

    // For the screenshot: the answer's node run beside its LLM call.
    await llmRow.click();
    await detail.locator(".llm").waitFor();
    await page.screenshot({
      path: process.env.UI_SCREENSHOT ?? join(dir, "run-page.png"),
      fullPage: true,
    });
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("compares two runs of one DAG node by node", async () => {
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("cmp", [
      templateRecord("v1", "dag"),
      runRecord("cmp-a", "RUNNING"),
      nodeRecord("cmp-a", "a", "SUCCESS", { durationMs: 10 }),
      runRecord("cmp-a", "SUCCESS"),
      // B started after A: A is B's previous run.
      runRecord("cmp-b", "RUNNING", { startTime: 1_700_000_005_000 }),
      nodeRecord("cmp-b", "a", "FAILURE", {
        durationMs: 20,
        error: { type: "TypeError", message: "bad a", stack: undefined, cause: undefined },
      }),
      runRecord("cmp-b", "FAILURE", { startTime: 1_700_000_005_000, endTime: 1_700_000_006_000 }),
    ]);
    const page = await newPage();
    await page.goto(`${ui.url}/`);
    await page.locator('tr[data-run-id="cmp-a"] input').check();
    await page.locator('tr[data-run-id="cmp-b"] input').check();
    await page.click("#compare");
    const row = page.locator('.cmp-row[data-node="a"]');
    await row.waitFor();
    const cells = await row
      .locator(".cmp-cell")
      .evaluateAll((els) =>
        els.map((e) => [".cmp-status", ".cmp-duration", ".cmp-result"].map((c) => e.querySelector(c)?.textContent)),
      );
    expect(cells).toEqual([
      ["success", "10 ms", "1"],
      ["failure", "20 ms", "TypeError: bad a"],
    ]);
    expect(await row.getAttribute("class")).toContain("differs");
    // From a run's page: compare with the previous run of its DAG in its project.
    await page.goto(`${ui.url}/runs/cmp-b`);
    await page.locator("#compare-previous a").click();
    await page.locator('.cmp-row[data-node="a"]').waitFor();
    expect(new URL(page.url()).search).toBe("?a=cmp-a&b=cmp-b");
    await page.close();
  });

  it("shows markup from running code (result, node name, error) as text and runs none of it", async () => {
    const sink = new FileSink({ dir, fsync: false });
    const template = templateRecord("evil-v1", EVIL);
    await sink.write("evil", [
      { ...template, nodes: [{ ...template.nodes[0]!, name: EVIL, source: EVIL, tags: { [EVIL]: EVIL } }] },
      runRecord("evil-run", "RUNNING", { dagName: EVIL, graphVersion: "evil-v1" }),
      nodeRecord("evil-run", EVIL, "FAILURE", {
        error: {
          type: EVIL,
          message: EVIL,
          stack: `Error: ${EVIL}\n    at <script>alert(2)</script>`,
          cause: undefined,
        },
        warnings: [EVIL],
      }),
      runRecord("evil-run", "FAILURE", { dagName: EVIL, graphVersion: "evil-v1" }),
    ]);
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/`);
    await page.locator('tr[data-run-id="evil-run"]').waitFor();
    await page.goto(`${ui.url}/runs/evil-run#node=${encodeURIComponent(EVIL)}`);
    await page.locator("svg.dag g.node").waitFor();
    await page.locator(".node-detail .error-title").waitFor();
    expect(await page.locator(".node-detail .error-title").textContent()).toBe(`${EVIL}: ${EVIL}`);
    expect(await page.locator("h1").textContent()).toContain(EVIL);
    expect(await page.locator("svg.dag text.name").textContent()).toBe(`${EVIL.slice(0, 40)}…`);
    expect(await page.locator(".node-detail pre.stack").textContent()).toContain("<script>alert(2)</script>");
    // The demo-like run's `markup` node: its string result, shown as text.
    await page.goto(`${ui.url}/runs/${demoRunId}#node=markup`);
    await page.locator('.node-detail[data-node="markup"] pre.preview').waitFor();
    expect(await page.locator(".node-detail pre.preview").textContent()).toBe('<img src=x onerror="window.__pwned=1">');
    const effects = await page.evaluate(() => ({
      images: document.querySelectorAll("img").length,
      scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    }));
    expect(effects).toEqual({ images: 0, scripts: 0, pwned: undefined });
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("updates a run in progress and the runs list without a reload", async () => {
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("live", [
      templateRecord("v1", "dag"),
      runRecord("live-run", "RUNNING"),
      nodeRecord("live-run", "a", "RUNNING"),
    ]);
    const page = await newPage();
    await page.goto(`${ui.url}/runs/live-run`);
    await page.locator("#live.on").waitFor();
    expect(await page.locator("#run-status").textContent()).toBe("running");
    expect(await page.locator('svg.dag g.node[data-node="a"] text.state').textContent()).toBe("running");
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    // Another writer (a FileSink of its own, as another process) finishes the run.
    await new FileSink({ dir, fsync: false }).write("live", [
      nodeRecord("live-run", "a", "SUCCESS"),
      runRecord("live-run", "SUCCESS"),
    ]);
    await page.waitForFunction(() => document.querySelector("#run-status")?.textContent === "success");
    await page.waitForFunction(
      () => document.querySelector('svg.dag g.node[data-node="a"] text.state')?.textContent === "success",
    );
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // A new run appears in the open list.
    await page.goto(`${ui.url}/`);
    await page.locator("#live.on").waitFor();
    await new FileSink({ dir, fsync: false }).write("live", [runRecord("live-new", "RUNNING")]);
    await page.locator('tr[data-run-id="live-new"]').waitFor();
    await page.close();
  });

  it("shows a run reported over the Hamilton UI protocol at the Hamilton UI's own link", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: "tester", apiKey: "k" });
    const tracker = new HamiltonTracker({ projectId: 7, username: "tester", dagName: "qa", sink: client });
    const dr = new Builder()
      .withModules({
        question: ({ topic }: { topic: string }) => `What is ${topic}?`,
        answer: ({ question }: { question: string }): string => {
          throw new Error(`no answer to ${question}`);
        },
      })
      .withAdapters(tracker)
      .build();
    await dr.execute(["answer"], { inputs: { topic: "TS" } }).catch(() => undefined);
    await tracker.shutdown();
    const listed = (await (await fetch(`${ui.url}/api/runs?project=7`)).json()) as { runs: { runId: string }[] };
    const dagRunId = listed.runs[0]!.runId;
    const page = await newPage();
    await page.goto(`${ui.url}/dashboard/project/7/runs/${dagRunId}`);
    await page.locator('svg.dag g.node[data-node="answer"]').waitFor();
    expect(await page.locator("#run-status").textContent()).toBe("failure");
    expect(await page.locator('svg.dag g.node[data-node="answer"] text.state').textContent()).toBe("failure");
    // The server's version of a protocol run (hamilton-ui-<template id>) is shown whole, not cut as a hash.
    expect(await page.locator("body").textContent()).toMatch(/version hamilton-ui-\d+ /);
    await page.click('svg.dag g.node[data-node="answer"]');
    await page.locator('.node-detail[data-node="answer"] .error-title').waitFor();
    expect(await page.locator(".node-detail .error-title").textContent()).toBe("Error: no answer to What is TS?");
    await page.close();
  });

  it("says there is no such run, with a 404", async () => {
    const page = await newPage();
    const res = await page.goto(`${ui.url}/runs/no-such-run`);
    expect(res?.status()).toBe(404);
    await page.locator("h1", { hasText: "No run no-such-run" }).waitFor();
    await page.close();
  });

  // Writing, indexing and drawing 10,000 node runs: a generous budget on a busy machine.
  it("renders a 10,000-node run: virtualised rows, the graph drawn on request", { timeout: 240_000 }, async () => {
    await writeBigRun(dir, "big-run", 10_000);
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/runs/big-run`);
    await page.waitForFunction(() => document.getElementById("app")?.dataset.firstRenderMs !== undefined, null, {
      timeout: 180_000,
    });
    const ms = Number(await page.evaluate(() => document.getElementById("app")!.dataset.firstRenderMs));
    console.log(`first render of the 10,000-node run: ${ms} ms after navigation`);
    expect(await page.locator("#node-count").textContent()).toBe("10,000 node runs");
    // Only the rows on screen exist.
    const rows = await page.locator(".node-list .wf-row").count();
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(60);
    await page.locator(".node-list").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator(".node-list .wf-row", { hasText: "n9999" }).waitFor();
    // Too large to lay out at once: the graph is drawn around the selected node, off the main thread.
    expect(await page.locator(".graph-status").textContent()).toContain(
      "This DAG has 10,000 nodes, too many to lay out at once",
    );
    await page.locator("button.draw").waitFor();
    await page.locator(".node-list .wf-row", { hasText: "n9999" }).click();
    await page.locator('svg.dag g.node.selected[data-node="n9999"]').waitFor();
    const drawn = await page
      .locator("svg.dag g.node")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-node")));
    // n9999's inputs (n9998, n4999) and theirs, two steps up; nothing depends on it.
    expect(drawn.sort()).toEqual(["n2499", "n4998", "n4999", "n9997", "n9998", "n9999"]);
    expect(await page.locator(".graph-status").textContent()).toContain("6 of 10,000 nodes around n9999");
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  // A second server starts here (its own index of its own store): a generous budget on a busy machine.
  it("asks for the API key once, refuses a wrong one, and opens the page with the right one", {
    timeout: 240_000,
  }, async () => {
    // A store of its own: one server serves a store at a time (the store's lock).
    const keyedDir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-page-keyed-"));
    await new FileSink({ dir: keyedDir, fsync: false }).write("keyed", [
      templateRecord("v1", "dag"),
      runRecord("keyed-run", "RUNNING"),
      nodeRecord("keyed-run", "a"),
      runRecord("keyed-run", "SUCCESS"),
    ]);
    const keyed = await startUi({ dir: keyedDir, port: 0, apiKey: "s3cret" });
    try {
      const page = await newPage();
      await page.goto(`${keyed.url}/runs/keyed-run`);
      await page.fill('input[name="key"]', "wrong");
      await page.click('button[type="submit"]');
      await page.locator("#login-error").waitFor();
      expect(await page.locator("#login-error").textContent()).toBe("That is not this server's API key.");
      await page.fill('input[name="key"]', "s3cret");
      await page.click('button[type="submit"]');
      await page.locator('svg.dag g.node[data-node="a"]').waitFor();
      expect(new URL(page.url()).pathname).toBe("/runs/keyed-run");
      await page.locator("#live.on").waitFor();
      const cookies = await page.context().cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
      expect(cookies[0]!.value).not.toContain("s3cret");
      await page.close();
    } finally {
      await keyed.close();
      await rm(keyedDir, { recursive: true, force: true });
    }
  });
});
