import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Builder } from "@hamilton-ts/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { calls, FakeHamiltonUI, Gate, type LoggedRequest } from "@hamilton-ts/testing";
import {
  KEY,
  protocolScenarios,
  tracerLike,
  type ScenarioBackend,
  type ScenarioRun,
  USER,
} from "@hamilton-ts/testing/hamilton-ui-scenarios";
import { runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { TrackerError } from "./errors.js";
import { HamiltonUIClient } from "./hamilton-ui-client.js";
import type { SinkWriteOptions, TrackerSink } from "./records.js";
import type { HamiltonTrackerOptions } from "./options.js";
import { HamiltonTracker } from "./tracker.js";

const noSignal: SinkWriteOptions = { signal: new AbortController().signal };

const dataflow = {
  question: ({ topic }: { topic: string }) => `What is ${topic}?`,
  answer: async ({ question, apiKey }: { question: string; apiKey: string }) => `${question} (${apiKey.length})`,
  length: ({ answer }: { answer: string }) => answer.length,
};

let ui: FakeHamiltonUI;
beforeEach(async () => {
  ui = new FakeHamiltonUI({ apiKey: KEY, username: USER, projects: [1] });
  await ui.start();
});
afterEach(async () => {
  await ui.stop();
});

function setup(clientOptions: { timeoutMs?: number; apiKey?: string } = {}) {
  const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER, ...clientOptions });
  const reported = calls<[unknown, string]>();
  const tracker = new HamiltonTracker({
    projectId: 1,
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
  /** Resolves once `count` writes have failed (each is reported to onError). */
  const failedWrites = (count: number) => reported.reached(count, (_, context) => context === "write");
  return { client, tracker, dr, runIds, failedWrites };
}

/** The fake Hamilton UI as the shared scenarios see it. */
function fakeBackend(): ScenarioBackend {
  const toRun = (run: FakeHamiltonUI["runs"] extends Map<number, infer R> ? R : never): ScenarioRun => ({
    id: run.id,
    dagTemplateId: run.dagTemplateId,
    status: run.status,
    nodes: run.nodes,
    attributes: run.attributes,
  });
  return {
    get baseUrl() {
      return ui.baseUrl;
    },
    requests: ui.requests,
    problems: ui.problems,
    calls: () => ui.calls(),
    runs: async () => [...ui.runs.values()].map(toRun),
    run: async (id) => {
      const run = ui.runs.get(id);
      return run === undefined ? undefined : toRun(run);
    },
    duplicateAttributeErrors: () => ui.duplicateAttributeErrors,
    nextAnswer: () => ui.waitFor(() => true, ui.requests.length + 1),
  };
}

// The protocol scenarios, shared with @hamilton-ts/ui's tests (which play them against hamilton-ts-ui).
protocolScenarios(fakeBackend);

describe("HamiltonUIClient: a server that fails", () => {
  async function runMany(dr: ReturnType<typeof setup>["dr"], n: number) {
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => dr.execute(["length"], { inputs: { topic: `t${i}`, apiKey: "k" } })),
    );
    return results.map((r) => r.length);
  }

  function expectEverythingDelivered(n: number) {
    expect(ui.problems).toEqual([]);
    expect(ui.runs.size).toBe(n);
    for (const run of ui.runs.values()) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.nodes.values()].map((x) => `${x.node_name}:${x.status}`).sort()).toEqual([
        "answer:SUCCESS",
        "length:SUCCESS",
        "question:SUCCESS",
      ]);
      expect(run.attributes.size).toBe(3);
    }
  }

  it("answering 500: the pipeline is unaffected and nothing is lost once it recovers", async () => {
    const { tracker, dr, failedWrites } = setup();
    ui.mode = 500;
    expect(await runMany(dr, 5)).toEqual(Array.from({ length: 5 }, (_, i) => `What is t${i}? (1)`.length));
    await failedWrites(1);
    expect(ui.runs.size).toBe(0);
    ui.mode = "none";
    expect((await tracker.flush()).complete).toBe(true);
    expectEverythingDelivered(5);
    await tracker.shutdown();
  });

  it("hanging: requests time out, are retried, and everything arrives once it answers again", {
    timeout: 60_000,
  }, async () => {
    // Long enough that no answered request times out on a busy machine (after recover() every
    // request must be answered within it, or it is resent), short enough for two timeouts.
    const { tracker, dr, failedWrites } = setup({ timeoutMs: 3_000 });
    ui.mode = "hang";
    expect(await runMany(dr, 3)).toHaveLength(3);
    await failedWrites(2);
    expect(ui.runs.size).toBe(0);
    ui.recover();
    expect((await tracker.flush()).complete).toBe(true);
    expectEverythingDelivered(3);
    await tracker.shutdown();
  });

  it("refusing connections: runs go on, and are delivered once the server is back", async () => {
    const { tracker, dr, failedWrites } = setup();
    await ui.stop();
    expect(await runMany(dr, 4)).toHaveLength(4);
    await failedWrites(2);
    await ui.start();
    expect((await tracker.flush()).complete).toBe(true);
    expectEverythingDelivered(4);
    await tracker.shutdown();
  });
});

