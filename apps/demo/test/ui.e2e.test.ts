/// <reference lib="dom" />
// End to end into hamilton-ts-ui: the real demo in a child process, and a real `startUi` on a free
// port, each way in: the store, the Hamilton UI tracking protocol, OTLP protobuf (Traceloop's
// exporter) and OTLP JSON. Each test waits for the demo's exit, then asks the server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUi, type UiServer } from "@hamilton-ts/ui";
import { chromium } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { budget, demoTestTimeout, runDemo, type DemoRun } from "./spawn-demo.js";

/** One demo run, the server, and Chromium drawing the run page, scaled by how busy the machine is. */
const TEST_TIMEOUT = demoTestTimeout(1, 30_000);
/** One of Chromium's steps (a launch, a navigation, an element drawn), scaled the same way. */
const BROWSER_STEP_MS = budget.ms(15_000);
/** The demo's node runs: nine nodes, one of them once per follow-up question (three). */
const NODE_RUNS = 12;
/** The node spans that call the LLM (each has one chat span under it). */
const LLM_NODE_SPANS = [
  "followUpAnswer followUpQuestion[0]",
  "followUpAnswer followUpQuestion[1]",
  "followUpAnswer followUpQuestion[2]",
  "haiku",
  "joke",
  "universalTruth",
];

interface RunSummary {
  runId: string;
  projectId: string;
  dagName: string;
  status: string;
  nodeCount: number;
  failedCount: number;
  traceId: string | undefined;
}
interface Span {
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
}

let ui: UiServer;
let storeDir: string;
let otherDir: string;
// A server start opens its embedded index (PGlite): about a second on a quiet machine.
const SERVER_HOOK_MS = budget.ms(15_000);
beforeEach(async () => {
  storeDir = await mkdtemp(join(tmpdir(), "demo-ui-store-"));
  otherDir = await mkdtemp(join(tmpdir(), "demo-ui-other-"));
  ui = await startUi({ dir: storeDir, port: 0 });
}, SERVER_HOOK_MS);
afterEach(async () => {
  await ui.close();
  await Promise.all([storeDir, otherDir].map((d) => rm(d, { recursive: true, force: true })));
}, SERVER_HOOK_MS);

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${ui.url}${path}`);
  expect(res.status, `GET ${path}`).toBe(200);
  return (await res.json()) as T;
}

function succeeded(result: DemoRun): void {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

/** The trace id the demo's report printed. */
function traceIdOf(result: DemoRun): string {
  const id = /trace id ([0-9a-f]{32})/.exec(result.stdout)?.[1];
  expect(id, result.stdout).toBeDefined();
  return id!;
}

/** Checks the trace on the server: the run span at the root, every node span under it, each chat span under its node. */
async function checkTrace(traceId: string): Promise<void> {
  const { spans } = await get<{ spans: Span[] }>(`/api/traces/${traceId}`);
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  expect(roots.map((s) => s.name)).toEqual(["hamilton.run"]);
  const nodes = spans.filter((s) => s.parentSpanId === roots[0]!.spanId);
  expect(nodes).toHaveLength(NODE_RUNS);
  for (const name of LLM_NODE_SPANS) {
    const node = nodes.find((s) => s.name === name);
    expect(node, name).toBeDefined();
    const chats = spans.filter((s) => s.parentSpanId === node!.spanId);
    expect(chats.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
    expect(chats[0]!.attributes["gen_ai.request.model"]).toBe("gpt-4o-mini");
  }
}

/**
 * The demo's run page in Chromium (Debian's, `CHROMIUM_PATH`): its DAG drawn with the fan-out once,
 * `universalTruth`'s node run linked to its span, and the OpenAI call's span under that node span.
 */
async function checkPage(runId: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
    timeout: BROWSER_STEP_MS,
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(BROWSER_STEP_MS);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${ui.url}/runs/${encodeURIComponent(runId)}`);
    await page.locator('svg.dag g.node[data-node="universalTruth"]').waitFor();
    expect(await page.locator('svg.dag g.node[data-node="followUpAnswer"] text.state').textContent()).toBe(
      "success · ×3 items",
    );
    expect(await page.locator(".node-list .wf-row").count()).toBe(NODE_RUNS);
    await page.click('svg.dag g.node[data-node="universalTruth"]');
    const panel = page.locator('.node-detail[data-node="universalTruth"]');
    await panel.locator("a.span-link").waitFor();
    await page.waitForFunction(
      () => !document.querySelector(".node-detail")?.textContent?.includes("not in the trace file"),
    );
    const nodeSpanId = ((await panel.locator("a.span-link").getAttribute("href")) ?? "").slice("#span=".length);
    expect(nodeSpanId).toMatch(/^[0-9a-f]{16}$/);
    // Each LLM span row: the one whose parent is universalTruth's span is its OpenAI call.
    const detail = page.locator(".span-detail");
    const llmRows = page.locator(".trace-list .wf-row:has(.llm-tag)");
    expect(await llmRows.count()).toBe(LLM_NODE_SPANS.length);
    const parents: string[] = [];
    for (let i = 0; i < LLM_NODE_SPANS.length; i++) {
      await llmRows.nth(i).click();
      await detail.locator(".llm").waitFor();
      parents.push((await detail.locator(".meta").textContent()) ?? "");
    }
    expect(parents.filter((meta) => meta.includes(`parent ${nodeSpanId}`))).toHaveLength(1);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}

