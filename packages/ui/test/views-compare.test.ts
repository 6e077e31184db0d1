/// <reference lib="dom" />
/**
 * Across runs in Chromium: the compare page over three runs (what changed, the parameters and node
 * runs with their differences marked, a node's source diff), the older two-run address, bad
 * addresses; and the versions page (an added node, a changed node's source diff). One server and
 * one browser for the file; the runs are written with `FileSink`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DagTemplateRecord, NodeTemplate } from "@hamilton-ts/store";
import { FileSink } from "@hamilton-ts/tracker";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../src/server.js";
import { launchChromium, watchTrouble } from "./browser.js";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

let dir: string;
let ui: UiServer;
let browser: Browser;

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

function template(graphVersion: string, nodes: NodeTemplate[]): DagTemplateRecord {
  return { ...templateRecord(graphVersion, "cmp"), nodes };
}

const num = (value: number) => ({ kind: "primitive", type: "number", value }) as const;
const T0 = 1_700_000_000_000;
const C_V1 = "const c = ({ a }) => {\n  const y = a + 1;\n  return y;\n};";
const C_V2 = "const c = ({ a }) => {\n  const y = a * 2;\n  return y;\n};";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-compare-"));
  const v1 = template("cmp-v1", [node("a"), node("c", { dependencies: ["a"], source: C_V1 }), node("m")]);
  const v2 = template("cmp-v2", [
    node("a"),
    node("c", { dependencies: ["a"], source: C_V2, version: "c-v2" }),
    node("d", { source: "const d = ({ c }) => c;", dependencies: ["c"] }),
    node("m"),
  ]);
  const run = (id: string, version: string, x: number, c: number, start: number) => {
    const over = { dagName: "cmp", graphVersion: version, inputs: { x: num(x) }, startTime: start };
    const at = (offset: number) => ({ startTime: start + offset });
    return [
      runRecord(id, "RUNNING", over),
      nodeRecord(id, "a", "SUCCESS", { ...at(10), result: num(x) }),
      nodeRecord(id, "c", "SUCCESS", { ...at(20), result: num(c) }),
      ...[10, 2, 1].map((i) => nodeRecord(id, "m", "SUCCESS", { ...at(30), taskId: String(i), result: num(i) })),
      runRecord(id, "SUCCESS", over),
    ];
  };
  await new FileSink({ dir, fsync: false }).write("views", [
    v1,
    v2,
    ...run("run-a", "cmp-v1", 1, 2, T0),
    ...run("run-b", "cmp-v1", 2, 2, T0 + 1000),
    ...run("run-c", "cmp-v2", 1, 3, T0 + 2000),
  ]);
  ui = await startUi({ dir, port: 0 });
  await ui.caughtUp();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await rm(dir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(30_000);
  return page;
}

describe("across runs", { timeout: 90_000 }, () => {
  it("compares three runs: what changed, the input and the code change and the changed result marked, the source diff", async () => {
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/compare?runs=run-a,run-b,run-c`);
    await page.locator("#what-changed li").first().waitFor();
    expect(await page.locator("h1").textContent()).toBe("Compare 3 runs");
    expect(await page.locator('#what-changed li[data-kind="parameters"]').textContent()).toBe(
      "parameters: graph version (cmp-v1 → cmp-v1 → cmp-v2), input x (1 → 2 → 1)",
    );
    expect(await page.locator('#what-changed li[data-kind="code changed"]').textContent()).toBe("code changed: c");
    expect(await page.locator('#what-changed li[data-kind="results changed"]').textContent()).toBe(
      "results changed: a, c (2)",
    );
    // The input: its row differs, and the cell of run B (the one unlike A) is marked.
    const x = page.locator('#compare-params tr[data-param="input x"]');
    expect(await x.getAttribute("class")).toBe("differs");
    expect(
      await x.locator("td").evaluateAll((tds) => tds.map((td) => `${td.textContent}${td.className ? "*" : ""}`)),
    ).toEqual(["1", "2*", "1"]);
    expect(await page.locator('#compare-params tr[data-param="input x"]').count()).toBe(1);
    // Node rows: fan-out items in numeric order; c's code and result changed, its result marked in C.
    const keys = await page
      .locator(".compare-list .cmp-row")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-node")));
    expect(keys).toEqual(["a", "c", "m [1]", "m [2]", "m [10]"]);
    const c = page.locator('.compare-list .cmp-row[data-node="c"]');
    expect(await c.getAttribute("data-differs")).toBe("result,code");
    expect(await c.locator(".cmp-cell .cmp-result.diff").evaluateAll((els) => els.map((e) => e.textContent))).toEqual([
      "3",
    ]);
    expect(await c.locator('.cmp-cell[data-run="C"] .cmp-result').getAttribute("class")).toBe("cmp-result diff");
    expect(await page.locator('.compare-list .cmp-row[data-node="m [10]"]').getAttribute("data-differs")).toBe("");
    // "code changed" opens the source diff of c, as text.
    const details = page.locator('#code-changes details[data-node="c"]');
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await c.locator("button.code-changed").click();
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await details.locator(".code-pair").getAttribute("data-from")).toBe("A");
    expect(await details.locator(".code-pair").getAttribute("data-to")).toBe("C");
    expect(await details.locator(".diff-del").allTextContents()).toEqual(["-   const y = a + 1;"]);
    expect(await details.locator(".diff-add").allTextContents()).toEqual(["+   const y = a * 2;"]);
    expect(await details.locator(".diff-same").count()).toBe(3);
    expect(await page.locator("#versions-link").getAttribute("href")).toBe(
      "/versions?project=views&dag=cmp&a=cmp-v1&b=cmp-v2",
    );
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });

  it("keeps the two-run address, and says what is wrong with one run, eleven, or an unknown one", async () => {
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/compare?a=run-a&b=run-b`);
    await page.locator("#what-changed").waitFor();
    expect(await page.locator("h1").textContent()).toBe("Compare 2 runs");
    expect(await page.locator('#what-changed li[data-kind="code changed"]').textContent()).toBe(
      "code changed: no node",
    );
    await page.goto(`${ui.url}/compare?runs=run-a`);
    expect(await page.locator("#compare-problem").textContent()).toBe(
      'Cannot compare: only one run id ("run-a") is given; compare takes 2 to 10 runs.',
    );
    await page.goto(`${ui.url}/compare?runs=${Array.from({ length: 11 }, (_, i) => `r${i}`).join(",")}`);
    expect(await page.locator("#compare-problem").textContent()).toBe(
      "Cannot compare: 11 run ids are given; compare takes at most 10 runs: leave 1 out.",
    );
    await page.goto(`${ui.url}/compare?runs=run-a,nope`);
    expect(await page.locator("#compare-problem").textContent()).toBe('Cannot compare: no run "nope" in the store.');
    expect(trouble.errors).toEqual([]);
    await page.close();
  });

  it("lists a DAG's versions and shows the added node and the changed node's source diff", async () => {
    const page = await newPage();
    const trouble = watchTrouble(page);
    await page.goto(`${ui.url}/versions?project=views&dag=cmp`);
    await page.locator("#versions-diff").waitFor();
    const rows = await page
      .locator("#versions tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(2).map((td) => td.textContent)));
    expect(rows.map((r) => [r[0], r[1], r[4], r[5], r[6]])).toEqual([
      ["cmp-v2", "views", "1", "0", "4"],
      ["cmp-v1", "views", "2", "0", "3"],
    ]);
    expect(await page.locator("#versions-diff-counts").textContent()).toBe(
      "1 added · 0 removed · 1 changed · 2 unchanged",
    );
    expect(await page.locator('#nodes-added li[data-node="d"] b').textContent()).toBe("d");
    expect(await page.locator('#nodes-added li[data-node="d"] .diff-add').allTextContents()).toEqual([
      "+ const d = ({ c }) => c;",
    ]);
    const changed = page.locator('#nodes-changed [data-node="c"]');
    expect(await changed.textContent()).toContain("c: code");
    expect(await changed.locator(".diff-del").allTextContents()).toEqual(["-   const y = a + 1;"]);
    expect(await changed.locator(".diff-add").allTextContents()).toEqual(["+   const y = a * 2;"]);
    // Picking the other way round: d is removed.
    await page.locator('#versions tr[data-version="cmp-v2"] input[name="a"]').check();
    await page.locator('#versions tr[data-version="cmp-v1"] input[name="b"]').check();
    await page.locator('#nodes-removed li[data-node="d"]').waitFor();
    expect(new URL(page.url()).search).toBe("?dag=cmp&project=views&a=cmp-v2&b=cmp-v1");
    expect(trouble).toEqual({ dialogs: [], errors: [], console: [] });
    await page.close();
  });
});