describe("HamiltonUIClient: delivery a backend that inserts without upserting cannot wedge", () => {
  const isBulk = (r: LoggedRequest) => r.method === "PUT" && r.path === "/api/v1/dag_runs_bulk";
  const sentAttributes = () =>
    ui.requests
      .filter(isBulk)
      .flatMap((r) =>
        (r.body as { attributes: { node_name: string; name: string }[] }).attributes.map(
          (a) => `${r.query.get("dag_run_id")}:${a.node_name}/${a.name}`,
        ),
      );

  function trackerWith(
    errors: { error: unknown; context: string }[] = [],
    extra: Partial<HamiltonTrackerOptions> = {},
  ) {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const tracker = new HamiltonTracker({
      projectId: 1,
      username: USER,
      dagName: "qa",
      sink: client,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      onError: (error, context) => void errors.push({ error, context }),
      ...extra,
    });
    return { client, tracker, dr: new Builder().withModules(dataflow).withAdapters(tracerLike, tracker).build() };
  }

  function expectRunsComplete(n: number) {
    expect(ui.problems).toEqual([]);
    expect(ui.runs.size).toBe(n);
    for (const run of ui.runs.values()) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.nodes.values()].map((x) => `${x.node_name}:${x.status}`).sort()).toEqual([
        "answer:SUCCESS",
        "length:SUCCESS",
        "question:SUCCESS",
      ]);
      expect(run.attributes.size).toBe(6);
    }
    // No attribute was ever sent twice.
    const sent = sentAttributes();
    expect(new Set(sent).size).toBe(sent.length);
    expect(ui.duplicateAttributeErrors).toBe(0);
  }

  for (const [what, fault] of [
    ["a 503 after commit", { status: 503 }],
    ["a reset connection after commit", { reset: true }],
  ] as const) {
    it(`a stored bulk whose answer is lost (${what}) is not stored again; the run finishes and the next one follows`, async () => {
      const { tracker, dr } = trackerWith();
      ui.inject(isBulk, fault);
      await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
      await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
      const report = await tracker.flush({ timeoutMs: 5_000 });
      expect(report).toMatchObject({ complete: true, rejected: 0 });
      // The client asked what the server stored before sending again: at once in the same write
      // when a reused kept-alive connection dropped before the answer, else on the queue's retry.
      expect(ui.requests.some((r) => r.method === "GET" && r.query.has("attr"))).toBe(true);
      if (!("reset" in fault)) expect(tracker.stats.failedWrites).toBeGreaterThan(0);
      expectRunsComplete(2);
      await tracker.shutdown();
    });
  }

  it("an attribute the database keeps refusing is set aside and reported; its run and the runs behind it are delivered", async () => {
    const errors: { error: unknown; context: string }[] = [];
    const { tracker, dr } = trackerWith(errors);
    ui.poison = (a) =>
      a.node_name === "question" && a.name === "result_summary" && JSON.stringify(a).includes("poisoned");
    await dr.execute(["length"], { inputs: { topic: "poisoned", apiKey: "k" } });
    await dr.execute(["length"], { inputs: { topic: "fine", apiKey: "k" } });
    const report = await tracker.flush({ timeoutMs: 5_000 });
    expect(report.complete).toBe(true);
    // Exactly the record the refused attribute came from is set aside; the rest counts as delivered.
    expect(report.rejected).toBe(1);
    expect(report.rejectedRecords).toHaveLength(1);
    expect(report.rejectedRecords[0]).toMatchObject({ type: "node_run", node: "question", status: "SUCCESS" });
    // A template, then per run: its start, a final record per node (3 nodes, and a RUNNING one for
    // a node still running when a batch went out) and its end; all delivered but the refused one.
    expect(tracker.stats.rejected).toBe(1);
    expect(tracker.stats.delivered).toBeGreaterThanOrEqual(1 + 2 * 5 - 1);
    expect(tracker.stats.delivered).toBeLessThanOrEqual(1 + 2 * 8 - 1);
    expect(ui.runs.size).toBe(2);
    const [poisoned, fine] = [...ui.runs.values()];
    for (const run of [poisoned!, fine!]) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.nodes.values()].every((x) => x.status === "SUCCESS")).toBe(true);
    }
    // Everything but the refused attribute is stored.
    expect([...poisoned!.attributes.keys()].sort()).toEqual([
      "answer/result_summary",
      "answer/trace",
      "length/result_summary",
      "length/trace",
      "question/trace",
    ]);
    expect(fine!.attributes.size).toBe(6);
    const rejected = errors.filter((e) => e.context === "rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.error).toMatchObject({ code: "HTTP_ERROR", retryable: false, status: 500 });
    expect((rejected[0]!.error as Error).message).toMatch(
      new RegExp(
        `set aside and the rest was delivered: run [\\w-]+ \\(dag_run ${poisoned!.id}\\): attribute "result_summary" of node "question"\\. Last answer: .*DataError`,
      ),
    );
    expect(ui.duplicateAttributeErrors).toBe(0);
    await tracker.shutdown();
  });

  it("an attribute refused as invalid (HTTP 422) is set aside at once; the attributes sent with it are stored", async () => {
    const errors: { error: unknown; context: string }[] = [];
    const { tracker, dr } = trackerWith(errors);
    ui.poisonStatus = 422;
    ui.poison = (a) => a.node_name === "answer" && a.name === "result_summary";
    await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
    await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
    const report = await tracker.flush({ timeoutMs: 5_000 });
    expect(report.complete).toBe(true);
    expect(tracker.stats.rejected).toBeGreaterThan(0);
    for (const run of ui.runs.values()) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.attributes.keys()].sort()).toEqual([
        "answer/trace",
        "length/result_summary",
        "length/trace",
        "question/result_summary",
        "question/trace",
      ]);
    }
    // Reported once per write: each set-aside attribute is named once, with the answer.
    const messages = errors.filter((e) => e.context === "rejected").map((e) => (e.error as Error).message);
    expect(messages.join("\n").match(/attribute "result_summary" of node "answer"/g)).toHaveLength(2);
    expect(messages[0]).toMatch(
      /refused (an update|2 updates) \(as invalid, or with HTTP 500 3 times after the client had checked what it stored\).*Last answer: .*HTTP 422/,
    );
    await tracker.shutdown();
  });

  it("a server that is down (connection refused) for many retries loses nothing", async () => {
    const reported = calls<[unknown, string]>();
    const { tracker, dr } = trackerWith([], { onError: reported.handler });
    await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
    await tracker.flush();
    await ui.stop();
    await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
    await reported.reached(8, (_, context) => context === "write");
    await ui.start();
    const report = await tracker.flush({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ complete: true, rejected: 0 });
    expectRunsComplete(2);
    await tracker.shutdown();
  });

  it("a gateway answering 502/503/504 for many retries loses nothing", async () => {
    const { tracker, dr } = trackerWith();
    await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
    await tracker.flush();
    for (const status of [502, 503, 504]) {
      ui.inject(isBulk, { status }, 3);
    }
    await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
    const report = await tracker.flush({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ complete: true, rejected: 0 });
    expect(tracker.stats.failedWrites).toBeGreaterThanOrEqual(9);
    expectRunsComplete(2);
    await tracker.shutdown();
  });
});

