import { existsSync } from "node:fs";
import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runFile } from "@hamilton-ts/store";
import { FileSink } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { templateRecord as fullTemplate } from "@hamilton-ts/testing/records";
import { nodeRecord, runRecord } from "../test/records.js";
import { tempDir } from "../test/temp.js";
import { main } from "./cli.js";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  let onOut: ((text: string) => void) | undefined;
  return {
    out,
    err,
    controller,
    /** Resolves with the first output that matches. */
    waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
      const seen = out.join("").match(pattern);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        onOut = () => {
          const match = out.join("").match(pattern);
          if (match) resolve(match);
        };
      });
    },
    io: {
      stdout: (text: string) => {
        out.push(text);
        onOut?.(text);
      },
      stderr: (text: string) => void err.push(text),
      env,
      signal: controller.signal,
    },
  };
}

const TRACE = "0af7651916cd43dd8448eb211c80319c";

async function store(): Promise<string> {
  const dir = await tempDir();
  await new FileSink({ dir, fsync: false }).write("demo", [
    runRecord("run-1", "RUNNING"),
    nodeRecord("run-1", "llmClient", "SUCCESS", { traceId: TRACE, spanId: "1111111111111111" }),
    nodeRecord("run-1", "universalTruth", "FAILURE", {
      startTime: 1_700_000_000_300,
      traceId: TRACE,
      spanId: "2222222222222222",
      error: { type: "Error", message: "bad \u001b[31mred", stack: undefined, cause: undefined },
    }),
    runRecord("run-1", "FAILURE"),
  ]);
  const span = (spanId: string, parentSpanId: string | undefined, name: string, start: number) => ({
    traceId: TRACE,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    kind: 1,
    startTimeUnixNano: `${start}000000`,
    endTimeUnixNano: `${start + 5}000000`,
    attributes: [],
    status: {},
  });
  const line = {
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            spans: [
              span("0000000000000001", undefined, "run-1", 1_700_000_000_000),
              span("2222222222222222", "0000000000000001", "universalTruth", 1_700_000_000_300),
              span("3333333333333333", "2222222222222222", "openai.chat", 1_700_000_000_301),
            ],
          },
        ],
      },
    ],
  };
  await appendFile(join(dir, "traces.jsonl"), `${JSON.stringify(line)}\n`);
  return dir;
}

