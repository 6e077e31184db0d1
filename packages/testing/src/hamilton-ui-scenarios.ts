/**
 * The protocol-behaviour scenarios of `HamiltonUIClient` (with `HamiltonTracker` and the engine),
 * shared by every backend they run against: the fake Hamilton UI of `hamilton-ui-server.ts`
 * (`@hamilton-ts/tracker`'s tests) and the real `hamilton-ts-ui` server (`@hamilton-ts/ui`'s tests).
 * What a backend stored is read through {@link ScenarioBackend}; the fault-injection scenarios that
 * only the fake can play stay in the tracker's `hamilton-ui-client.test.ts`.
 */
import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { SHARED_SPAN_ID, SHARED_TRACE_ID, type LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { describe, expect, it, vi } from "vitest";
import {
  HamiltonTracker,
  type HamiltonTrackerOptions,
  HamiltonUIClient,
  type SinkWriteOptions,
} from "@hamilton-ts/tracker";
import { calls } from "./calls.js";
import type { LoggedRequest } from "./hamilton-ui-server.js";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

/** The user and API key every scenario's client sends. */
export const USER = "me@example.com";
export const KEY = "test-key";

/**
 * The scenarios' shutdown bound: it ends when everything is delivered, so a generous bound costs a
 * passing test nothing, while the default 10 s fails a test on a machine several times
 * oversubscribed (40 runs through a server that starts PostgreSQL).
 */
const SHUTDOWN = { timeoutMs: 120_000 } as const;

/** The project every scenario reports to. */
export const PROJECT_ID = 1;
const NAIVE_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+$/;
const UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/;
const noSignal: SinkWriteOptions = { signal: new AbortController().signal };

/** A node run as a backend stored it (the real backend's `NodeRun` fields the scenarios check). */
export interface ScenarioNodeRun {
  readonly node_template_name: string;
  readonly node_name: string;
  readonly status: string;
  readonly realized_dependencies: unknown;
}

/** A dag run as a backend stored it. */
export interface ScenarioRun {
  readonly id: number;
  readonly dagTemplateId: number;
  readonly status: string;
  /** By node name (`taskId-node` for a fan-out item). */
  readonly nodes: ReadonlyMap<string, ScenarioNodeRun>;
  /** Node attributes, keyed `node_name/name`, as the backend's unique key. */
  readonly attributes: ReadonlyMap<string, Record<string, unknown>>;
}

/** A backend the scenarios run against, as seen by them. */
export interface ScenarioBackend {
  /** The address `HamiltonUIClient` is given. */
  readonly baseUrl: string;
  /** Every request the backend received, in order. */
  readonly requests: readonly LoggedRequest[];
  /** Protocol violations the backend saw (wrong content type, ...); the scenarios expect none. */
  readonly problems: readonly string[];
  /** `METHOD path` of each request. */
  calls(): string[];
  /** The dag runs stored, in the order they were created. */
  runs(): Promise<ScenarioRun[]>;
  /** One dag run. */
  run(id: number): Promise<ScenarioRun | undefined>;
  /** Bulks refused because an attribute was stored already (a backend that upserts: always 0). */
  duplicateAttributeErrors(): number;
  /** Resolves once the backend has answered its next request. */
  nextAnswer(): Promise<void>;
}

/** The demo's order: a tracer-like adapter (as OpenTelemetryTracer) puts the span ids in the event before the tracker. */
export const tracerLike: LifecycleAdapter = {
  wrapNodeExecution(event, next) {
    event.attributes[SHARED_TRACE_ID] = "0af7651916cd43dd8448eb211c80319c";
    event.attributes[SHARED_SPAN_ID] = event.node.name.padEnd(16, "0").slice(0, 16);
    return next();
  },
};

const dataflow = {
  question: ({ topic }: { topic: string }) => `What is ${topic}?`,
  answer: async ({ question, apiKey }: { question: string; apiKey: string }) => `${question} (${apiKey.length})`,
  length: ({ answer }: { answer: string }) => answer.length,
};

/**
 * Registers the scenarios (as `describe` blocks) against the backend `backend()` returns when a
 * test runs: a fresh one per test, started by the caller's `beforeEach`, accepting {@link USER}
 * with {@link KEY} and knowing project {@link PROJECT_ID}.
 */
export function protocolScenarios(backend: () => ScenarioBackend): void {
  /** Resolves once `condition` holds, checked after each answer of the backend. */
  async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
    for (;;) {
      const next = backend().nextAnswer();
      if (await condition()) return;
      await next;
    }
  }

  function setup(clientOptions: { timeoutMs?: number; apiKey?: string } = {}) {
    const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER, ...clientOptions });
    const reported = calls<[unknown, string]>();
    const tracker = new HamiltonTracker({
      projectId: PROJECT_ID,
      username: USER,
      dagName: "qa",
      tags: { env: "test" },
      sink: client,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      onError: reported.handler,
    });
    const runIds: string[] = [];
    const dr = new Builder()
      .withModules(dataflow)
      .withAdapters(tracker, { beforeGraphExecution: (event) => void runIds.push(event.runId) })
      .build();
    return { client, tracker, dr, runIds };
  }

  async function runMany(dr: ReturnType<typeof setup>["dr"], n: number) {
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => dr.execute(["length"], { inputs: { topic: `t${i}`, apiKey: "k" } })),
    );
    return results.map((r) => r.length);
  }

  async function expectEverythingDelivered(n: number) {
    expect(backend().problems).toEqual([]);
    const runs = await backend().runs();
    expect(runs).toHaveLength(n);
    for (const run of runs) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.nodes.values()].map((x) => `${x.node_name}:${x.status}`).sort()).toEqual([
        "answer:SUCCESS",
        "length:SUCCESS",
        "question:SUCCESS",
      ]);
      expect(run.attributes.size).toBe(3);
    }
  }

  describe("HamiltonUIClient: the protocol", () => {
    it("registers the template, creates the run, sends merged node updates, then ends the run", async () => {
      const { tracker, dr, client, runIds } = setup();
      const out = await dr.execute(["length"], { inputs: { topic: "TS", apiKey: "sk-secret-key-0000000000000000" } });
      expect(out.length).toBeGreaterThan(0);
      const report = await tracker.flush();
      expect(report.complete).toBe(true);
      expect(backend().problems).toEqual([]);
      const [stored] = await backend().runs();
      expect(stored).toBeDefined();

      expect(backend().calls()).toEqual([
        "GET /api/v1/phone_home",
        "GET /api/v1/projects/1",
        "GET /api/v1/dag_templates/exists/",
        "POST /api/v1/dag_templates",
        "POST /api/v1/dag_runs",
        "PUT /api/v1/dag_runs_bulk",
        `PUT /api/v1/dag_runs/${stored!.id}/`,
      ]);
      for (const request of backend().requests) {
        expect(request.headers["x-api-user"]).toBe(USER);
        expect(request.headers["x-api-key"]).toBe(KEY);
        if (request.body !== undefined) expect(request.headers["content-type"]).toBe("application/json");
      }

      const [, , exists, createTemplate, createRun, bulk, end] = backend().requests;
      expect(exists!.query.getAll("dag_hash")).toHaveLength(2);
      expect(exists!.query.get("project_id")).toBe("1");
      expect(exists!.query.get("dag_name")).toBe("qa");
      expect(createTemplate!.query.get("project_id")).toBe("1");
      const template = createTemplate!.body as Record<string, any>;
      expect(template).toMatchObject({
        name: "qa",
        template_type: "HAMILTON",
        tags: { env: "test" },
        code_version_info_schema: 1,
      });
      expect(template.dag_hash).toBe(exists!.query.get("dag_hash"));
      expect(template.code_hash).toBe(exists!.query.get("code_hash"));
      const answerNode = (template.nodes as any[]).find((n) => n.name === "answer");
      expect(answerNode).toMatchObject({
        classifications: ["transform"],
        dependencies: ["question", "apiKey"],
        code_artifact_pointers: ["answer"],
        dependency_specs_type: "python_type",
      });
      expect((template.nodes as any[]).find((n) => n.name === "apiKey")).toMatchObject({
        classifications: ["input"],
        code_artifact_pointers: ["answer"],
      });
      expect(template.code_log.files[0].contents).toContain("`${question} (${apiKey.length})`");

      expect(createRun!.query.get("dag_template_id")).toBe(String(stored!.dagTemplateId));
      const run = createRun!.body as Record<string, any>;
      expect(run).toMatchObject({
        tags: { env: "test" },
        outputs: ["length"],
        run_status: "RUNNING",
        inputs: { topic: "TS", apiKey: "[REDACTED]" },
      });
      expect(run.run_start_time).toMatch(NAIVE_ISO);
      expect(JSON.stringify(backend().requests.map((r) => r.body))).not.toContain("sk-secret-key");

      expect(bulk!.query.get("dag_run_id")).toBe(String(stored!.id));
      const { task_updates: tasks, attributes } = bulk!.body as { task_updates: any[]; attributes: any[] };
      expect(tasks.map((t) => t.node_name).sort()).toEqual(["answer", "length", "question"]);
      for (const task of tasks) {
        expect(task).toMatchObject({ status: "SUCCESS", node_template_name: task.node_name });
        expect(task.start_time).toMatch(UTC_ISO);
        expect(task.end_time).toMatch(UTC_ISO);
      }
      expect(tasks.find((t) => t.node_name === "answer").realized_dependencies).toEqual(["question", "apiKey"]);
      expect(attributes.find((a) => a.node_name === "length")).toEqual({
        node_name: "length",
        name: "result_summary",
        type: "primitive",
        schema_version: 1,
        value: { type: "number", value: out.length },
        attribute_role: "result_summary",
      });

      expect(end!.body).toMatchObject({ run_status: "SUCCESS" });
      expect((end!.body as any).run_end_time).toMatch(NAIVE_ISO);
      expect(client.dagRunId(runIds[0]!)).toBe(stored!.id);
      await tracker.shutdown(SHUTDOWN);
    });

    it("records a failing run: the node FAILURE with its stack trace, the run FAILURE", async () => {
      const { tracker } = setup();
      const boom = new Builder()
        .withModules({
          a: () => 1,
          b: ({ a }: { a: number }) => {
            if (a === 1) throw new RangeError("b cannot handle 1");
            return a;
          },
        })
        .withAdapters(tracker)
        .build();
      const error = await boom.execute(["b"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExecutionError);
      await tracker.flush();
      expect(backend().problems).toEqual([]);
      const run = (await backend().runs())[0]!;
      expect(run.status).toBe("FAILURE");
      expect(run.nodes.get("a")!.status).toBe("SUCCESS");
      expect(run.nodes.get("b")!.status).toBe("FAILURE");
      const stack = run.attributes.get("b/stack_trace")!;
      expect(stack).toMatchObject({ type: "error", schema_version: 1, attribute_role: "error" });
      const lines = (stack.value as { stack_trace: string[] }).stack_trace;
      expect(lines[0]).toBe("RangeError: b cannot handle 1\n");
      expect(lines.join("")).toContain("hamilton-ui-scenarios.ts");
      await tracker.shutdown(SHUTDOWN);
    });

    it("registers a template once; a new client finds it with exists/ instead of creating it again", async () => {
      const { tracker, dr } = setup();
      await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
      await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
      await tracker.shutdown(SHUTDOWN);
      expect(
        backend()
          .calls()
          .filter((c) => c.includes("dag_templates")),
      ).toEqual(["GET /api/v1/dag_templates/exists/", "POST /api/v1/dag_templates"]);

      const second = setup();
      await second.dr.execute(["length"], { inputs: { topic: "c", apiKey: "k" } });
      await second.tracker.shutdown(SHUTDOWN);
      expect(
        backend()
          .calls()
          .filter((c) => c.startsWith("POST /api/v1/dag_templates")),
      ).toHaveLength(1);
      const templateIds = (await backend().runs()).map((r) => r.dagTemplateId);
      expect(templateIds).toHaveLength(3);
      expect(new Set(templateIds).size).toBe(1);
      expect(backend().problems).toEqual([]);
    });

    it("sends node updates of dynamic tasks as taskId-node, and the trace link as an attribute", async () => {
      const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER });
      await client.write(1, [templateRecord(), runRecord("r1")], noSignal);
      await client.write(
        1,
        [
          nodeRecord("r1", "c", "RUNNING", { taskId: "t3" }),
          nodeRecord("r1", "c", "SUCCESS", {
            taskId: "t3",
            traceId: "0af7651916cd43dd8448eb211c80319c",
            spanId: "b7ad6b7169203331",
          }),
          runRecord("r1", "SUCCESS"),
        ],
        noSignal,
      );
      expect(backend().problems).toEqual([]);
      const run = (await backend().run(client.dagRunId("r1")!))!;
      expect(run.nodes.get("t3-c")).toMatchObject({
        node_template_name: "c",
        status: "SUCCESS",
        realized_dependencies: ["a"],
      });
      expect(run.attributes.get("t3-c/trace")).toMatchObject({
        type: "dict",
        value: { type: "dict", value: { trace_id: "0af7651916cd43dd8448eb211c80319c", span_id: "b7ad6b7169203331" } },
      });
      // The bulk update for the run goes before the run's end.
      expect(backend().calls().slice(-2)).toEqual([
        "PUT /api/v1/dag_runs_bulk",
        `PUT /api/v1/dag_runs/${client.dagRunId("r1")}/`,
      ]);
      expect(client.runUrl(1, "r1")).toBe(`${backend().baseUrl}/dashboard/project/1/runs/${client.dagRunId("r1")}`);
      expect(client.runUrl(1, "unknown")).toBeUndefined();
    });

    it("skips node records of a run it never created, and says so once", async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      try {
        const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER });
        await client.write(1, [nodeRecord("ghost", "a"), nodeRecord("ghost", "b")], noSignal);
        expect(
          backend()
            .calls()
            .some((c) => c.includes("bulk")),
        ).toBe(false);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(/run ghost arrived, but the run was never created/);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe("HamiltonUIClient: each attribute once, against a backend that inserts without upserting", () => {
    it("a node slower than the flush interval: its RUNNING update carries no attribute, its final one carries trace and result once", async () => {
      const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER });
      const tracker = new HamiltonTracker({
        projectId: 1,
        username: USER,
        dagName: "slow",
        sink: client,
        flushIntervalMs: 5,
        retryInitialDelayMs: 5,
        retryMaxDelayMs: 20,
        onError: () => {},
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const dr = new Builder()
        .withModules({ a: () => 1, slow: async ({ a }: { a: number }) => (await released, a + 1) })
        .withAdapters(tracerLike, tracker)
        .build();
      const running = dr.execute(["slow"]);
      // The RUNNING update of `slow` is delivered while the node still runs.
      await waitUntil(async () => (await backend().runs()).some((r) => r.nodes.get("slow")?.status === "RUNNING"));
      release();
      expect(await running).toEqual({ slow: 2 });
      const report = await tracker.flush(SHUTDOWN);
      expect(report.complete).toBe(true);
      expect(report.rejected).toBe(0);
      expect(backend().duplicateAttributeErrors()).toBe(0);
      const run = (await backend().runs())[0]!;
      expect(run.status).toBe("SUCCESS");
      expect(run.nodes.get("slow")!.status).toBe("SUCCESS");
      expect([...run.attributes.keys()].sort()).toEqual([
        "a/result_summary",
        "a/trace",
        "slow/result_summary",
        "slow/trace",
      ]);
      const sent = backend()
        .requests.filter((r) => r.path === "/api/v1/dag_runs_bulk")
        .flatMap((r) => (r.body as { attributes: { node_name: string; name: string }[] }).attributes);
      expect(sent.map((a) => `${a.node_name}/${a.name}`).sort()).toEqual([
        "a/result_summary",
        "a/trace",
        "slow/result_summary",
        "slow/trace",
      ]);
      expect(run.attributes.get("slow/trace")!.value).toEqual({
        type: "dict",
        value: { trace_id: "0af7651916cd43dd8448eb211c80319c", span_id: "slow000000000000" },
      });
      await tracker.shutdown(SHUTDOWN);
    });
  });

  describe("HamiltonUIClient: summaries as the Hamilton UI shows them", () => {
    const long = "word ".repeat(2_000);
    const values = {
      text: () => long,
      list: () => Array.from({ length: 60 }, (_, i) => `item ${i}`),
      dict: () =>
        Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, { nested: { deeper: [i, `v${i}`] } }])),
      nothing: () => null,
      missing: () => undefined,
    };
    async function resultsWith(options: Partial<HamiltonTrackerOptions> = {}) {
      const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER });
      const tracker = new HamiltonTracker({
        projectId: 1,
        username: USER,
        dagName: "values",
        sink: client,
        onError: () => {},
        ...options,
      });
      const dr = new Builder().withModules(values).withAdapters(tracker).build();
      await dr.execute(["text", "list", "dict", "nothing", "missing"]);
      await tracker.shutdown(SHUTDOWN);
      const run = (await backend().runs()).at(-1)!;
      return (node: string) => run.attributes.get(`${node}/result_summary`)!;
    }

    it("uses the Python SDK's capture limits: whole strings, 50 list items, 100 dict keys, nested values kept", async () => {
      // A time budget a loaded machine cannot exhaust (this test checks content); the other limits are the client's.
      const result = await resultsWith({ summaryLimits: { timeBudgetMs: 60_000 } });
      expect(result("text").value).toEqual({ type: "string", value: long });
      const list = (result("list").value as { value: string[] }).value;
      expect(list).toHaveLength(51);
      expect(list.slice(0, 2)).toEqual(["item 0", "item 1"]);
      expect(list[50]).toBe("... truncated ...");
      const dict = (result("dict").value as { value: Record<string, unknown> }).value;
      expect(Object.keys(dict)).toHaveLength(101);
      expect(dict.k99).toEqual({ nested: { deeper: [99, "v99"] } });
      expect(dict.__truncated__).toBe("20 more keys");
    });

    it("null and undefined results are unsupported with their type name, as the Python SDK sends None", async () => {
      const result = await resultsWith();
      expect(result("nothing")).toMatchObject({
        type: "unsupported",
        schema_version: 1,
        value: { unsupported_type: "null" },
      });
      expect(result("missing")).toMatchObject({
        type: "unsupported",
        schema_version: 1,
        value: { unsupported_type: "undefined" },
      });
    });

    it("the tracker's summaryLimits option overrides the client's limits", async () => {
      const result = await resultsWith({ summaryLimits: { maxStringPreview: 10, maxItems: 3 } });
      expect(result("text").value).toEqual({ type: "string", value: `${long.slice(0, 10)}…` });
      expect((result("list").value as { value: string[] }).value).toHaveLength(4);
      expect(Object.keys((result("dict").value as { value: object }).value)).toHaveLength(101);
    });
  });

  describe("HamiltonUIClient: a node retried by the engine", () => {
    it("its second attempt sends only the attributes the first did not store (same node name, one run)", async () => {
      const client = new HamiltonUIClient({ baseUrl: backend().baseUrl, apiKey: KEY, username: USER });
      const ids = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
      await client.write(1, [templateRecord(), runRecord("r1")], noSignal);
      const failed = nodeRecord("r1", "c", "FAILURE", {
        ...ids,
        error: { type: "Error", message: "flaky", stack: undefined, cause: undefined },
      });
      await client.write(1, [nodeRecord("r1", "c", "RUNNING", ids), failed], noSignal);
      await client.write(
        1,
        [
          nodeRecord("r1", "c", "RUNNING", { ...ids, attempt: 2 }),
          nodeRecord("r1", "c", "SUCCESS", { ...ids, attempt: 2, spanId: "c7ad6b7169203331" }),
          runRecord("r1", "SUCCESS"),
        ],
        noSignal,
      );
      const run = (await backend().run(client.dagRunId("r1")!))!;
      expect(backend().duplicateAttributeErrors()).toBe(0);
      expect(run.status).toBe("SUCCESS");
      expect(run.nodes.get("c")!.status).toBe("SUCCESS");
      expect([...run.attributes.keys()].sort()).toEqual(["c/result_summary", "c/stack_trace", "c/trace"]);
    });
  });

  describe("HamiltonUIClient: many runs at once", () => {
    it("many concurrent runs all arrive", async () => {
      const { tracker, dr } = setup();
      await runMany(dr, 40);
      expect((await tracker.shutdown(SHUTDOWN)).complete).toBe(true);
      await expectEverythingDelivered(40);
    });
  });
}