describe("HamiltonUIClient: a slow server is caught up with", () => {
  const isCreate = (r: LoggedRequest) => r.method === "POST" && r.path === "/api/v1/dag_runs";
  let gate: Gate;
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(() => {
    gate.open();
  });

  function expectEachOnce() {
    expect(ui.problems).toEqual([]);
    for (const run of ui.runs.values()) {
      expect(run.status).toBe("SUCCESS");
      expect([...run.nodes.values()].every((x) => x.status === "SUCCESS")).toBe(true);
      expect(run.attributes.size).toBe(3);
    }
    // Every run was created once, and no acknowledged request was sent again.
    const tags = [...ui.runs.values()].map((r) => (r.body.tags as Record<string, string>).hamilton_ts_run_id);
    expect(new Set(tags).size).toBe(tags.length);
    const ends = ui.calls().filter((c) => /^PUT \/api\/v1\/dag_runs\/\d+\/$/.test(c));
    expect(new Set(ends).size).toBe(ends.length);
    expect(ui.duplicateAttributeErrors).toBe(0);
  }

  it("a run whose create answer was lost (connection reset) is found by its run id tag, not created twice", async () => {
    const { tracker, dr, runIds } = setup();
    ui.inject(isCreate, { reset: true });
    await dr.execute(["length"], { inputs: { topic: "a", apiKey: "k" } });
    await dr.execute(["length"], { inputs: { topic: "b", apiKey: "k" } });
    expect(await tracker.flush({ timeoutMs: 5_000 })).toMatchObject({ complete: true, rejected: 0 });
    expect(ui.runs.size).toBe(2);
    expect(ui.calls()).toContain("GET /api/v1/dag_runs/latest/");
    expectEachOnce();
    const tagged = [...ui.runs.values()].map((r) => (r.body.tags as Record<string, string>).hamilton_ts_run_id);
    expect(tagged).toEqual(runIds);
    await tracker.shutdown();
  });

  it("a create answered too late (a request timeout) is looked up; only what was not acknowledged is sent again", {
    timeout: 60_000,
  }, async () => {
    // Only the held answer may time out: every other request must be answered within timeoutMs,
    // even on a busy machine, or it would be resent (and a run end sent twice).
    const { tracker, dr } = setup({ timeoutMs: 3_000 });
    // The third run's create is stored at once, but its answer is held past the client's timeout.
    let creates = 0;
    ui.inject((r) => isCreate(r) && ++creates === 3, { hold: gate });
    for (let i = 0; i < 5; i++) await dr.execute(["length"], { inputs: { topic: `t${i}`, apiKey: "k" } });
    expect(await tracker.flush({ timeoutMs: 30_000 })).toMatchObject({ complete: true, rejected: 0 });
    expect(gate.waiting).toBe(1);
    expect(ui.runs.size).toBe(5);
    expect(ui.calls().filter((c) => c === "POST /api/v1/dag_runs")).toHaveLength(5);
    expectEachOnce();
    await tracker.shutdown();
  });

  it("a create the server processes after the client looked for it: the duplicate is closed with the run's status, and tagged", {
    timeout: 60_000,
  }, async () => {
    // Only the delayed create may time out (see above).
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER, timeoutMs: 3_000 });
    const tracker = new HamiltonTracker({
      projectId: 1,
      username: USER,
      dagName: "qa",
      sink: client,
      flushIntervalMs: 5,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      onError: () => {},
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const dr = new Builder()
      .withModules({ a: async () => (await released, 1) })
      .withAdapters(tracker)
      .build();
    ui.inject(isCreate, { delay: gate });
    const running = dr.execute(["a"]);
    // The first create times out unprocessed, the lookup finds nothing, the second create is stored.
    await ui.waitFor(isCreate, 2);
    await ui.waitUntil(() => ui.runs.size === 1);
    gate.open();
    await ui.waitUntil(() => ui.runs.size === 2);
    release();
    await running;
    expect(await tracker.flush({ timeoutMs: 30_000 })).toMatchObject({ complete: true, rejected: 0 });
    const [kept, duplicate] = [...ui.runs.values()];
    expect(kept!.status).toBe("SUCCESS");
    expect(kept!.nodes.get("a")!.status).toBe("SUCCESS");
    expect(duplicate!.status).toBe("SUCCESS");
    expect(duplicate!.body.tags).toMatchObject({ hamilton_ts_duplicate_of: String(kept!.id) });
    expect(duplicate!.nodes.size).toBe(0);
    await tracker.shutdown();
  });

  it("a write the tracker gives up on (its signal fires) keeps its progress: the retry sends only the rest", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    // The tracker gives up on a write by firing its signal (sinkTimeoutMs, see the queue's tests).
    // Here it fires once the held answer is waiting, not after a time any other write could take
    // on a busy machine: an end of run sent again would then be a false alarm.
    const giveUp = new AbortController();
    const sink: TrackerSink = {
      write: (projectId, records, options) =>
        client.write(projectId, records, {
          signal: giveUp.signal.aborted ? options.signal : AbortSignal.any([options.signal, giveUp.signal]),
        }),
    };
    void ui
      .waitUntil(() => gate.waiting === 1)
      .then(() =>
        giveUp.abort(new TrackerError("SINK_TIMEOUT", "The tracker's sink did not finish writing in time (test).")),
      );
    const tracker = new HamiltonTracker({
      projectId: 1,
      username: USER,
      dagName: "qa",
      sink,
      flushIntervalMs: 60_000,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      onError: () => {},
    });
    const dr = new Builder().withModules(dataflow).withAdapters(tracker).build();
    // The second run's bulk is stored, but answered only after the write was abandoned.
    let bulks = 0;
    ui.inject((r) => r.path === "/api/v1/dag_runs_bulk" && ++bulks === 2, { hold: gate });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => dr.execute(["length"], { inputs: { topic: `t${i}`, apiKey: "k" } })),
    );
    expect(await tracker.flush({ timeoutMs: 5_000 })).toMatchObject({ complete: true, rejected: 0 });
    expect(tracker.stats.failedWrites).toBeGreaterThan(0);
    expect(ui.runs.size).toBe(4);
    expect(ui.calls().filter((c) => c === "POST /api/v1/dag_runs")).toHaveLength(4);
    expectEachOnce();
    await tracker.shutdown();
  });
});

