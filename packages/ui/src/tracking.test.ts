import { Builder, collect, NodeExecutionError, parallelize } from "@hamilton-ts/core";
import { HamiltonTracker, HamiltonUIClient } from "@hamilton-ts/tracker";
import { readFileStore } from "@hamilton-ts/store";
import { describe, expect, it } from "vitest";
import { serve, tempDir } from "../test/temp.js";

const USER = "me@example.com";

function setup(url: string, projectId: number | string = 1) {
  const client = new HamiltonUIClient({ baseUrl: url, username: USER, apiKey: "k" });
  const errors: unknown[] = [];
  const tracker = new HamiltonTracker({
    projectId,
    username: USER,
    dagName: "qa",
    sink: client,
    onError: (error) => void errors.push(error),
  });
  return { client, tracker, errors };
}

async function api(url: string, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
}

const put = (body: unknown): RequestInit => ({
  method: "PUT",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const post = (body: unknown): RequestInit => ({ ...put(body), method: "POST" });

describe("the Hamilton UI protocol, with HamiltonUIClient + HamiltonTracker", () => {
  it("stores a run with a failing node in the store's format; the read API and run link show it", async () => {
    const ui = await serve();
    const { client, tracker, errors } = setup(ui.url, 7);
    const dr = new Builder()
      .withModules({
        question: ({ topic }: { topic: string }) => `What is ${topic}?`,
        nothing: () => null,
        answer: ({ question }: { question: string }): string => {
          throw new Error(`no answer to ${question}`);
        },
      })
      .withAdapters(tracker)
      .build();
    const error = await dr.execute(["answer", "nothing"], { inputs: { topic: "TS" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    const report = await tracker.flush();
    expect(report.complete).toBe(true);
    expect(errors).toEqual([]);

    const { runs, templates } = await readFileStore(ui.dir);
    expect(templates).toHaveLength(1);
    expect(templates[0]!.projectId).toBe("7");
    expect(templates[0]!.template.nodes.map((n) => n.name)).toEqual(["answer", "nothing", "question", "topic"]);
    expect(templates[0]!.template.nodes.find((n) => n.name === "question")!.source).toContain("What is");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.run).toMatchObject({ status: "FAILURE", dagName: "qa", username: USER });
    expect(run.finished).toBe(true);
    const byNode = new Map(run.nodes.map((n) => [n.node, n]));
    expect(byNode.get("question")).toMatchObject({
      status: "SUCCESS",
      result: { kind: "string", preview: "What is TS?" },
    });
    expect(byNode.get("answer")).toMatchObject({
      status: "FAILURE",
      error: { type: "Error", message: "no answer to What is TS?" },
    });
    expect(byNode.get("answer")!.error!.stack).toContain("no answer to What is TS?");

    expect(byNode.get("nothing")).toMatchObject({ status: "SUCCESS" });
    const dagRunId = run.runId;
    const runUrl = client.runUrl(7, run.run.tags.hamilton_ts_run_id!);
    expect(runUrl).toBe(`${ui.url}/dashboard/project/7/runs/${dagRunId}`);
    const page = await fetch(runUrl!);
    expect(page.status).toBe(200);
    // The page (static HTML) shows the run from the read API, checked below.
    expect(page.headers.get("content-type")).toMatch(/text\/html/);

    const detail = await api(ui.url, `/api/runs/${dagRunId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.run).toMatchObject({ runId: dagRunId, projectId: "7", status: "FAILURE" });
    expect(detail.body.template.dagName).toBe("qa");
    expect(detail.body.nodeRuns.map((n: any) => `${n.node}:${n.status}`).sort()).toEqual([
      "answer:FAILURE",
      "nothing:SUCCESS",
      "question:SUCCESS",
    ]);
    const list = await api(ui.url, "/api/runs?project=7");
    expect(list.body.runs[0]).toMatchObject({ runId: dagRunId, failedCount: 1, status: "FAILURE" });
    await tracker.shutdown();
  });

  it("records each task of a fan-out, and null results", async () => {
    const ui = await serve();
    const { tracker, errors } = setup(ui.url);
    const dr = new Builder()
      .withModules({
        item: parallelize(({ items }: { items: number[] }) => items),
        doubled: ({ item }: { item: number }) => item * 2,
        all: collect(({ doubled }: { doubled: number[] }) => doubled),
        none: () => null,
      })
      .withAdapters(tracker)
      .build();
    expect(await dr.execute(["all", "none"], { inputs: { items: [1, 2, 3] } })).toEqual({ all: [2, 4, 6], none: null });
    await tracker.flush();
    expect(errors).toEqual([]);
    const { runs } = await readFileStore(ui.dir);
    const nodes = runs[0]!.nodes;
    const doubled = nodes.filter((n) => n.node === "doubled");
    expect(doubled).toHaveLength(3);
    expect(new Set(doubled.map((n) => n.taskId)).size).toBe(3);
    expect(doubled.every((n) => typeof n.taskId === "string" && n.status === "SUCCESS")).toBe(true);
    expect(nodes.find((n) => n.node === "all")!.result).toMatchObject({
      kind: "numeric_array",
      count: 3,
      min: 2,
      max: 6,
    });
    expect(nodes.find((n) => n.node === "none")).toMatchObject({ status: "SUCCESS" });
    await tracker.shutdown();
  });

  it("keeps template and run ids across restarts; a new server answers exists and continues the numbering", async () => {
    const dir = await tempDir();
    let ui = await serve({ dir });
    const first = setup(ui.url);
    const dr = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(first.tracker)
      .build();
    await dr.execute(["a"]);
    await first.tracker.shutdown();
    const exists = await api(ui.url, "/api/v1/dag_templates/exists/?project_id=1&dag_hash=x&code_hash=y&dag_name=qa");
    expect(exists.body).toBeNull();
    const latest = (await api(ui.url, "/api/v1/dag_runs/latest/?project_id=1")).body;
    expect(latest).toHaveLength(1);
    await ui.close();

    ui = await serve({ dir });
    const again = await api(ui.url, `/api/v1/dag_runs/latest/?dag_template_id=${latest[0].dag_template_id}`);
    expect(again.body.map((r: any) => r.id)).toEqual([latest[0].id]);
    const second = setup(ui.url);
    const dr2 = new Builder()
      .withModules({ a: () => 1 })
      .withAdapters(second.tracker)
      .build();
    await dr2.execute(["a"]);
    await second.tracker.shutdown();
    expect(second.errors).toEqual([]);
    const after = (await api(ui.url, "/api/v1/dag_runs/latest/?project_id=1")).body;
    // The same template is found again (no second one), and the new run gets the next id.
    expect(after.map((r: any) => r.dag_template_id)).toEqual([latest[0].dag_template_id, latest[0].dag_template_id]);
    expect(after[0].id).toBe(latest[0].id + 1);
    const { templates, runs } = await readFileStore(dir);
    expect(templates).toHaveLength(1);
    expect(runs).toHaveLength(2);
  });
});

describe("the Hamilton UI protocol, as the Python SDK speaks it", () => {
  async function pythonRun(url: string) {
    expect((await api(url, "/api/v1/phone_home")).body).toMatchObject({ success: true });
    expect((await api(url, "/api/v1/projects/3")).body).toMatchObject({ id: 3 });
    const q = "dag_hash=H&project_id=3&dag_hash=H&code_hash=C&dag_name=py";
    expect((await api(url, `/api/v1/dag_templates/exists/?${q}`)).body).toBeNull();
    const template = await api(
      url,
      "/api/v1/dag_templates?project_id=3",
      post({
        name: "py",
        template_type: "HAMILTON",
        config: {},
        dag_hash: "H",
        tags: {},
        code_hash: "C",
        code_version_info_type: "git",
        code_version_info: { git_hash: "C", git_repo: "r", git_branch: "b" },
        code_version_info_schema: 1,
        nodes: [
          { name: "x", classifications: ["input"], dependencies: [], tags: {}, code_artifact_pointers: ["m.y"] },
          {
            name: "y",
            classifications: ["transform"],
            dependencies: ["x"],
            tags: { module: "m" },
            code_artifact_pointers: ["m.y"],
            documentation: "Doubles.",
          },
        ],
        code_artifacts: [{ name: "m.y", type: "p_function", path: "m.py", start: 1, end: 3, url: "" }],
        code_log: { files: [{ path: "m.py", contents: "import os\ndef y(x: int) -> int:\n    return x * 2\n" }] },
      }),
    );
    expect(template.status).toBe(200);
    expect((await api(url, `/api/v1/dag_templates/exists/?${q}`)).body).toMatchObject({ id: template.body.id });
    const run = await api(
      url,
      `/api/v1/dag_runs?dag_template_id=${template.body.id}`,
      post({
        run_start_time: "2026-11-23T22:47:39.041190",
        tags: {},
        inputs: { x: 2 },
        outputs: ["y"],
        run_status: "RUNNING",
      }),
    );
    expect(run.body).toMatchObject({
      id: expect.any(Number),
      run_status: "RUNNING",
      dag_template_id: template.body.id,
    });
    return { templateId: template.body.id as number, dagRunId: run.body.id as number };
  }

  it("maps Python's payloads (naive times, late node updates, describe summaries) to the tracker's records", async () => {
    const ui = await serve();
    const { dagRunId } = await pythonRun(ui.url);
    // Python ends the run before its queued node updates arrive.
    expect(
      (
        await api(
          ui.url,
          `/api/v1/dag_runs/${dagRunId}/`,
          put({ run_status: "SUCCESS", run_end_time: "2026-11-23T22:47:40.041190" }),
        )
      ).status,
    ).toBe(200);
    const bulk = {
      task_updates: [
        {
          node_template_name: "y",
          node_name: "y",
          realized_dependencies: ["x"],
          status: "SUCCESS",
          start_time: "2026-11-23T22:47:39.100000+00:00",
          end_time: "2026-11-23T22:47:39.350000+00:00",
        },
      ],
      attributes: [
        null,
        {
          node_name: "y",
          name: "result_summary",
          type: "dagworks_describe",
          schema_version: 3,
          attribute_role: "result_summary",
          value: {
            y: {
              name: "y",
              base_data_type: "numeric",
              data_type: "float64",
              // pandas_col_stats: count is the column's length, the missing value included
              count: 4,
              missing: 1,
              zeros: 0,
              min: 1,
              max: 3,
              mean: 2,
              std: 1,
              quantiles: { "0.5": 2 },
              histogram: { "(0.998, 1.2]": 1, "(2.8, 3.0]": 2 },
            },
          },
        },
      ],
    };
    expect((await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${dagRunId}`, put(bulk))).status).toBe(200);
    const { runs, templates } = await readFileStore(ui.dir);
    expect(templates[0]!.template.nodes.find((n) => n.name === "y")).toMatchObject({
      source: "def y(x: int) -> int:\n    return x * 2",
      documentation: "Doubles.",
      functionName: "y",
    });
    expect(runs[0]!.run).toMatchObject({
      runId: String(dagRunId),
      status: "SUCCESS",
      startTime: Date.parse("2026-11-23T22:47:39.041Z"),
      durationMs: 1000,
    });
    expect(runs[0]!.nodes[0]).toMatchObject({
      node: "y",
      status: "SUCCESS",
      durationMs: 250,
      result: {
        kind: "numeric_array",
        length: 4,
        count: 3,
        missing: 1,
        min: 1,
        max: 3,
        histogram: [
          { lo: 0.998, hi: 1.2, count: 1 },
          { lo: 2.8, hi: 3, count: 2 },
        ],
      },
    });
  });

  it("takes NaN and Infinity as Python's json.dumps writes them (the async SDK), as null", async () => {
    const ui = await serve();
    const { dagRunId } = await pythonRun(ui.url);
    const raw = (body: string): RequestInit => ({
      method: "PUT",
      headers: { "content-type": "application/json" },
      body,
    });
    const bulk = `{"attributes":[{"node_name":"y","name":"result_summary","type":"primitive","schema_version":1,"value":{"type":"<class 'float'>","value":NaN},"attribute_role":"result_summary"}],"task_updates":[{"node_template_name":"y","node_name":"y","realized_dependencies":["x"],"status":"SUCCESS","start_time":"2026-11-23T22:47:39.100000+00:00","end_time":"2026-11-23T22:47:39.350000+00:00"}]}`;
    expect((await api(ui.url, `/api/v1/dag_runs_bulk?dag_run_id=${dagRunId}`, raw(bulk))).status).toBe(200);
    const end = '{"run_status": "SUCCESS", "run_end_time": "2026-11-23T22:47:40.041190", "outputs": [-Infinity]}';
    expect((await api(ui.url, `/api/v1/dag_runs/${dagRunId}/`, raw(end))).status).toBe(200);
    const { runs } = await readFileStore(ui.dir);
    expect(runs[0]!.run.status).toBe("SUCCESS");
    expect(runs[0]!.nodes[0]).toMatchObject({
      node: "y",
      status: "SUCCESS",
      result: { kind: "primitive", value: null },
    });
  });

  it("replaces a re-sent task update or attribute: no failure, no duplicate; a late RUNNING keeps the final status", async () => {
    const ui = await serve();
    const { dagRunId } = await pythonRun(ui.url);
    const task = (status: string) => ({
      node_template_name: "y",
      node_name: "y",
      realized_dependencies: [],
      status,
      start_time: "2026-11-23T22:47:39+00:00",
      end_time: status === "RUNNING" ? null : "2026-11-23T22:47:40+00:00",
    });
    const attribute = (value: string) => ({
      node_name: "y",
      name: "result_summary",
      type: "primitive",
      schema_version: 1,
      attribute_role: "result_summary",
      value: { type: "str", value },
    });
    const path = `/api/v1/dag_runs_bulk?dag_run_id=${dagRunId}`;
    expect(
      (await api(ui.url, path, put({ task_updates: [task("SUCCESS")], attributes: [attribute("first")] }))).status,
    ).toBe(200);
    expect(
      (await api(ui.url, path, put({ task_updates: [task("SUCCESS")], attributes: [attribute("second")] }))).status,
    ).toBe(200);
    expect((await api(ui.url, path, put({ task_updates: [task("RUNNING")], attributes: [] }))).status).toBe(200);
    const { runs } = await readFileStore(ui.dir);
    expect(runs[0]!.nodes).toHaveLength(1);
    expect(runs[0]!.nodes[0]).toMatchObject({ status: "SUCCESS", result: { kind: "string", preview: "second" } });
    const withData = await api(ui.url, `/api/v1/dag_runs/${dagRunId}?attr=primitive`);
    expect(withData.body[0].node_runs).toEqual([
      expect.objectContaining({
        node_name: "y",
        status: "SUCCESS",
        attributes: [expect.objectContaining({ name: "result_summary", value: { type: "str", value: "second" } })],
      }),
    ]);
  });

  it("answers unknown runs and templates with 404, bad payloads with 400", async () => {
    const ui = await serve();
    const { dagRunId } = await pythonRun(ui.url);
    expect((await api(ui.url, "/api/v1/dag_runs?dag_template_id=999", post({ run_status: "RUNNING" }))).status).toBe(
      404,
    );
    expect(
      (await api(ui.url, "/api/v1/dag_runs_bulk?dag_run_id=999", put({ task_updates: [], attributes: [] }))).status,
    ).toBe(404);
    const badStatus = await api(
      ui.url,
      `/api/v1/dag_runs/${dagRunId}/`,
      put({ run_status: "DONE", run_end_time: "2026-01-01T00:00:00" }),
    );
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.detail).toMatch(/run_status.*DONE.*RUNNING, SUCCESS, FAILURE/);
    const badTask = await api(
      ui.url,
      `/api/v1/dag_runs_bulk?dag_run_id=${dagRunId}`,
      put({ task_updates: [{ node_name: "y" }], attributes: [] }),
    );
    expect(badTask.status).toBe(400);
    expect(badTask.body.detail).toMatch(/task_updates\[0\].*node_template_name/);
    const badTime = await api(
      ui.url,
      `/api/v1/dag_runs/${dagRunId}/`,
      put({ run_status: "SUCCESS", run_end_time: "yesterday" }),
    );
    expect(badTime.status).toBe(400);
    expect(badTime.body.detail).toMatch(/run_end_time.*yesterday/);
  });
});
