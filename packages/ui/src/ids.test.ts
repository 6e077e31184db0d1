import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serve, tempDir } from "../test/temp.js";
import { IDS_FILE } from "./ids.js";

async function api(url: string, path: string, method = "GET", body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
}

const TEMPLATE = { name: "d", dag_hash: "h", code_hash: "c", nodes: [] };
const EXISTS = "/api/v1/dag_templates/exists/?project_id=1&dag_hash=h&code_hash=c&dag_name=d";
const startRun = (url: string, templateId: number) =>
  api(url, `/api/v1/dag_runs?dag_template_id=${templateId}`, "POST", {
    run_start_time: "2026-01-01T00:00:00",
    run_status: "RUNNING",
  });

describe("IdRegistry", () => {
  it("writes every id again when the store's directory was deleted while the server runs, so they hold after a restart", async () => {
    const dir = await tempDir();
    const ui = await serve({ dir });
    const template = await api(ui.url, "/api/v1/dag_templates?project_id=1", "POST", TEMPLATE);
    expect(template.status).toBe(200);
    const first = await startRun(ui.url, template.body.id);
    expect(first.status).toBe(200);

    await rm(dir, { recursive: true, force: true });
    // The next write: a new run of the same template (the client cached its id).
    const second = await startRun(ui.url, template.body.id);
    expect(second.status).toBe(200);
    const lines = (await readFile(join(dir, IDS_FILE), "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l)).map((e: { kind: string; id: number }) => `${e.kind} ${e.id}`)).toEqual([
      `template ${template.body.id}`,
      `run ${first.body.id}`,
      `run ${second.body.id}`,
    ]);
    await ui.close();

    const again = await serve({ dir });
    expect((await api(again.url, EXISTS)).body).toMatchObject({ id: template.body.id });
    const third = await startRun(again.url, template.body.id);
    expect(third.status).toBe(200);
    expect(third.body.id).toBe(second.body.id + 1);
  });

  it("writes them again on a write to a run too (a bulk update), not only when a new id is handed out", async () => {
    const dir = await tempDir();
    const ui = await serve({ dir });
    const template = await api(ui.url, "/api/v1/dag_templates?project_id=1", "POST", TEMPLATE);
    const run = await startRun(ui.url, template.body.id);
    await rm(dir, { recursive: true, force: true });
    const bulk = await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${run.body.id}`, "PUT", {
      task_updates: [
        {
          node_template_name: "a",
          node_name: "a",
          status: "SUCCESS",
          start_time: "2026-01-01T00:00:01",
          end_time: "2026-01-01T00:00:02",
        },
      ],
    });
    expect(bulk.status).toBe(200);
    await ui.close();
    const again = await serve({ dir });
    expect((await api(again.url, `/api/v1/dag_runs/${run.body.id}`)).status).toBe(200);
    expect((await api(again.url, EXISTS)).body).toMatchObject({ id: template.body.id });
  });
});
