// End to end: the real start command in a child process, with real servers on 127.0.0.1.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalOpenAI } from "@hamilton-ts/local-openai";
import { readFileStore } from "@hamilton-ts/tracker";
import type { StoredRun } from "@hamilton-ts/tracker";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHamiltonUI } from "./hamilton-ui.js";
import type { HamiltonUIStandIn } from "./hamilton-ui.js";
import { UNIVERSAL_TRUTH_PROMPT } from "../src/prompts.js";
import { readTraceFile, startOtlpReceiver } from "./otlp.js";
import type { OtlpReceiver, OtlpSpan } from "./otlp.js";
import { demoTestTimeout, runDemo, signalDemo } from "./spawn-demo.js";

/** One demo run and its servers, scaled by how busy the machine is. */
const TEST_TIMEOUT = demoTestTimeout(1);
/** The node runs of one demo run: nine nodes, one of them once per follow-up question (three). */
const NODE_RUNS = [
  "cssSnippet",
  "digest",
  "followUpAnswer followUpQuestion[0]",
  "followUpAnswer followUpQuestion[1]",
  "followUpAnswer followUpQuestion[2]",
  "followUpAnswers",
  "followUpQuestion",
  "followUpQuestions",
  "haiku",
  "joke",
  "llmClient",
  "universalTruth",
];
/** The nodes that call the LLM (and so have a chat span), by node span name. */
const LLM_NODE_SPANS = [
  "followUpAnswer followUpQuestion[0]",
  "followUpAnswer followUpQuestion[1]",
  "followUpAnswer followUpQuestion[2]",
  "haiku",
  "joke",
  "universalTruth",
];
const FAILURE_MESSAGE = "500 The server had an error while processing your request. (Simulated by DEMO_FAIL_LLM.)";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-e2e-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const isChat = (s: OtlpSpan) => s.name.startsWith("chat ");
const nodeSpans = (spans: OtlpSpan[], root: OtlpSpan) => spans.filter((s) => s.parentSpanId === root.spanId);

/** Checks the shape every run's trace has: one trace, the run span its root, node spans under it, chat spans under their nodes. */
function checkTrace(spans: OtlpSpan[], expectedNodeRuns: string[]): { root: OtlpSpan; nodes: Map<string, OtlpSpan> } {
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  expect(roots.map((s) => s.name)).toEqual(["hamilton.run"]);
  const root = roots[0]!;
  expect(root.attributes["traceloop.span.kind"]).toBe("workflow");
  const nodes = new Map(nodeSpans(spans, root).map((s) => [s.name, s]));
  expect([...nodes.keys()].sort()).toEqual(expectedNodeRuns);
  for (const node of nodes.values()) expect(node.attributes["traceloop.span.kind"]).toBe("task");
  // Nothing else in the trace but the run, the nodes and chat spans each under its node.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (const span of spans.filter((s) => s !== root && s.parentSpanId !== root.spanId)) {
    expect(isChat(span), `unexpected span ${span.name}`).toBe(true);
    expect(LLM_NODE_SPANS).toContain(byId.get(span.parentSpanId!)?.name);
  }
  return { root, nodes };
}