describe("the demo into hamilton-ts-ui", () => {
  it("through the store: its FileSink and trace file in the UI's directory; the report says how to open the run", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({ DEMO_OUTPUT_DIR: storeDir });
    succeeded(result);
    const runId = /http:\/\/127\.0\.0\.1:8241\/runs\/(\S+)/.exec(result.stdout)?.[1];
    expect(runId, result.stdout).toBeDefined();
    expect(result.stdout).toContain(`pnpm --filter demo ui --dir ${storeDir}`);

    const { runs } = await get<{ runs: RunSummary[] }>("/api/runs");
    expect(runs).toEqual([
      expect.objectContaining({
        runId: decodeURIComponent(runId!),
        projectId: "demo",
        dagName: "hamilton-ts-demo",
        status: "SUCCESS",
        nodeCount: NODE_RUNS,
        failedCount: 0,
        traceId: traceIdOf(result),
      }),
    ]);
    const detail = await get<{
      run: { status: string };
      template: { nodes: unknown[] };
      nodeRuns: { status: string }[];
    }>(`/api/runs/${runId}`);
    expect(detail.run.status).toBe("SUCCESS");
    expect(detail.template.nodes.length).toBeGreaterThan(0);
    expect(detail.nodeRuns).toHaveLength(NODE_RUNS);
    expect(detail.nodeRuns.every((n) => n.status === "SUCCESS")).toBe(true);
    await checkTrace(traceIdOf(result));
    await checkPage(decodeURIComponent(runId!));
  });

  it("through the Hamilton UI tracking protocol (HAMILTON_API_URL): the run is listed, the report links its page", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({
      DEMO_OUTPUT_DIR: otherDir,
      HAMILTON_API_URL: ui.url,
      HAMILTON_USERNAME: "ada@example.com",
      HAMILTON_PROJECT_ID: "7",
    });
    succeeded(result);
    const dagRunId = new RegExp(`${ui.url}/dashboard/project/7/runs/(\\d+)`).exec(result.stdout)?.[1];
    expect(dagRunId, result.stdout).toBeDefined();
    expect(result.stdout).toMatch(/open it\s+http:\/\/127\.0\.0\.1:\d+\/dashboard\/project\/7\/runs\/\d+/);
    const { runs } = await get<{ runs: RunSummary[] }>("/api/runs");
    expect(runs).toEqual([
      expect.objectContaining({ runId: dagRunId, projectId: "7", status: "SUCCESS", nodeCount: NODE_RUNS }),
    ]);
    const detail = await get<{ nodeRuns: { status: string }[] }>(`/api/runs/${dagRunId}`);
    expect(detail.nodeRuns.every((n) => n.status === "SUCCESS")).toBe(true);
  });

  it("through OTLP protobuf (Traceloop's exporter at TRACELOOP_BASE_URL): the trace has the run, its nodes and each OpenAI span under its node", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({
      DEMO_OUTPUT_DIR: otherDir,
      TRACELOOP_API_KEY: "tl-unused",
      TRACELOOP_BASE_URL: ui.url,
    });
    succeeded(result);
    expect(result.stdout).toContain(`Traceloop at ${ui.url}`);
    await checkTrace(traceIdOf(result));
  });

  it("through OTLP JSON (OTEL_EXPORTER_OTLP_ENDPOINT): the same trace", { timeout: TEST_TIMEOUT }, async () => {
    const result = await runDemo({ DEMO_OUTPUT_DIR: otherDir, OTEL_EXPORTER_OTLP_ENDPOINT: ui.url });
    succeeded(result);
    expect(result.stdout).toContain(`OTLP/HTTP (JSON) to ${ui.url}/v1/traces`);
    await checkTrace(traceIdOf(result));
  });
});