describe("hamilton-ts-ui", () => {
  it("runs: prints the runs list", async () => {
    const dir = await store();
    const t = io();
    expect(await main(["runs", "--dir", dir], t.io)).toBe(0);
    const text = t.out.join("");
    expect(text).toMatch(/^RUN\s+PROJECT\s+DAG\s+STATUS/);
    expect(text).toMatch(/run-1\s+demo\s+dag\s+FAILURE\s+2023-11-14 22:13:20\s+1.00 s\s+2\s+1/);
  });

  it("show: prints node runs and the trace tree, with control characters escaped", async () => {
    const dir = await store();
    const t = io();
    expect(await main(["show", "run-1", "--dir", dir], t.io)).toBe(0);
    const text = t.out.join("");
    expect(text).toContain("Run run-1 · project demo · dag · FAILURE");
    expect(text).toMatch(/llmClient\s+-\s+SUCCESS/);
    expect(text).toContain("universalTruth failed: Error: bad \\x1b[31mred");
    expect(text).not.toContain("\u001b");
    expect(text).toContain("Trace:\n  run-1 (5 ms)\n    universalTruth (5 ms)\n      openai.chat (5 ms)\n");
    const missing = io();
    expect(await main(["show", "nope", "--dir", dir], missing.io)).toBe(1);
    expect(missing.err.join("")).toMatch(/RUN_NOT_FOUND.*no run "nope"/);
  });

  it("show: a hostile span id, repeated exports and self-parented spans print each span once", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("demo", [
      runRecord("run-2", "RUNNING"),
      nodeRecord("run-2", "n", "SUCCESS", { traceId: TRACE, spanId: "\u001b[2Jevil" }),
      runRecord("run-2", "SUCCESS"),
    ]);
    const span = (spanId: string, parentSpanId: string | undefined, name: string) => ({
      traceId: TRACE,
      spanId,
      ...(parentSpanId === undefined ? {} : { parentSpanId }),
      name,
      startTimeUnixNano: "1700000000000000000",
      endTimeUnixNano: "1700000000005000000",
    });
    const line = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                span("0000000000000001", undefined, "root"),
                span("0000000000000002", "0000000000000001", "child"),
                span("0000000000000003", "0000000000000002", "grandchild"),
                span("0000000000000009", "0000000000000009", "self"),
                span("000000000000000a", "000000000000000b", "cycle-a"),
                span("000000000000000b", "000000000000000a", "cycle-b"),
              ],
            },
          ],
        },
      ],
    });
    // The same export three times, as an exporter that retries it writes.
    await appendFile(join(dir, "traces.jsonl"), `${line}\n${line}\n${line}\n`);
    const t = io();
    expect(await main(["show", "run-2", "--dir", dir], t.io)).toBe(0);
    const text = t.out.join("");
    expect(text).not.toContain("\u001b");
    expect(text).toContain("\\x1b[2Jevil");
    const trace = text.slice(text.indexOf("Trace:\n"));
    expect(trace.match(/^ +\S+ \(5 ms\)/gm)?.map((l) => l.trim().split(" ")[0])).toEqual([
      "root",
      "child",
      "grandchild",
      "self",
      "cycle-a",
      "cycle-b",
    ]);
    expect(trace).toContain("\n  root (5 ms)\n    child (5 ms)\n      grandchild (5 ms)\n");
  });

  it("serves, prints its URL, and closes when stopped", async () => {
    const dir = await store();
    const t = io();
    const done = main(["--dir", dir, "--port", "0"], t.io);
    const [, url] = await t.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/);
    const res = await fetch(`${url}/api/runs`);
    expect(((await res.json()) as { runs: unknown[] }).runs).toHaveLength(1);
    t.controller.abort();
    expect(await done).toBe(0);
    expect(t.out.join("")).toContain("hamilton-ts-ui: closed");
    await expect(fetch(`${url}/api/runs`)).rejects.toThrow();
  });

  it("runs, show and prune ask the server that holds the store's lock; the server deletes the pruned run's file", async () => {
    const dir = await store();
    await new FileSink({ dir, fsync: false }).write("demo", [
      runRecord("recent", "SUCCESS", { startTime: Date.now() - 1000 }),
    ]);
    const server = io();
    const done = main(["--dir", dir, "--port", "0"], server.io);
    const [, url] = await server.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/);
    try {
      const list = io();
      expect(await main(["runs", "--dir", dir], list.io)).toBe(0);
      expect(list.out.join("")).toMatch(/run-1\s+demo\s+dag\s+FAILURE/);
      const shown = io();
      expect(await main(["show", "run-1", "--dir", dir], shown.io)).toBe(0);
      expect(shown.out.join("")).toContain(
        "Trace:\n  run-1 (5 ms)\n    universalTruth (5 ms)\n      openai.chat (5 ms)\n",
      );
      // The index cannot be opened by another process meanwhile: the server holds the store.
      const reindex = io();
      expect(await main(["reindex", "--dir", dir], reindex.io)).toBe(1);
      expect(reindex.err.join("")).toMatch(/STORE_LOCKED/);

      const pruned = io();
      expect(await main(["prune", "--older-than", "1h", "--dir", dir], pruned.io)).toBe(0);
      expect(pruned.out.join("")).toMatch(/pruned 1 finished run that started before/);
      expect(existsSync(runFile(dir, "demo", "run-1"))).toBe(false);
      const after = (await (await fetch(`${url}/api/runs`)).json()) as { runs: { runId: string }[] };
      expect(after.runs.map((r) => r.runId)).toEqual(["recent"]);
    } finally {
      server.controller.abort();
      expect(await done).toBe(0);
    }
  });

  it("--retain-days reaches the server: a finished run older than that is deleted once the store is indexed", async () => {
    const dir = await store(); // run-1 started in 2023
    await new FileSink({ dir, fsync: false }).write("demo", [
      runRecord("recent", "SUCCESS", { startTime: Date.now() - 1000 }),
    ]);
    const server = io();
    const done = main(["--dir", dir, "--port", "0", "--retain-days", "30"], server.io);
    const [, url] = await server.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/);
    try {
      // The sweep runs once the store is indexed (meanwhile the list may be partial or hold run-1).
      let ids: string[] = [];
      do {
        const page = (await (await fetch(`${url}/api/runs`)).json()) as { runs: { runId: string }[] };
        ids = page.runs.map((r) => r.runId);
      } while (ids.includes("run-1") || !ids.includes("recent"));
      expect(ids).toEqual(["recent"]);
      expect(existsSync(runFile(dir, "demo", "run-1"))).toBe(false);
    } finally {
      server.controller.abort();
      expect(await done).toBe(0);
    }
  });

  it("--prices prices.json: the runs' LLM cost uses the file's prices over the shipped table; a bad file is refused", async () => {
    const dir = await tempDir();
    const trace = "b".repeat(32);
    await new FileSink({ dir, fsync: false }).write("demo", [
      runRecord("r-llm", "SUCCESS"),
      nodeRecord("r-llm", "ask", "SUCCESS", { traceId: trace, spanId: "4444444444444444" }),
    ]);
    const attr = (key: string, value: Record<string, unknown>) => ({ key, value });
    const span = (spanId: string, parentSpanId: string | undefined, attributes: unknown[]) => ({
      traceId: trace,
      spanId,
      ...(parentSpanId === undefined ? {} : { parentSpanId }),
      name: spanId,
      kind: 1,
      startTimeUnixNano: "1700000000000000000",
      endTimeUnixNano: "1700000000005000000",
      attributes,
      status: {},
    });
    const spans = [
      span("4444444444444444", undefined, [attr("hamilton.node.name", { stringValue: "ask" })]),
      span("5555555555555555", "4444444444444444", [
        attr("gen_ai.response.model", { stringValue: "my-house-model" }),
        attr("gen_ai.usage.input_tokens", { intValue: "1000" }),
        attr("gen_ai.usage.output_tokens", { intValue: "500" }),
      ]),
    ];
    await appendFile(
      join(dir, "traces.jsonl"),
      `${JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] })}\n`,
    );
    const prices = join(dir, "prices.json");
    await writeFile(prices, JSON.stringify({ "my-house-*": { input: 2, output: 4 } }));
    const server = io();
    const done = main(["--dir", dir, "--port", "0", "--prices", prices], server.io);
    const [, url] = await server.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/);
    try {
      type Detail = { run: { llm?: { calls: number; costUsd: number | null } } };
      let detail: Detail;
      do detail = (await (await fetch(`${url}/api/runs/r-llm`)).json()) as Detail;
      while (detail.run.llm === undefined || detail.run.llm.calls === 0);
      // 1,000 input tokens at $2 and 500 output tokens at $4 per million.
      expect(detail.run.llm).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 500, costUsd: 0.004 });
    } finally {
      server.controller.abort();
      expect(await done).toBe(0);
    }

    await writeFile(prices, JSON.stringify({ "my-house-*": { input: "two", output: 4 } }));
    const bad = io();
    expect(await main(["--dir", dir, "--port", "0", "--prices", prices], bad.io)).toBe(1);
    expect(bad.err.join("")).toMatch(/prices\.json.*"my-house-\*" input "two": it must be a number/);
  });

  it("refuses a non-loopback host without a key; takes the key from HAMILTON_TS_UI_API_KEY", async () => {
    const dir = await tempDir();
    const refused = io();
    expect(await main(["--dir", dir, "--port", "0", "--host", "0.0.0.0"], refused.io)).toBe(1);
    expect(refused.err.join("")).toMatch(/\[API_KEY_REQUIRED\].*0\.0\.0\.0/);

    const t = io({ HAMILTON_TS_UI_API_KEY: "s3cret" });
    const done = main(["--dir", dir, "--port", "0", "--host", "0.0.0.0"], t.io);
    const [, url] = await t.waitFor(/at (http:\/\/[\d.]+:\d+)\n/);
    expect((await fetch(`${url}/api/runs`)).status).toBe(401);
    expect((await fetch(`${url}/api/runs`, { headers: { "x-api-key": "s3cret" } })).status).toBe(200);
    t.controller.abort();
    expect(await done).toBe(0);
  });

  it("explains bad arguments", async () => {
    const t = io();
    expect(await main(["--port", "abc"], t.io)).toBe(1);
    expect(t.err.join("")).toMatch(/--port "abc"/);
    const u = io();
    expect(await main(["--nope"], u.io)).toBe(2);
    expect(u.err.join("")).toMatch(/Usage:/);
    const v = io();
    expect(await main(["frobnicate"], v.io)).toBe(1);
    expect(v.err.join("")).toMatch(/unknown command "frobnicate"/);
  });

  it("refuses an API key from HAMILTON_TS_UI_API_KEY with a trailing newline (as read from a file), saying so", async () => {
    const dir = await tempDir();
    const v = io({ HAMILTON_TS_UI_API_KEY: "k-123\n" });
    expect(await main(["--dir", dir, "--port", "0"], v.io)).toBe(1);
    expect(v.err.join("")).toMatch(/\[INVALID_OPTION\].*API key.*whitespace at its start or end/);
    expect(v.out.join("")).not.toMatch(/serving/);
  });

  it("prints the default store directory in its usage", async () => {
    const v = io();
    expect(await main(["--help"], v.io)).toBe(0);
    expect(v.out.join("")).toContain("[--dir .hamilton-ts]");
  });
});