function checkChatSpans(spans: OtlpSpan[], nodes: Map<string, OtlpSpan>, llmNodes: string[]): void {
  for (const name of llmNodes) {
    const node = nodes.get(name)!;
    const chats = spans.filter((s) => isChat(s) && s.parentSpanId === node.spanId);
    expect(
      chats.map((s) => s.name),
      `chat span of ${name}`,
    ).toEqual(["chat gpt-4o-mini"]);
    expect(chats[0]!.attributes["gen_ai.request.model"]).toBe("gpt-4o-mini");
    expect(chats[0]!.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
  }
}

const nodeRunName = (n: StoredRun["nodes"][number]) => (n.taskId === undefined ? n.node : `${n.node} ${n.taskId}`);

describe("the demo, embedded mode (no keys, no network)", () => {
  it("exits 0; the trace file and the tracker store hold the same run, linked node by node", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({ DEMO_OUTPUT_DIR: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/LLM +local OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(result.stdout).toContain("```mermaid\nflowchart");
    expect(result.stdout).toContain("Neil Armstrong"); // a follow-up answer, in the digest

    // The trace: one trace, rooted at the run span, a span per node run, each chat span under its node.
    const spans = await readTraceFile(join(dir, "traces.jsonl"));
    const { root, nodes } = checkTrace(spans, NODE_RUNS);
    expect(root.statusCode).not.toBe(2);
    checkChatSpans(spans, nodes, LLM_NODE_SPANS);
    expect(result.stdout).toContain(`trace id ${root.traceId}`);

    // The tracker: the same run, every node SUCCESS, each node record carrying its span's ids.
    const store = await readFileStore(dir, { projectId: "demo" });
    expect(store.runs).toHaveLength(1);
    const run = store.runs[0]!;
    expect(run.finished).toBe(true);
    expect(run.run.status).toBe("SUCCESS");
    expect(run.run.dagName).toBe("hamilton-ts-demo");
    expect(run.runId).toBe(root.attributes["hamilton.run_id"]);
    expect(run.nodes.map(nodeRunName).sort()).toEqual(NODE_RUNS);
    for (const node of run.nodes) {
      const span = nodes.get(nodeRunName(node))!;
      expect({ node: nodeRunName(node), status: node.status, traceId: node.traceId, spanId: node.spanId }).toEqual({
        node: nodeRunName(node),
        status: "SUCCESS",
        traceId: root.traceId,
        spanId: span.spanId,
      });
    }
    expect(store.templates.map((t) => t.template.dagName)).toEqual(["hamilton-ts-demo"]);
    expect(result.stdout).toContain(join("demo", "runs", `${run.runId}.jsonl`));
  });

  it("a second run answers from the cache: progress lines, the trace and the tracker say which nodes were hits", {
    timeout: demoTestTimeout(3),
  }, async () => {
    const first = await runDemo({ DEMO_OUTPUT_DIR: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain("cache hit");
    const second = await runDemo({ DEMO_OUTPUT_DIR: dir });
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    // The same answers, without asking the LLM.
    expect(second.stdout).toContain("Neil Armstrong");
    for (const name of ["universalTruth", "haiku", "joke", "digest", "followUpAnswer followUpQuestion[0]"]) {
      expect(second.stdout).toMatch(new RegExp(`✓ ${name.replace(/[[\]]/g, "\\$&")} +\\S+ ms  cache hit`));
    }
    const spans = await readTraceFile(join(dir, "traces.jsonl"));
    const secondRun = spans.filter((s) => s.traceId === spans.at(-1)!.traceId);
    expect(
      secondRun.some((s) => s.name === "chat gpt-4o-mini" || s.attributes["gen_ai.request.model"] !== undefined),
    ).toBe(false);
    expect(secondRun.find((s) => s.name === "universalTruth")!.attributes["hamilton.cache"]).toBe("hit");
    expect(secondRun.find((s) => s.name === "llmClient")!.attributes["hamilton.cache"]).toBe("disabled");
    const store = await readFileStore(dir, { projectId: "demo" });
    const latest = store.runs.find(
      (r) => r.runId === secondRun.find((s) => s.attributes["hamilton.run_id"])!.attributes["hamilton.run_id"],
    )!;
    expect(latest.nodes.find((n) => n.node === "universalTruth")!.cache).toBe("hit");

    // DEMO_CACHE=off runs every node again.
    const off = await runDemo({ DEMO_OUTPUT_DIR: dir, DEMO_CACHE: "off" });
    expect(off.code).toBe(0);
    expect(off.stdout).not.toContain("cache hit");
  });
});

describe("the demo, pointed at an OTLP endpoint and a Hamilton UI", () => {
  let otlp: OtlpReceiver;
  let ui: HamiltonUIStandIn;
  beforeEach(async () => {
    otlp = await startOtlpReceiver();
    ui = await startHamiltonUI(3);
  });
  afterEach(async () => {
    await Promise.all([otlp.close(), ui.close()]);
  });

  it("sends the run's spans to the endpoint and its records to the UI, linked", { timeout: TEST_TIMEOUT }, async () => {
    const result = await runDemo({
      DEMO_OUTPUT_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      HAMILTON_API_URL: ui.url,
      HAMILTON_API_KEY: "test-key",
      HAMILTON_USERNAME: "ada@example.com",
      HAMILTON_PROJECT_ID: "3",
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`OTLP/HTTP (JSON) to ${otlp.endpoint}/v1/traces`);
    expect(result.stdout).toContain(`${ui.url}/dashboard/project/3/runs/${ui.dagRunId}`);

    // The OTLP receiver got the whole trace, as JSON, and nothing else.
    expect(otlp.requests.length).toBeGreaterThan(0);
    for (const request of otlp.requests)
      expect(request).toMatchObject({
        method: "POST",
        path: "/v1/traces",
        contentType: expect.stringContaining("application/json"),
      });
    const { root, nodes } = checkTrace(otlp.spans, NODE_RUNS);
    checkChatSpans(otlp.spans, nodes, LLM_NODE_SPANS);

    // The Hamilton UI got the template, the run (started, then SUCCESS) and every node run.
    for (const request of ui.requests)
      expect(request.headers).toMatchObject({ "x-api-user": "ada@example.com", "x-api-key": "test-key" });
    const calls = ui.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.slice(0, 2)).toEqual(["GET /api/v1/phone_home", "GET /api/v1/projects/3"]);
    expect(calls).toContain("POST /api/v1/dag_templates");
    const created = ui.requests.find((r) => r.method === "POST" && r.path === "/api/v1/dag_runs")!;
    expect(created.body).toMatchObject({ run_status: "RUNNING", outputs: ["universalTruth", "digest"] });
    const ended = ui.requests.find((r) => r.method === "PUT" && r.path === `/api/v1/dag_runs/${ui.dagRunId}/`)!;
    expect(ended.body).toMatchObject({ run_status: "SUCCESS" });

    const bulks = ui.requests.filter((r) => r.path === "/api/v1/dag_runs_bulk");
    expect(bulks.every((r) => r.query.get("dag_run_id") === String(ui.dagRunId))).toBe(true);
    type Bulk = {
      task_updates: { node_name: string; status: string }[];
      attributes: { node_name: string; name: string; value: { value: { trace_id: string; span_id: string } } }[];
    };
    const final = new Map<string, string>();
    const links = new Map<string, { trace_id: string; span_id: string }>();
    for (const bulk of bulks.map((r) => r.body as Bulk)) {
      for (const update of bulk.task_updates) final.set(update.node_name, update.status);
      for (const a of bulk.attributes) if (a.name === "trace") links.set(a.node_name, a.value.value);
    }
    // The UI names fan-out node runs "<task>-<node>"; the spans "<node> <task>".
    const spanName = (uiName: string) => uiName.replace(/^(.+\[\d+\])-(.+)$/, "$2 $1");
    expect([...final.keys()].map(spanName).sort()).toEqual(NODE_RUNS);
    expect([...final.values()].every((status) => status === "SUCCESS")).toBe(true);
    for (const [uiName, link] of links) {
      expect(link, uiName).toEqual({ trace_id: root.traceId, span_id: nodes.get(spanName(uiName))!.spanId });
    }
    expect(links.size).toBe(NODE_RUNS.length);
  });

  it("stops before running, with a readable message and exit code 2, when the Hamilton UI has no such project", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({
      DEMO_OUTPUT_DIR: dir,
      HAMILTON_API_URL: ui.url,
      HAMILTON_USERNAME: "ada@example.com",
      HAMILTON_PROJECT_ID: "99",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("The tracker cannot use the Hamilton UI:");
    expect(result.stderr).toContain("has no such project (HTTP 404). Create the project in the UI first");
    expect(result.stdout).not.toContain("Running");
  });
});

describe("the demo, with OPENAI_API_KEY", () => {
  it("calls the API at OPENAI_BASE_URL with the key and DEMO_MODEL instead of starting its own server", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const api = await startLocalOpenAI({ latencyMs: 0 }); // stands in for the real API
    try {
      const result = await runDemo({
        DEMO_OUTPUT_DIR: dir,
        OPENAI_API_KEY: "sk-test-key",
        OPENAI_BASE_URL: api.baseURL,
        DEMO_MODEL: "gpt-4.1-mini",
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`LLM      OpenAI API at ${api.baseURL}`);
      expect(result.stdout).not.toContain("local OpenAI-compatible server");
      const chats = api.requests.filter((r) => r.path === "/v1/chat/completions");
      expect(chats).toHaveLength(LLM_NODE_SPANS.length);
      for (const chat of chats) {
        expect(chat.headers.authorization).toBe("Bearer sk-test-key");
        expect((chat.body as { model: string }).model).toBe("gpt-4.1-mini");
      }
      const spans = await readTraceFile(join(dir, "traces.jsonl"));
      expect(spans.filter(isChat).map((s) => s.name)).toEqual(LLM_NODE_SPANS.map(() => "chat gpt-4.1-mini"));
    } finally {
      await api.close();
    }
  });
});

describe("the demo, pointed at Traceloop", () => {
  it("sends the spans with the API key to TRACELOOP_BASE_URL (here a local receiver), as OTLP protobuf", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const result = await runDemo({
        DEMO_OUTPUT_DIR: dir,
        TRACELOOP_API_KEY: "tl-test-key",
        TRACELOOP_BASE_URL: receiver.endpoint,
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`traces   Traceloop at ${receiver.endpoint}`);
      expect(receiver.requests.length).toBeGreaterThan(0);
      for (const request of receiver.requests) {
        expect(request).toMatchObject({
          method: "POST",
          path: "/v1/traces",
          contentType: "application/x-protobuf",
          authorization: "Bearer tl-test-key",
        });
      }
      // Protobuf keeps strings as they are: the run, node and chat spans are in there.
      const bodies = Buffer.concat(receiver.requests.map((r) => r.body)).toString("latin1");
      for (const name of [
        "hamilton.run",
        "universalTruth",
        "chat gpt-4o-mini",
        "traceloop.workflow.name",
        "hamilton-ts-demo",
      ])
        expect(bodies).toContain(name);
    } finally {
      await receiver.close();
    }
  });
});

describe("the demo, when its spans cannot be exported", () => {
  it("still shows the run, says the spans were not exported and why, and exits 1", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const otlp = await startOtlpReceiver({ failWith: 400 }); // 400: not retried by the exporter
    try {
      const result = await runDemo({ DEMO_OUTPUT_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint });
      expect(result.code).toBe(1);
      expect(otlp.requests.length).toBeGreaterThan(0);
      expect(result.stdout).toContain("The trace (19 spans");
      expect(result.stdout).toContain(`✗ OTLP/HTTP (JSON) to ${otlp.endpoint}/v1/traces: not exported (`);
      expect(result.stderr).toContain(
        `✗ The run succeeded, but its spans could not be exported (OTLP/HTTP (JSON) to ${otlp.endpoint}/v1/traces): `,
      );
      expect(result.stderr).toContain("Is the collector (or Jaeger) running and listening for OTLP/HTTP there?");
      // The tracker was not affected.
      expect((await readFileStore(dir, { projectId: "demo" })).runs[0]?.run.status).toBe("SUCCESS");
    } finally {
      await otlp.close();
    }
  });
});

describe("the demo, when the LLM fails", () => {
  it("shows the error and the failed call's span in the trace and the tracker, and exits non-zero with a readable message", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({ DEMO_OUTPUT_DIR: dir, DEMO_FAIL_LLM: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✗ The run failed: node "universalTruth" failed: ${FAILURE_MESSAGE}`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user

    // The trace: the node span and the run span carry the error.
    const spans = await readTraceFile(join(dir, "traces.jsonl"));
    const root = spans.find((s) => s.parentSpanId === undefined)!;
    expect(root.name).toBe("hamilton.run");
    expect(root.statusCode).toBe(2);
    const node = spans.find((s) => s.name === "universalTruth")!;
    expect(node.parentSpanId).toBe(root.spanId);
    expect(node.statusCode).toBe(2);
    expect(node.statusMessage).toBe(FAILURE_MESSAGE);
    expect(node.events.find((e) => e.name === "exception")?.attributes["exception.message"]).toBe(FAILURE_MESSAGE);
    // The failed OpenAI call's span, which the instrumentation never ends: OpenSpanCloser ended it
    // with its node, so it is in the trace, under the node, with the prompt, the model and the error.
    const chats = spans.filter((s) => isChat(s) && s.parentSpanId === node.spanId);
    expect(chats.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
    const chat = chats[0]!;
    expect(chat.statusCode).toBe(2);
    expect(chat.statusMessage).toBe(FAILURE_MESSAGE);
    expect(chat.attributes).toMatchObject({
      "gen_ai.request.model": "gpt-4o-mini",
      "hamilton.span.ended_by": "OpenSpanCloser",
    });
    expect(String(chat.attributes["gen_ai.input.messages"])).toContain(UNIVERSAL_TRUTH_PROMPT);

    // The tracker: the run and the node FAILURE, with the message; the node linked to its span.
    const store = await readFileStore(dir, { projectId: "demo" });
    const run = store.runs[0]!;
    expect(run.finished).toBe(true);
    expect(run.run.status).toBe("FAILURE");
    expect(run.run.error?.message).toContain(FAILURE_MESSAGE);
    const failed = run.nodes.find((n) => n.node === "universalTruth")!;
    expect(failed).toMatchObject({
      status: "FAILURE",
      error: { message: FAILURE_MESSAGE },
      traceId: root.traceId,
      spanId: node.spanId,
    });
    expect(run.nodes.filter((n) => n.status === "FAILURE").map((n) => n.node)).toEqual(["universalTruth"]);
  });
});

describe("the demo, misconfigured", () => {
  it("says which variable is wrong and how to fix it, and exits 2 without running", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const result = await runDemo({
      DEMO_OUTPUT_DIR: dir,
      HAMILTON_API_URL: "http://127.0.0.1:8241",
      HAMILTON_PROJECT_ID: "1",
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "✗ Configuration: HAMILTON_API_URL is set but HAMILTON_USERNAME is not: set HAMILTON_USERNAME",
    );
  });
});

describe("the demo, interrupted", () => {
  it("on SIGINT, still writes the run's trace and tracker records, then exits 130", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    let sent = false;
    const result = await runDemo(
      { DEMO_OUTPUT_DIR: dir },
      {
        // Interrupt once the LLM nodes have started (the streamed joke takes most of a second): an
        // event in the output, not a time. The signal goes to the demo's own process, as Ctrl-C does.
        onStdout: (text, child) => {
          if (!sent && text.includes("▶ joke")) {
            sent = true;
            signalDemo(child, "SIGINT");
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("SIGINT: stopping the run and flushing traces and records");
    const spans = await readTraceFile(join(dir, "traces.jsonl"));
    expect(spans.filter((s) => s.parentSpanId === undefined).map((s) => s.name)).toEqual(["hamilton.run"]);
    const store = await readFileStore(dir, { projectId: "demo" });
    expect(store.runs).toHaveLength(1);
    expect(store.runs[0]!.finished).toBe(true);
  });
});
