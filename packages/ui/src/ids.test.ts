import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runFile, templateFile } from "@hamilton-ts/store";
import { describe, expect, it } from "vitest";
import { api } from "../test/api.js";
import { serve, tempDir } from "../test/temp.js";
import { IDS_FILE, IdRegistry } from "./ids.js";

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

/** Puts an (empty) file where the store keeps it, as a server that handed out that id left it. */
async function storeFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, "");
}

describe("IdRegistry: ids never repeat", () => {
  it("starts above the ids the store's files name when the registry was deleted", async () => {
    const dir = await tempDir();
    await storeFile(runFile(dir, "1", "7"));
    await storeFile(runFile(dir, "2", "3"));
    await storeFile(runFile(dir, "2", "not-a-protocol-run"));
    await storeFile(templateFile(dir, "1", "hamilton-ui-4"));
    await storeFile(templateFile(dir, "1", "some-graph-version"));
    const ids = await IdRegistry.open(dir);
    expect((await ids.addRun(4, "1")).id).toBe(8);
    expect((await ids.addTemplate({ projectId: "1", name: "d", dagHash: "h", codeHash: "c" })).id).toBe(5);
  });

  it("does not hand out the id of a torn last line again, and writes the next id on a line of its own", async () => {
    const dir = await tempDir();
    const first = await IdRegistry.open(dir);
    const template = await first.addTemplate({ projectId: "1", name: "d", dagHash: "h", codeHash: "c" });
    await first.addRun(template.id, "1");
    // The server died writing the line of run 2, after its run file was made.
    await appendFile(join(dir, IDS_FILE), '{"kind":"run","id":2,"templ');
    await storeFile(runFile(dir, "1", "2"));

    const again = await IdRegistry.open(dir);
    expect(again.skippedLines).toBe(1);
    const next = await again.addRun(template.id, "1");
    expect(next.id).toBe(3);
    const reread = await IdRegistry.open(dir);
    expect([...reread.runs.keys()]).toEqual([1, 3]);
    expect(reread.skippedLines).toBe(1);
  });

  it("two registries on one store (two servers) never hand out the same id", async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([IdRegistry.open(dir), IdRegistry.open(dir)]);
    const template = await a.addTemplate({ projectId: "1", name: "d", dagHash: "h", codeHash: "c" });
    const [fromA, fromB] = await Promise.all([
      Promise.all(Array.from({ length: 30 }, () => a.addRun(template.id, "1"))),
      Promise.all(Array.from({ length: 30 }, () => b.addRun(template.id, "1"))),
    ]);
    const ids = [...fromA, ...fromB].map((e) => e.id);
    expect(new Set(ids).size).toBe(60);
    // Both ids for templates too, and what a restart reads agrees with what each handed out.
    const other = await b.addTemplate({ projectId: "1", name: "e", dagHash: "h2", codeHash: "c" });
    expect(other.id).not.toBe(template.id);
    const reread = await IdRegistry.open(dir);
    for (const entry of [...fromA, ...fromB]) expect(reread.runs.get(entry.id)?.claim).toBe(entry.claim);
    expect(reread.runs.size).toBe(60);
  });
});