describe("hamilton-ts-ui runs filters and compare", () => {
  const num = (value: number) => ({ kind: "primitive", type: "number", value }) as const;
  const recent = Date.now() - 60_000;

  /** Three runs of `dag` (A, B on v1, C on v2 where `c`'s code changed) and an old run of `other`. */
  async function compareStore(): Promise<string> {
    const dir = await tempDir();
    const v1 = fullTemplate({ graphVersion: "v1" });
    const v2 = fullTemplate({
      graphVersion: "v2",
      nodes: [v1.nodes[0]!, { ...v1.nodes[1]!, version: "vc2", source: "({ a }) => a * 2" }],
    });
    const run = (id: string, version: string, x: number, c: number, start: number) => [
      runRecord(id, "SUCCESS", {
        graphVersion: version,
        inputs: { x: num(x) },
        tags: { team: "search" },
        startTime: start,
      }),
      nodeRecord(id, "a", "SUCCESS", { result: num(x) }),
      nodeRecord(id, "c", "SUCCESS", { result: num(c), durationMs: c * 100 }),
      ...[10, 2].map((i) => nodeRecord(id, "m", "SUCCESS", { taskId: String(i), result: num(i) })),
    ];
    await new FileSink({ dir, fsync: false }).write("demo", [
      v1,
      v2,
      ...run("A", "v1", 1, 1, recent),
      ...run("B", "v1", 2, 1, recent + 1000),
      ...run("C", "v2", 1, 2, recent + 2000),
      runRecord("old", "FAILURE", { dagName: "other", tags: { team: "ads" } }),
      nodeRecord("old", "universalTruth", "FAILURE"),
    ]);
    return dir;
  }

  it("refuses bad input with exit code 2 and a message saying what, where and how", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["compare", "A"],
        /compare: only one run id \("A"\) is given; compare takes 2 to 10 runs\. Usage: hamilton-ts-ui compare/,
      ],
      [
        ["compare", ...Array.from({ length: 11 }, (_, i) => `r${i}`)],
        /11 run ids are given; compare takes at most 10 runs/,
      ],
      [["compare", "A", "A"], /run "A" is given twice/],
      [["runs", "--since", "yesterday"], /--since "yesterday": expected a time back from now .* or an ISO date/],
      [["runs", "--since", "7x"], /--since "7x"/],
      [["runs", "--tag", "nocolon"], /--tag "nocolon": expected key:value/],
    ];
    for (const [args, message] of cases) {
      const t = io();
      expect(await main([...args, "--dir", "/nonexistent-store"], t.io), args.join(" ")).toBe(2);
      expect(t.err.join(""), args.join(" ")).toMatch(message);
    }
  });

  it("runs --q, --tag and --since narrow the list as the page's list does; compare prints what changed and the node runs side by side", async () => {
    const dir = await compareStore();
    const server = io();
    const done = main(["--dir", dir, "--port", "0"], server.io);
    const [, url] = await server.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/);
    try {
      const listed = async (...args: string[]) => {
        const t = io();
        expect(await main(["runs", "--dir", dir, "--json", ...args], t.io)).toBe(0);
        return (JSON.parse(t.out.join("")) as { runs: { runId: string }[] }).runs.map((r) => r.runId);
      };
      expect(await listed()).toEqual(["C", "B", "A", "old"]);
      expect(await listed("--since", "7d")).toEqual(["C", "B", "A"]);
      expect(await listed("--since", new Date(recent + 500).toISOString())).toEqual(["C", "B"]);
      expect(await listed("--tag", "team:ads")).toEqual(["old"]);
      expect(await listed("--q", "UNIVERSAL")).toEqual(["old"]);
      // The same answers as the page's list asks for.
      const page = (await (await fetch(`${url}/api/runs?q=universal&tag=team:ads`)).json()) as {
        runs: { runId: string }[];
      };
      expect(page.runs.map((r) => r.runId)).toEqual(await listed("--q", "universal", "--tag", "team:ads"));

      const t = io();
      expect(await main(["compare", "A", "B", "C", "--dir", dir], t.io)).toBe(0);
      const text = t.out.join("");
      expect(text).toContain("What changed:\n");
      expect(text).toContain("  parameters: graph version (v1 → v1 → v2), input x (1 → 2 → 1)\n");
      expect(text).toContain("  code changed: c\n");
      expect(text).toContain("  results changed: a, c (2)\n");
      expect(text).toContain("  slowest node: c: A 100 ms, B 100 ms (±0%), C 200 ms (+100%)\n");
      expect(text).toMatch(/\n {2}\* +input x +1 +2 +1\n/);
      // Fan-out items in numeric order, each node's first line marking what differs.
      const nodeLines = text.slice(text.indexOf("Node runs")).split("\n");
      const named = nodeLines.filter((l) => /^ {2}[* ] {2}\S/.test(l));
      expect(named.map((l) => `${l[2]}${l.slice(5).split(/\s{2,}/)[0]}`)).toEqual([
        " NODE",
        "*a",
        "*c",
        " m [2]",
        " m [10]",
      ]);
      expect(named[2]).toMatch(/^ {2}\* {2}c +A +SUCCESS +100 ms +1 +duration,result,code$/);
      const json = io();
      expect(await main(["compare", "A", "C", "--dir", dir, "--json"], json.io)).toBe(0);
      const parsed = JSON.parse(json.out.join(""));
      expect(parsed.summary.codeChanged).toEqual(["c"]);
      expect(parsed.codeChanges[0].sources).toEqual(["({ a }) => a", "({ a }) => a * 2"]);
      const unknown = io();
      expect(await main(["compare", "A", "nope", "--dir", dir], unknown.io)).toBe(2);
      expect(unknown.err.join("")).toMatch(
        /RUN_NOT_FOUND.*compare: no run "nope" in .* \(run 2 of 2\); hamilton-ts-ui runs lists them/,
      );
    } finally {
      server.controller.abort();
      expect(await done).toBe(0);
    }
    // With no server running, compare opens the store's index itself.
    const own = io();
    expect(await main(["compare", "B", "C", "--dir", dir], own.io)).toBe(0);
    expect(own.out.join("")).toContain("code changed: c");
  });
});
