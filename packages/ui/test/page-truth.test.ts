/// <reference lib="dom" />
/**
 * The run page's truth in Chromium: a run's parameters and what each input really was, what the
 * cache did and why, the user's source with its file and line, LLM calls priced from the trace, a
 * table summary, the graph's zoom, pan and fit, and nodes waiting in a run in progress. The records
 * are written with `FileSink` (as the tracker writes them) and the spans posted over OTLP JSON.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DagTemplateRecord, NodeTemplate } from "@hamilton-ts/store";
import { FileSink } from "@hamilton-ts/tracker";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../src/server.js";
import { formatUsd } from "../web/src/llm-text.js";
import { launchChromium, watchTrouble } from "./browser.js";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

let dir: string;
let ui: UiServer;
let browser: Browser;

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(30_000);
  return page;
}

function node(name: string, over: Partial<NodeTemplate> = {}): NodeTemplate {
  return {
    name,
    functionName: name,
    dependencies: [],
    optionalDependencies: [],
    tags: {},
    documentation: "",
    source: `const ${name} = () => 1;`,
    classification: "transform",
    kind: "transform",
    version: `${name}-v1`,
    ...over,
  };
}

function input(name: string): NodeTemplate {
  return node(name, { classification: "input", kind: "input", source: "", version: "" });
}

function template(graphVersion: string, nodes: NodeTemplate[]): DagTemplateRecord {
  return { ...templateRecord(graphVersion, "truth"), nodes };
}

const str = (s: string) => ({ kind: "string", length: s.length, preview: s, truncated: false }) as const;

/** Posts spans to the server's OTLP/HTTP endpoint as OTLP JSON. */
async function postSpans(
  traceId: string,
  spans: { spanId: string; parent?: string; name: string; attributes?: Record<string, string | number> }[],
): Promise<void> {
  const t0 = BigInt(1_700_000_000_000) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "truth" } }] },
        scopeSpans: [
          {
            scope: { name: "test" },
            spans: spans.map((s, i) => ({
              traceId,
              spanId: s.spanId,
              ...(s.parent === undefined ? {} : { parentSpanId: s.parent }),
              name: s.name,
              kind: 1,
              startTimeUnixNano: String(t0 + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(t0 + BigInt(i + 1) * 1_000_000n),
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({
                key,
                value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v },
              })),
              status: {},
            })),
          },
        ],
      },
    ],
  };
  const res = await fetch(`${ui.url}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

async function groupText(page: Page, group: string): Promise<string> {
  return (await page.locator(`#run-params [data-group="${group}"]`).textContent()) ?? "";
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-truth-"));
  ui = await startUi({ dir, port: 0 });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the run page tells the whole truth", { timeout: 60_000 }, () => {
  it("shows the run's parameters without a click, and what each input really was", async () => {
    const nodes = [
      input("model"),
      input("temperature"),
      node("question"),
      node("answer", {
        dependencies: ["model", "temperature", "question"],
        optionalDependencies: ["model", "temperature"],
      }),
    ];
    const over = {
      dagName: "truth",
      graphVersion: "params-v1",
      host: "box-1",
      pid: 4242,
      finalVars: ["answer"],
      inputs: { model: str("gpt-4o") },
      overrides: ["question"],
      config: { mode: str("fast") },
      tags: { team: "data" },
    };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("params-v1", nodes),
      runRecord("params-run", "RUNNING", over),
      nodeRecord("params-run", "answer", "SUCCESS", { worker: "worker-a:77" }),
      runRecord("params-run", "SUCCESS", over),
    ]);
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/runs/params-run`);
    await page.locator("#run-params").waitFor();
    expect(await groupText(page, "inputs")).toBe('Inputsmodelstring (6 chars) "gpt-4o"');
    expect(await groupText(page, "config")).toBe('Configmodestring (4 chars) "fast"');
    expect(await groupText(page, "overrides")).toBe("Overridesquestionoverridden (its value is not recorded)");
    expect(await groupText(page, "tags")).toBe("Tagsteamdata");
    expect(await groupText(page, "requested-outputs")).toBe("Requested outputsanswer");
    expect(await groupText(page, "who-and-where")).toBe(
      "Who and whereuserme@example.comhostbox-1pid4242workerworker-a:77graph versionparams-v1",
    );
    // The panel: `model` was given (though it has a default), `temperature` was not.
    await page.locator('svg.dag g.node[data-node="answer"]').click();
    const rows = page.locator('.node-detail[data-node="answer"] table.inputs tr');
    await rows.first().waitFor();
    expect(await rows.allTextContents()).toEqual([
      'model (optional)given: string (6 chars) "gpt-4o"',
      "temperature (optional)not given (the default was used)",
      "questionoverridden (its value is not recorded)",
    ]);
    expect(await page.locator('svg.dag g.node[data-node="question"] text.state').textContent()).toBe("overridden");
    // An input's own panel says the same.
    await page.locator('svg.dag g.node[data-node="model"]').click();
    expect(await page.locator('.node-detail[data-node="model"] .input-truth').textContent()).toBe(
      'given: string (6 chars) "gpt-4o"',
    );
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("shows how many node runs came from the cache, each node's outcome in words, a hit's run and a miss's reason", async () => {
    const nodes = [node("a"), node("b", { dependencies: ["a"] }), node("c", { dependencies: ["b"] })];
    const over = { dagName: "truth", graphVersion: "cache-v2" };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("cache-v2", nodes),
      runRecord("cache-run", "RUNNING", over),
      nodeRecord("cache-run", "a", "SUCCESS", { cache: "hit", cacheFromRun: "first-run", cacheKey: "k-a" }),
      nodeRecord("cache-run", "b", "SUCCESS", { cache: "hit", cacheFromRun: "first-run", cacheKey: "k-b" }),
      nodeRecord("cache-run", "c", "SUCCESS", {
        cache: "miss",
        cacheKey: "k-c2",
        cacheMissReason: { kind: "code", from: "c-v1", to: "c-v2" },
      }),
      runRecord("cache-run", "SUCCESS", over),
    ]);
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/runs/cache-run`);
    await page.locator('svg.dag g.node[data-node="c"]').waitFor();
    expect(await page.locator("#cache-count").textContent()).toBe("2 of 3 node runs from the cache");
    const words = await page
      .locator("svg.dag g.node")
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute("data-node")}: ${e.querySelector("text.cache")?.textContent}`),
      );
    expect(words.sort()).toEqual(["a: cache hit", "b: cache hit", "c: cache miss"]);
    expect(await page.locator(".node-list .wf-row", { hasText: "a" }).first().locator(".cache-tag").textContent()).toBe(
      "cache hit",
    );
    expect(await page.locator(".node-list .wf-row .cache-tag").allTextContents()).toEqual([
      "cache hit",
      "cache hit",
      "cache miss",
    ]);
    // A hit links to the run that stored its value.
    await page.locator('svg.dag g.node[data-node="a"]').click();
    const hit = page.locator('.node-detail[data-node="a"] .cache-line');
    await hit.waitFor();
    expect(await hit.textContent()).toContain(
      "cache hit the node did not run: its result is the one stored by run first-run",
    );
    expect(await hit.locator("a.cache-from").getAttribute("href")).toBe("/runs/first-run");
    // A miss says why.
    await page.locator('svg.dag g.node[data-node="c"]').click();
    const miss = page.locator('.node-detail[data-node="c"] .cache-line');
    await miss.waitFor();
    expect(await miss.textContent()).toContain("cache miss the node ran: its code changed (c-v1 → c-v2)");
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("shows the user's source with its file and line, and says when only compiled code was found", async () => {
    const source = [
      "export function summary({ text }: { text: string }): string {",
      "  // Keep the first sentence only: the model rambles.",
      "  return text.split('.')[0] ?? '';",
      "}",
    ].join("\n");
    const nodes = [
      input("text"),
      node("summary", {
        dependencies: ["text"],
        source,
        sourceFile: "src/flow.ts",
        sourceLine: 12,
        sourceMapped: true,
      }),
      node("compiled", {
        source: "function compiled(){return 5e3}",
        sourceFile: "dist/flow.js",
        sourceLine: 3,
        sourceMapped: false,
      }),
    ];
    const over = { dagName: "truth", graphVersion: "code-v1", inputs: { text: str("A. B.") } };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("code-v1", nodes),
      runRecord("code-run", "RUNNING", over),
      nodeRecord("code-run", "summary"),
      nodeRecord("code-run", "compiled"),
      runRecord("code-run", "SUCCESS", over),
    ]);
    const page = await newPage();
    await page.goto(`${ui.url}/runs/code-run#node=summary`);
    const panel = page.locator('.node-detail[data-node="summary"]');
    await panel.locator("pre.code").waitFor();
    expect(await panel.locator(".source-location").textContent()).toBe("src/flow.ts:12");
    expect(await panel.locator("pre.code").textContent()).toBe(source);
    expect(await panel.locator("pre.code").textContent()).toContain("// Keep the first sentence only");
    expect(await panel.locator(".compiled-note").count()).toBe(0);
    await page.goto(`${ui.url}/runs/code-run#node=compiled`);
    const compiled = page.locator('.node-detail[data-node="compiled"]');
    await compiled.locator("pre.code").waitFor();
    expect(await compiled.locator(".source-location").textContent()).toBe("dist/flow.js:3");
    expect(await compiled.locator(".compiled-note").textContent()).toBe("compiled code (no source map found)");
    await page.close();
  });

  it("counts and prices the run's LLM calls from its trace: per run, per node run and in the waterfall", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const nodes = [node("summarise"), node("classify"), node("plain")];
    const over = { dagName: "truth", graphVersion: "llm-v1" };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("llm-v1", nodes),
      runRecord("llm-run", "RUNNING", over),
      nodeRecord("llm-run", "summarise", "SUCCESS", { traceId, spanId: "00000000000000a1" }),
      nodeRecord("llm-run", "classify", "SUCCESS", { traceId, spanId: "00000000000000a2" }),
      nodeRecord("llm-run", "plain", "SUCCESS", { traceId, spanId: "00000000000000a3" }),
      runRecord("llm-run", "SUCCESS", over),
    ]);
    const chat = (model: string, input: number, output: number) => ({
      "gen_ai.request.model": model.replace(/-\d{4}-\d{2}-\d{2}$|-\d{8}$/, ""),
      "gen_ai.response.model": model,
      "gen_ai.usage.input_tokens": input,
      "gen_ai.usage.output_tokens": output,
    });
    await postSpans(traceId, [
      { spanId: "0000000000000001", name: "run" },
      { spanId: "00000000000000a1", parent: "0000000000000001", name: "summarise" },
      {
        spanId: "00000000000000b1",
        parent: "00000000000000a1",
        name: "openai.chat",
        attributes: chat("gpt-4o-mini-2024-07-18", 1000, 500),
      },
      // A framework's LLM span around the client's: the inner one is the call, counted once.
      {
        spanId: "00000000000000b2",
        parent: "00000000000000a1",
        name: "chain",
        attributes: { "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 2000 },
      },
      {
        spanId: "00000000000000b3",
        parent: "00000000000000b2",
        name: "openai.chat",
        attributes: chat("gpt-4o-mini-2024-07-18", 2000, 100),
      },
      { spanId: "00000000000000a2", parent: "0000000000000001", name: "classify" },
      {
        spanId: "00000000000000b4",
        parent: "00000000000000a2",
        name: "anthropic.chat",
        attributes: chat("claude-3-5-haiku-20241022", 1000, 1000),
      },
      { spanId: "00000000000000a3", parent: "0000000000000001", name: "plain" },
    ]);
    const summariseUsd = (3000 * 0.15 + 600 * 0.6) / 1e6;
    const classifyUsd = (1000 * 0.8 + 1000 * 4) / 1e6;
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/runs/llm-run`);
    const total = page.locator("#llm-total");
    await total.waitFor();
    expect(await total.textContent()).toBe(
      `3 LLM calls · 4,000 input + 1,600 output tokens · ${formatUsd(summariseUsd + classifyUsd)}`,
    );
    expect(Number(await total.getAttribute("data-cost-usd"))).toBeCloseTo(summariseUsd + classifyUsd, 12);
    expect(await page.locator(".node-list .wf-row .llm-cost").allTextContents()).toEqual([
      // By start, then name: classify, summarise.
      `LLM ×1 · ${formatUsd(classifyUsd)}`,
      `LLM ×2 · ${formatUsd(summariseUsd)}`,
    ]);
    await page.locator('svg.dag g.node[data-node="summarise"]').click();
    expect(await page.locator('.node-detail[data-node="summarise"] .node-llm').textContent()).toBe(
      `2 LLM calls · 3,000 input + 600 output tokens · ${formatUsd(summariseUsd)}`,
    );
    await page.locator('svg.dag g.node[data-node="plain"]').click();
    await page.locator('.node-detail[data-node="plain"]').waitFor();
    expect(await page.locator(".node-detail .node-llm").count()).toBe(0);
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("draws a table summary as a table", async () => {
    const over = { dagName: "truth", graphVersion: "table-v1" };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("table-v1", [node("rows")]),
      runRecord("table-run", "RUNNING", over),
      nodeRecord("table-run", "rows", "SUCCESS", {
        result: {
          kind: "table",
          rows: 50,
          sampled: false,
          columns: [
            { name: "city", type: "string", missing: 0, top: [{ value: "Oslo", count: 30 }], distinct: 5 },
            {
              name: "temp",
              type: "number",
              missing: 2,
              stats: {
                count: 48,
                missing: 2,
                zeros: 0,
                min: -3,
                max: 21,
                mean: 9.5,
                std: 4,
                quantiles: null,
                histogram: [],
              },
            },
          ],
          head: [
            { city: str("Oslo"), temp: { kind: "primitive", type: "number", value: -3 } },
            { city: str("<b>Rome</b>"), temp: { kind: "primitive", type: "null", value: null } },
          ],
        },
      }),
      runRecord("table-run", "SUCCESS", over),
    ]);
    const page = await newPage();
    await page.goto(`${ui.url}/runs/table-run#node=rows`);
    const table = page.locator('.node-detail[data-node="rows"] table.data');
    await table.waitFor();
    expect(await table.locator("thead th .col-name").allTextContents()).toEqual(["city", "temp"]);
    expect(await table.locator("thead th").nth(1).textContent()).toBe(
      "tempnumber · 2 missingmin -3 · mean 9.5 · max 21",
    );
    expect(await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.textContent))).toEqual([
      "Oslo-3",
      "<b>Rome</b>null",
    ]);
    expect(await page.locator(".node-detail .k-table").textContent()).toContain("table of 50 rows × 2 columns");
    expect(await page.locator(".node-detail .k-table").textContent()).toContain("48 more rows not shown");
    await page.close();
  });

  it("zooms, pans and fits the graph, and brings the selected node into view", async () => {
    // A wide DAG: 40 independent nodes side by side, shrunk to fit.
    const nodes = Array.from({ length: 40 }, (_, i) => node(`wide${String(i).padStart(2, "0")}`));
    const over = { dagName: "truth", graphVersion: "wide-v1" };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("wide-v1", nodes),
      runRecord("wide-run", "RUNNING", over),
      ...nodes.map((n) => nodeRecord("wide-run", n.name)),
      runRecord("wide-run", "SUCCESS", over),
    ]);
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/runs/wide-run`);
    await page.locator('svg.dag g.node[data-node="wide00"]').waitFor();
    const viewBox = () => page.locator("svg.dag").getAttribute("viewBox");
    const level = () => page.locator(".zoom-level").textContent();
    const fitted = await viewBox();
    const fittedLevel = Number((await level())!.replace("%", ""));
    expect(fittedLevel).toBeLessThan(100);

    await page.click("button.zoom-in");
    expect(Number((await level())!.replace("%", ""))).toBeGreaterThan(fittedLevel);
    expect(await viewBox()).not.toBe(fitted);
    await page.click("button.zoom-fit");
    expect(await viewBox()).toBe(fitted);
    await page.click("button.zoom-out");
    expect(Number((await level())!.replace("%", ""))).toBeLessThan(fittedLevel);
    await page.click("button.zoom-fit");

    // The wheel zooms about the pointer.
    const canvas = page.locator(".graph-canvas");
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction(
      (before) => document.querySelector("svg.dag")?.getAttribute("viewBox") !== before,
      fitted,
    );
    expect(Number((await level())!.replace("%", ""))).toBeGreaterThan(fittedLevel);

    // A drag pans, and selects nothing.
    const before = (await viewBox())!.split(" ").map(Number);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 100, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const after = (await viewBox())!.split(" ").map(Number);
    expect(after[0]).toBeGreaterThan(before[0]!);
    expect(after[2]).toBe(before[2]);
    expect(new URL(page.url()).hash).toBe("");

    // Zoomed in, a node out of view is brought into it when selected.
    for (let i = 0; i < 6; i++) await page.click("button.zoom-in");
    const inView = (name: string) =>
      page.evaluate((n) => {
        const r = document.querySelector(`svg.dag g.node[data-node="${n}"]`)!.getBoundingClientRect();
        const c = document.querySelector(".graph-canvas")!.getBoundingClientRect();
        return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
      }, name);
    const far = (await inView("wide00")) ? "wide39" : "wide00";
    expect(await inView(far)).toBe(false);
    await page.evaluate((n) => {
      location.hash = `node=${n}`;
    }, far);
    await page.locator(`svg.dag g.node.selected[data-node="${far}"]`).waitFor();
    expect(await inView(far)).toBe(true);
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("says a node not started yet in a run in progress is waiting, not 'not run'", async () => {
    const nodes = [node("first"), node("second", { dependencies: ["first"] })];
    const over = { dagName: "truth", graphVersion: "wait-v1" };
    await new FileSink({ dir, fsync: false }).write("truth", [
      template("wait-v1", nodes),
      runRecord("wait-run", "RUNNING", over),
      nodeRecord("wait-run", "first", "RUNNING"),
    ]);
    const page = await newPage();
    await page.goto(`${ui.url}/runs/wait-run`);
    await page.locator('svg.dag g.node[data-node="second"]').waitFor();
    expect(await page.locator('svg.dag g.node[data-node="second"] text.state').textContent()).toBe("waiting");
    await page.locator('svg.dag g.node[data-node="second"]').click();
    expect(await page.locator('.node-detail[data-node="second"] .badge').first().textContent()).toBe("waiting");
    // Once the run ended without it, it was not run.
    await page.locator("#live.on").waitFor();
    await new FileSink({ dir, fsync: false }).write("truth", [
      nodeRecord("wait-run", "first", "FAILURE"),
      runRecord("wait-run", "FAILURE", over),
    ]);
    await page.waitForFunction(
      () => document.querySelector('svg.dag g.node[data-node="second"] text.state')?.textContent === "not run",
    );
    await page.close();
  });
});
