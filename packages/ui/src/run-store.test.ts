import { mkdir, rename, rm, rmdir, appendFile, readFile } from "node:fs/promises";
import { readFileStore, runFile } from "@hamilton-ts/store";
import { describe, expect, it } from "vitest";
import { api } from "../test/api.js";
import { serve, tempDir } from "../test/temp.js";

/** A template and a RUNNING dag run in project 1; the dag run's id. */
async function startRun(url: string): Promise<number> {
  const template = await api(url, "/api/v1/dag_templates?project_id=1", "POST", {
    name: "d",
    dag_hash: "h",
    code_hash: "c",
    nodes: [],
  });
  expect(template.status).toBe(200);
  const run = await api(url, `/api/v1/dag_runs?dag_template_id=${template.body.id}`, "POST", {
    run_start_time: "2026-01-01T00:00:00",
    run_status: "RUNNING",
  });
  expect(run.status).toBe(200);
  return run.body.id;
}

const attribute = (name: string) => ({
  node_name: "a",
  name,
  type: "primitive1",
  schema_version: 1,
  value: { value: name },
  attribute_role: "result_summary",
});

async function attributeNames(url: string, id: number): Promise<string[]> {
  const res = await api(url, `/api/v1/dag_runs/${id}?attr=primitive1`);
  expect(res.status).toBe(200);
  return res.body[0].node_runs.flatMap((n: any) => n.attributes.map((a: any) => a.name)).sort();
}

describe("RunStore", () => {
  it("serves only what is on disk: a failed write leaves no trace in what the server answers", async () => {
    const ui = await serve();
    const id = await startRun(ui.url);
    expect(
      (await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${id}`, "PUT", { attributes: [attribute("one")] })).status,
    ).toBe(200);
    // The run's file cannot be appended to (a directory in its place, as an I/O error would).
    const path = runFile(ui.dir, "1", String(id));
    await rename(path, `${path}.aside`);
    await mkdir(path);
    const failed = await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${id}`, "PUT", {
      attributes: [attribute("two")],
    });
    expect(failed.status).toBe(500);
    await rmdir(path);
    await rename(`${path}.aside`, path);
    // The client's check sees "two" as not stored, so it sends it again.
    expect(await attributeNames(ui.url, id)).toEqual(["one"]);
  });

  it("folds a run like readFileStore: a RUNNING after a final status does not replace it", async () => {
    const dir = await tempDir();
    const ui = await serve({ dir });
    const id = await startRun(ui.url);
    expect((await api(ui.url, `/api/v1/dag_runs/${id}/`, "PUT", { run_status: "SUCCESS" })).status).toBe(200);
    const late = await api(ui.url, `/api/v1/dag_runs/${id}/`, "PUT", { run_status: "RUNNING" });
    expect(late.body.run_status).toBe("SUCCESS");
    const statuses = async (url: string) => [
      (await api(url, `/api/v1/dag_runs/${id}`)).body[0].run_status,
      (await api(url, `/api/runs/${id}`)).body.run.status,
    ];
    expect(await statuses(ui.url)).toEqual(["SUCCESS", "SUCCESS"]);
    // A file that has a RUNNING line after the final one (a retried write) reads the same after a restart.
    const path = runFile(dir, "1", String(id));
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    await appendFile(path, `${JSON.stringify({ ...JSON.parse(lines[0]!), status: "RUNNING" })}\n`);
    await ui.close();
    const again = await serve({ dir });
    expect(await statuses(again.url)).toEqual(["SUCCESS", "SUCCESS"]);
  });

  it("recovers when the store's directory is deleted while it runs, as FileSink does", async () => {
    const ui = await serve();
    const id = await startRun(ui.url);
    await rm(ui.dir, { recursive: true, force: true });
    const update = await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${id}`, "PUT", {
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
    expect(update.status).toBe(200);
    expect((await api(ui.url, `/api/v1/dag_runs/${id}/`, "PUT", { run_status: "SUCCESS" })).status).toBe(200);
    const { runs, templates } = await readFileStore(ui.dir);
    expect(templates).toHaveLength(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.run).toMatchObject({ runId: String(id), status: "SUCCESS" });
    expect(runs[0]!.nodes.map((n) => [n.node, n.status])).toEqual([["a", "SUCCESS"]]);
  });

  it("appends after a torn last line on a fresh line: the torn record costs only itself", async () => {
    const ui = await serve();
    const id = await startRun(ui.url);
    // A crash mid-write left half a record with no newline at the end of the run's file.
    await appendFile(runFile(ui.dir, "1", String(id)), '{"type":"node_run","runId":"torn');
    const sent = await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${id}`, "PUT", {
      attributes: [attribute("after")],
    });
    expect(sent.status).toBe(200);
    expect(await attributeNames(ui.url, id)).toEqual(["after"]);
    const { runs, skippedLines } = await readFileStore(ui.dir);
    expect(runs[0]!.nodes.map((n) => n.node)).toEqual(["a"]);
    expect(skippedLines).toBe(1);
  });
});
