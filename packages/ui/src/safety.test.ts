import { readdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { HamiltonUIClient } from "@hamilton-ts/tracker";
import { readFileStore, runFile } from "@hamilton-ts/store";
import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

async function template(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(
    `${url}/api/v1/dag_templates?project_id=1`,
    json("POST", { name: "d", dag_hash: "h", code_hash: "c", nodes: [] }, headers),
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: number }).id;
}

async function dagRun(url: string, templateId: number): Promise<number> {
  const res = await fetch(
    `${url}/api/v1/dag_runs?dag_template_id=${templateId}`,
    json("POST", { run_start_time: "2026-01-01T00:00:00", tags: {}, inputs: {}, outputs: [], run_status: "RUNNING" }),
  );
  return ((await res.json()) as { id: number }).id;
}

describe("safety", () => {
  it("with an API key, every route needs it (x-api-key or Bearer), and HamiltonUIClient sends it", async () => {
    const ui = await serve({ apiKey: "k-123" });
    const routes: [string, RequestInit | undefined][] = [
      ["/api/runs", undefined],
      ["/runs/x", undefined],
      ["/", undefined],
      ["/api/v1/phone_home", undefined],
      ["/v1/traces", json("POST", { resourceSpans: [] })],
      ["/nowhere", undefined],
    ];
    for (const [path, init] of routes) {
      expect((await fetch(`${ui.url}${path}`, init)).status, path).toBe(401);
      const wrong = { ...init, headers: { ...(init?.headers as Record<string, string>), "x-api-key": "k-124" } };
      expect((await fetch(`${ui.url}${path}`, wrong)).status, path).toBe(401);
    }
    expect((await fetch(`${ui.url}/api/runs`, { headers: { "x-api-key": "k-123" } })).status).toBe(200);
    expect((await fetch(`${ui.url}/api/runs`, { headers: { authorization: "Bearer k-123" } })).status).toBe(200);
    expect((await fetch(`${ui.url}/api/runs`, { headers: { authorization: "Bearer k-12" } })).status).toBe(401);
    const post = await fetch(`${ui.url}/v1/traces`, json("POST", { resourceSpans: [] }, { "x-api-key": "k-123" }));
    expect(post.status).toBe(200);

    const client = new HamiltonUIClient({ baseUrl: ui.url, username: "me@example.com", apiKey: "k-123" });
    await expect(client.verify(1)).resolves.toBeUndefined();
    const wrong = new HamiltonUIClient({ baseUrl: ui.url, username: "me@example.com", apiKey: "nope" });
    await expect(wrong.verify(1)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("answers 413 over the body limit (plain, declared, or unpacked from gzip) and keeps serving", async () => {
    const ui = await serve({ maxBodyBytes: 1000 });
    const big = { name: "d", dag_hash: "h", code_hash: "c", nodes: [], config: { x: "y".repeat(2000) } };
    const res = await fetch(`${ui.url}/api/v1/dag_templates?project_id=1`, json("POST", big));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/limit of 1000 bytes/);
    const bomb = gzipSync(Buffer.from(JSON.stringify({ resourceSpans: [], pad: "z".repeat(5000) })));
    expect(bomb.length).toBeLessThan(1000);
    const gz = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: bomb,
    });
    expect(gz.status).toBe(413);
    expect((await fetch(`${ui.url}/api/runs`)).status).toBe(200);
  });

  it("answers malformed JSON with 400 and a message, and an unknown path with 404", async () => {
    const ui = await serve();
    const bad = await fetch(`${ui.url}/api/v1/dag_templates?project_id=1`, json("POST", "{nope"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/POST \/api\/v1\/dag_templates.*not valid JSON/);
    const notObject = await fetch(`${ui.url}/api/v1/dag_templates?project_id=1`, json("POST", [1]));
    expect(notObject.status).toBe(400);
    expect(((await notObject.json()) as { detail: string }).detail).toMatch(/expected a JSON object, got an array/);
    const nullBody = await fetch(`${ui.url}/api/v1/dag_templates?project_id=1`, json("POST", null));
    expect(nullBody.status).toBe(400);
    expect(((await nullBody.json()) as { detail: string }).detail).toMatch(/expected a JSON object, got null/);
    for (const path of ["/nowhere", "/api/v1/nowhere", "/api/nowhere"]) {
      expect((await fetch(`${ui.url}${path}`)).status, path).toBe(404);
    }
  });

  it("answers deeply nested JSON with 400 naming the problem, not a 500, on every JSON route", async () => {
    const ui = await serve();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
      const deepObject = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
      const templateId = await template(ui.url);
      for (const [path, method, body] of [
        [
          "/api/v1/dag_templates?project_id=1",
          "POST",
          `{"name":"d","dag_hash":"h","code_hash":"c","nodes":[],"config":${deepObject}}`,
        ],
        [
          `/api/v1/dag_runs?dag_template_id=${templateId}`,
          "POST",
          `{"run_start_time":"2026-01-01T00:00:00","inputs":${deep}}`,
        ],
        ["/v1/traces", "POST", `{"resourceSpans":${deep}}`],
        ["/api/login", "POST", `{"key":${"[".repeat(10_000)}${"]".repeat(10_000)}}`], // its body limit is 64 KB
      ] as const) {
        const res = await fetch(`${ui.url}${path}`, json(method, body));
        expect(res.status, path).toBe(400);
        const { error } = (await res.json()) as { error: string };
        if (path !== "/v1/traces") expect(error, path).toMatch(/nested deeper than 512 levels/);
      }
      // 512 levels are read.
      const ok = await fetch(
        `${ui.url}/api/v1/dag_runs?dag_template_id=${templateId}`,
        json("POST", `{"run_start_time":"2026-01-01T00:00:00","inputs":{"x":${"[".repeat(500)}${"]".repeat(500)}}}`),
      );
      expect(ok.status).toBe(200);
      expect(warnings.filter((w) => /hamilton-ts-ui/.test(w))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("refuses an API key with whitespace at either end, or characters a header cannot carry, at start", async () => {
    for (const apiKey of [" k-123", "k-123\n", "\tk-123", "k-\u00e9", "k\u0000"]) {
      const error = await serve({ apiKey }).catch((e: unknown) => e);
      expect(error, JSON.stringify(apiKey)).toMatchObject({ code: "INVALID_OPTION" });
      expect((error as Error).message).toMatch(/API key/);
    }
    // A space inside is fine, and is matched.
    const ui = await serve({ apiKey: "two words" });
    expect((await fetch(`${ui.url}/api/runs`, { headers: { "x-api-key": "two words" } })).status).toBe(200);
  });

  it("refuses ids that would leave the store directory with 400, and writes nothing outside it", async () => {
    const ui = await serve();
    for (const path of [
      "/api/v1/projects/..%2F..%2Fescape",
      "/api/v1/projects/.hidden",
      "/api/runs/..%2F..%2Fetc%2Fpasswd",
      "/runs/..%2Fx",
      "/api/runs?project=..%2Fx",
    ]) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/not allowed/);
    }
    const res = await fetch(
      `${ui.url}/api/v1/dag_templates?project_id=${encodeURIComponent("../../escape")}`,
      json("POST", { name: "d", dag_hash: "h", code_hash: "c", nodes: [] }),
    );
    expect(res.status).toBe(400);
    expect(await readdir(dirname(ui.dir))).not.toContain("escape");
  });

  it("loses nothing from many concurrent reporters, and has every record on disk before answering", async () => {
    // 200 requests at once from one process: more connections than one client address may hold by default.
    const ui = await serve({ maxConnectionsPerClient: 1000 });
    const templateId = await template(ui.url);
    const RUNS = 20;
    const BULKS = 10;
    const NODES = 20;
    const runIds = await Promise.all(Array.from({ length: RUNS }, () => dagRun(ui.url, templateId)));
    await Promise.all(
      runIds.flatMap((dagRunId) =>
        Array.from({ length: BULKS }, async (_, b) => {
          const names = Array.from({ length: NODES }, (_, n) => `n${b}_${n}`);
          const res = await fetch(
            `${ui.url}/api/v1/dag_runs_bulk?dag_run_id=${dagRunId}`,
            json("PUT", {
              task_updates: names.map((name) => ({
                node_template_name: name,
                node_name: name,
                status: "SUCCESS",
                start_time: "2026-01-01T00:00:01+00:00",
                end_time: "2026-01-01T00:00:02+00:00",
              })),
              attributes: [],
            }),
          );
          expect(res.status).toBe(200);
          // Answered 2xx: the records are in the run's file already.
          const text = await readFile(runFile(ui.dir, "1", String(dagRunId)), "utf8");
          for (const name of names) expect(text).toContain(`"node":"${name}"`);
        }),
      ),
    );
    const { runs, skippedLines } = await readFileStore(ui.dir);
    expect(skippedLines).toBe(0);
    expect(runs).toHaveLength(RUNS);
    for (const run of runs) expect(run.nodes).toHaveLength(BULKS * NODES);
  });
});
