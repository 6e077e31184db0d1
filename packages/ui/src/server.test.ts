import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { FileSink } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord, templateRecord } from "../test/records.js";
import { serve, tempDir } from "../test/temp.js";
import { UiError } from "./errors.js";
import { startUi } from "./server.js";

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

describe("startUi", () => {
  it("listens on a free port of 127.0.0.1 and closes", async () => {
    const dir = await tempDir();
    const ui = await startUi({ dir, port: 0 });
    expect(ui.url).toBe(`http://127.0.0.1:${ui.port}`);
    expect(ui.port).toBeGreaterThan(0);
    expect((await fetch(`${ui.url}/api/runs`)).status).toBe(200);
    await ui.close();
    await expect(fetch(`${ui.url}/api/runs`)).rejects.toThrow();
  });

  it("refuses a non-loopback host without an API key, with a code", async () => {
    const dir = await tempDir();
    const error = await startUi({ dir, port: 0, host: "0.0.0.0" }).catch((e: unknown) => e);
    expect(UiError.isInstance(error)).toBe(true);
    expect((error as UiError).code).toBe("API_KEY_REQUIRED");
    expect((error as UiError).message).toMatch(/apiKey.*--api-key.*HAMILTON_TS_UI_API_KEY/);
  });

  it("rejects bad options and a taken port with clear errors", async () => {
    await expect(startUi({ port: -1 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(startUi({ port: 0, maxBodyBytes: 0 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(startUi({ port: 0, prices: { "gpt-x": { input: -1, output: 1 } } })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/option "prices".*"gpt-x" input -1: it must be a number ≥ 0/),
    });
    const ui = await serve();
    await expect(startUi({ dir: await tempDir(), port: ui.port })).rejects.toMatchObject({ code: "LISTEN_FAILED" });
  });

  it("refuses a second server on the same store, naming the first one's pid and host, and serves after it closed", async () => {
    const dir = await tempDir();
    const first = await startUi({ dir, port: 0 });
    const error = await startUi({ dir, port: 0 }).catch((e: unknown) => e);
    expect((error as UiError).code).toBe("STORE_LOCKED");
    expect((error as UiError).message).toContain(`pid ${process.pid} on host ${hostname()}`);
    expect((error as UiError).message).toContain(first.url);
    await first.close();
    const second = await serve({ dir });
    expect((await fetch(`${second.url}/api/runs`)).status).toBe(200);
  });
});

describe("the read API over a FileSink store", () => {
  async function store() {
    const dir = await tempDir();
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("proj", [
      templateRecord(),
      runRecord("r1", "RUNNING", { startTime: 1000 }),
      nodeRecord("r1", "a", "SUCCESS", { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" }),
      runRecord("r1", "SUCCESS", { startTime: 1000, endTime: 2000 }),
    ]);
    await sink.write("other", [
      runRecord("r2", "RUNNING", { startTime: 3000, dagName: "second" }),
      nodeRecord("r2", "a", "FAILURE", {
        error: { type: "Error", message: "boom", stack: "Error: boom", cause: undefined },
      }),
      runRecord("r2", "FAILURE", { startTime: 3000, endTime: 4000, dagName: "second" }),
    ]);
    return { dir, sink };
  }

  it("lists runs newest first with the issue's fields, filtered", async () => {
    const { dir } = await store();
    const ui = await serve({ dir });
    const { status, body } = await getJson(`${ui.url}/api/runs`);
    expect(status).toBe(200);
    expect(body.runs.map((r: any) => r.runId)).toEqual(["r2", "r1"]);
    expect(body.runs[1]).toEqual({
      runId: "r1",
      projectId: "proj",
      dagName: "dag",
      dagVersion: "v1",
      status: "SUCCESS",
      startTime: 1000,
      endTime: 2000,
      nodeCount: 1,
      failedCount: 0,
      cacheHits: 0,
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(body.runs[0]).toMatchObject({ failedCount: 1, status: "FAILURE" });
    expect((await getJson(`${ui.url}/api/runs?project=proj`)).body.runs.map((r: any) => r.runId)).toEqual(["r1"]);
    expect((await getJson(`${ui.url}/api/runs?dag=second`)).body.runs.map((r: any) => r.runId)).toEqual(["r2"]);
    expect((await getJson(`${ui.url}/api/runs?status=SUCCESS`)).body.runs.map((r: any) => r.runId)).toEqual(["r1"]);
    expect((await getJson(`${ui.url}/api/runs?limit=1`)).body.runs).toHaveLength(1);
    const bad = await getJson(`${ui.url}/api/runs?limit=10001`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/limit.*1 to 10,?000/);
  });

  it("gives a run with its template and node runs, and sees runs written while it runs", async () => {
    const { dir, sink } = await store();
    const ui = await serve({ dir });
    const { status, body } = await getJson(`${ui.url}/api/runs/r1`);
    expect(status).toBe(200);
    expect(body.run).toMatchObject({ runId: "r1", projectId: "proj", status: "SUCCESS", finished: true });
    expect(body.template.nodes.map((n: any) => n.name)).toEqual(["a"]);
    expect(body.nodeRuns).toEqual([
      expect.objectContaining({ node: "a", status: "SUCCESS", spanId: "b7ad6b7169203331", durationMs: 100 }),
    ]);
    expect((await fetch(`${ui.url}/api/runs/nope`)).status).toBe(404);

    await sink.write("proj", [runRecord("r3", "RUNNING", { startTime: 5000 }), nodeRecord("r3", "a", "RUNNING")]);
    expect((await getJson(`${ui.url}/api/runs`)).body.runs[0]).toMatchObject({
      runId: "r3",
      status: "RUNNING",
      nodeCount: 1,
    });
  });

  it("answers the run pages with the built page: no values in the HTML, scripts from files, a CSP without inline scripts", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [
      runRecord("x1", "SUCCESS"),
      nodeRecord("x1", "a", "SUCCESS", {
        result: { kind: "string", length: 30, preview: "<img src=x onerror=alert(1)>", truncated: false },
      }),
    ]);
    const ui = await serve({ dir });
    for (const path of ["/", "/compare?a=x1&b=x1", "/runs/x1", "/dashboard/project/p/runs/x1"]) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
      expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-inline/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const text = await res.text();
      // The page reads the run from the read API: nothing of the run is in the HTML.
      expect(text).not.toContain("onerror");
      // Every script is a file (no inline script), and there is one: the page's module.
      const scripts = [...text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts).toHaveLength(1);
      expect(scripts[0]).toMatch(/src="\/assets\/[^"]+\.js"/);
      expect(text).not.toMatch(/<style|\sstyle=/);
    }
    const missing = await fetch(`${ui.url}/runs/missing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/text\/html/);
    expect((await fetch(`${ui.url}/runs/..%2Fx`)).status).toBe(400);
  });

  it("serves the page's assets with their content types, cached for good; unknown or escaping names are 404s", async () => {
    const ui = await serve();
    const html = await (await fetch(`${ui.url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(html)![1]!;
    const js = await fetch(`${ui.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(`${ui.url}${style}`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    for (const path of [
      "/assets/nope.js",
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2E%2E/index.html",
      "/assets/.hidden.js",
      "/assets/",
      "/index.html",
      "/elsewhere",
    ]) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("serves everything readable from a store with torn and foreign files, and says what it skipped", async () => {
    const { dir } = await store();
    await appendFile(join(dir, "proj", "runs", "r1.jsonl"), '{"type":"node_run","runId":"r1","no');
    await mkdir(join(dir, "proj", "runs", "x.jsonl"));
    await writeFile(join(dir, "proj", "runs", "notes.txt"), "hello");
    await writeFile(join(dir, "traces.jsonl"), "not json\n");
    const ui = await serve({ dir });
    expect((await getJson(`${ui.url}/api/runs`)).body.runs.map((r: any) => r.runId)).toEqual(["r2", "r1"]);
    const { status, body } = await getJson(`${ui.url}/api/store`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ dir, runs: 2, skippedLines: 1, skippedTraceLines: 1 });
    expect(body.skippedFiles.map((f: any) => [f.path.slice(dir.length), f.reason])).toEqual(
      expect.arrayContaining([
        [join("/proj", "runs", "x.jsonl"), "a folder, not a file"],
        [join("/proj", "runs", "notes.txt"), expect.stringMatching(/not a store file name/)],
      ]),
    );
  });
});