describe("HamiltonUIClient: errors", () => {
  it("UNAUTHORIZED: a refused API key is not retried, and says what to check", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: "wrong", username: USER });
    const error = await client.write(1, [runRecord("r")], noSignal).catch((e: unknown) => e);
    expect(TrackerError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "UNAUTHORIZED", retryable: false, status: 401 });
    expect((error as Error).message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/phone_home: the Hamilton UI refused user "me@example\.com" \(HTTP 401\)\. Check the username and the API key/,
    );
  });

  it("PROJECT_NOT_FOUND: says to create the project in the UI", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const error = await client.verify(99).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PROJECT_NOT_FOUND", retryable: false, status: 404 });
    expect((error as Error).message).toMatch(
      /projects\/99: the Hamilton UI has no such project \(HTTP 404\)\. Create the project in the UI first/,
    );
  });

  it("HTTP_ERROR: 5xx is retryable, other 4xx is not", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    await client.verify(1);
    ui.mode = 503;
    const e503 = await client.write(1, [templateRecord()], noSignal).catch((e: unknown) => e);
    expect(e503).toMatchObject({ code: "HTTP_ERROR", retryable: true, status: 503 });
    expect((e503 as Error).message).toMatch(
      /answered HTTP 503 \(\{"detail":"boom"\}\)\. The records are kept and retried\./,
    );
    ui.mode = 422;
    const e422 = await client.write(1, [templateRecord()], noSignal).catch((e: unknown) => e);
    expect(e422).toMatchObject({ code: "HTTP_ERROR", retryable: false, status: 422 });
    expect((e422 as Error).message).toMatch(/refused as invalid; these records are discarded/);
  });

  it("SINK_UNAVAILABLE: a server that is not there, with the address to check", async () => {
    await ui.stop();
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const error = await client.verify(1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SINK_UNAVAILABLE", retryable: true });
    expect((error as Error).message).toMatch(
      /could not reach the Hamilton UI \(ECONNREFUSED\)\. Is it running at http:\/\/127\.0\.0\.1:\d+\?/,
    );
  });

  it("SINK_TIMEOUT: a server that does not answer within timeoutMs", async () => {
    ui.mode = "hang";
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER, timeoutMs: 30 });
    const error = await client.verify(1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SINK_TIMEOUT", retryable: true });
    expect((error as Error).message).toMatch(
      /did not answer within 30 ms\. The records are kept and retried; raise timeoutMs/,
    );
  });

  it("BAD_RESPONSE: a server that is not the Hamilton UI", async () => {
    const other: Server = createServer((_req, res) => res.end("<html>hello</html>"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const client = new HamiltonUIClient({
        baseUrl: `http://127.0.0.1:${(other.address() as AddressInfo).port}`,
        username: USER,
      });
      const error = await client.verify(1).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BAD_RESPONSE" });
      expect((error as Error).message).toMatch(
        /the answer is not JSON \(<html>hello<\/html>\)\. Is baseUrl the Hamilton UI's API server\?/,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("UNKNOWN_RUN: a run whose template was never sent is rejected, not retried", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const error = await client
      .write(1, [runRecord("r", "RUNNING", { graphVersion: "nope" })], noSignal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNKNOWN_RUN", retryable: false });
    expect((error as Error).message).toMatch(/run r refers to graph version nope, whose DAG template was never sent/);
  });

  it("a batch given up on part-way names what of it was not delivered (setAside)", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const template = templateRecord();
    const good = runRecord("r1", "RUNNING", { graphVersion: template.graphVersion });
    const orphan = runRecord("r2", "RUNNING", { graphVersion: "nope", dagHash: "other" });
    const after = runRecord("r3", "RUNNING", { graphVersion: template.graphVersion });
    const error = await client.write(1, [template, good, orphan, after], noSignal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNKNOWN_RUN", retryable: false });
    expect(TrackerError.isInstance(error) && error.setAside).toEqual([orphan, after]);
    expect(ui.runs.size).toBe(1);
  });

  it("INVALID_OPTION: username, baseUrl and timeoutMs are checked up front", () => {
    expect(() => new HamiltonUIClient({ baseUrl: ui.baseUrl, username: "" })).toThrow(
      /option "username" is ""; expected the user's email/,
    );
    expect(() => new HamiltonUIClient({ baseUrl: "not a url", username: USER })).toThrow(
      /option "baseUrl" is "not a url", not a URL; expected e\.g\. "http:\/\/localhost:8241"/,
    );
    expect(() => new HamiltonUIClient({ baseUrl: ui.baseUrl, username: USER, timeoutMs: 0 })).toThrow(
      /option "timeoutMs" is 0; expected a positive number/,
    );
  });

  it("a redirect is not followed: x-api-key never reaches the other address, and the error names its host and port", async () => {
    const seen: IncomingMessage["headers"][] = [];
    const other: Server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { "content-type": "application/json" }).end('{"success":true,"id":1}');
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const otherPort = (other.address() as AddressInfo).port;
    try {
      for (const status of [301, 307, 308]) {
        ui.intercept = (_request, res) => {
          res.writeHead(status, { location: `http://localhost:${otherPort}/api/v1/phone_home` }).end();
          return true;
        };
        const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
        const error = await client.write(1, [templateRecord()], noSignal).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "HTTP_ERROR", retryable: false, status });
        expect((error as Error).message).toContain(
          `answered HTTP ${status}, a redirect to localhost, port ${otherPort} (http://localhost:${otherPort})`,
        );
        expect((error as Error).message).toMatch(/does not follow redirects/);
      }
      expect(seen).toEqual([]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("reads at most 1 MB of an answer: a huge body is refused, not held in memory", async () => {
    let written = 0;
    ui.intercept = (_request, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        // 64 MB in all, unless the client stops reading first.
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
      return true;
    };
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    const error = await client.verify(1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BAD_RESPONSE", retryable: false, status: 200 });
    expect((error as Error).message).toMatch(
      /phone_home: the answer is larger than 1048576 bytes; the client reads no more/,
    );
    await ui.waitFor(() => true, 1);
    // The client cancelled the body: the server could not write more than a small part of it.
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it("an error answer that echoes the key is redacted in the error", async () => {
    const client = new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: KEY, username: USER });
    await client.verify(1);
    ui.intercept = (_request, res) => {
      res
        .writeHead(500, { "content-type": "text/plain" })
        .end(
          `${"x".repeat(250)} header Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789 key sk-proj-AAAABBBBCCCCDDDDEEEEFFFF`,
        );
      return true;
    };
    const error = await client.write(1, [templateRecord()], noSignal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "HTTP_ERROR", retryable: true, status: 500 });
    const message = (error as Error).message;
    expect(message).toContain("[REDACTED]");
    expect(message).not.toMatch(/abcdefghijklmnop|AAAABBBB/);
  });

  it("INVALID_OPTION: a baseUrl with a user and password is refused without repeating the password", () => {
    for (const baseUrl of ["http://admin:hunter2-secret@127.0.0.1:8241", "http://admin:hunter2-secret@:bad"]) {
      let error: unknown;
      try {
        new HamiltonUIClient({ baseUrl, username: USER });
      } catch (e) {
        error = e;
      }
      expect(TrackerError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "INVALID_OPTION", retryable: false });
      expect((error as Error).message).toMatch(/option "baseUrl"/);
      expect((error as Error).message).not.toMatch(/hunter2/);
    }
    expect(() => new HamiltonUIClient({ baseUrl: "http://admin:pw@127.0.0.1:8241", username: USER })).toThrow(
      /option "baseUrl", http:\/\/127\.0\.0\.1:8241, holds a user name or password; remove them from the URL and pass the key as option apiKey/,
    );
    expect(
      () => new HamiltonUIClient({ baseUrl: ui.baseUrl, uiUrl: "https://u:hunter2@ui.example", username: USER }),
    ).toThrow(/option "uiUrl", https:\/\/ui\.example:443, holds a user name or password/);
    const saved = process.env.HAMILTON_API_URL;
    process.env.HAMILTON_API_URL = "http://admin:hunter2@127.0.0.1:8241";
    try {
      expect(() => new HamiltonUIClient({ username: USER })).toThrow(
        /option "baseUrl" \(from \$HAMILTON_API_URL\), http:\/\/127\.0\.0\.1:8241, holds a user name/,
      );
    } finally {
      if (saved === undefined) delete process.env.HAMILTON_API_URL;
      else process.env.HAMILTON_API_URL = saved;
    }
  });

  it("accepts a baseUrl with or without /api/v1 and a trailing slash; leaves x-api-key out without a key", async () => {
    const saved = process.env.HAMILTON_API_KEY;
    delete process.env.HAMILTON_API_KEY;
    try {
      const client = new HamiltonUIClient({ baseUrl: `${ui.baseUrl}/api/v1/`, username: USER });
      expect(client.baseUrl).toBe(ui.baseUrl);
      await client.verify(1).catch(() => {});
      expect(ui.requests[0]!.path).toBe("/api/v1/phone_home");
      expect(ui.requests[0]!.headers["x-api-key"]).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.HAMILTON_API_KEY = saved;
    }
  });
});
