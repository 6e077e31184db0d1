// Traceloop's initialize() registers the global tracer provider, context manager and propagator
// for the whole process, so this test has a file (and so a vitest worker) of its own.
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { startLocalOpenAI } from "@hamilton-ts/local-openai";
import type { LocalOpenAI } from "@hamilton-ts/local-openai";
import * as traceloop from "@traceloop/node-server-sdk";
import { OpenAI } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenTelemetryTracer } from "./tracer.js";
import { spanQueries } from "../test/span-queries.js";

type InstrumentModules = NonNullable<Parameters<typeof traceloop.initialize>[0]>["instrumentModules"];

const exporter = new InMemorySpanExporter();
traceloop.initialize({
  appName: "hamilton-ts-test",
  exporter,
  disableBatch: true, // a SimpleSpanProcessor: spans are exported as they end
  traceloopSyncEnabled: false, // offline: the prompt-registry fetch would crash the process
  silenceInitializationMessage: true,
  // Explicit instrumentation works for ESM and whatever the import order. The cast bridges
  // Traceloop's CJS view of openai's types and this ESM one (same class at runtime).
  instrumentModules: { openAI: OpenAI } as unknown as InstrumentModules,
});

let server: LocalOpenAI;
let client: OpenAI;
beforeAll(async () => {
  server = await startLocalOpenAI({
    latencyMs: 0,
    failWith: (request) =>
      request.model === "missing-model"
        ? { status: 404, message: "The model `missing-model` does not exist" }
        : undefined,
  });
  client = new OpenAI({ apiKey: "test-key", baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await traceloop.forceFlush();
  await server.close();
});
beforeEach(() => exporter.reset());

const { spans, one, parentName } = spanQueries(exporter);

// The first test pays for what loads lazily on first use (the openai client's modules, Traceloop's
// instrumentation, the SDK's resource detection awaited by forceFlush): on a machine running every
// package's tests at once that took over the default 20 s, so the tests here wait on events with a
// budget of their own.
describe("OpenTelemetryTracer with Traceloop and the openai client", { timeout: 120_000 }, () => {
  it("nests each node's OpenAI chat span under that node, also for concurrent nodes", async () => {
    // Both nodes have started before either calls OpenAI: the two calls are in flight together.
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const waitForBoth = () => (++started === 2 && release(), bothStarted);
    let promptTokens: number | undefined;
    const dr = new Builder()
      .withModules({
        llmClient: () => client,
        universalTruth: async ({ llmClient }: { llmClient: OpenAI }) => {
          await waitForBoth();
          const reply = await llmClient.chat.completions.create({
            model: "gpt-4o-mini",
            messages: [
              { role: "system", content: "You are a benevolent all-knowing being" },
              { role: "user", content: "Please center my HTML <div> tag" },
            ],
          });
          promptTokens = reply.usage?.prompt_tokens;
          return reply.choices[0]?.message.content ?? "";
        },
        moonFact: async ({ llmClient }: { llmClient: OpenAI }) => {
          await waitForBoth();
          const stream = await llmClient.chat.completions.create({
            model: "gpt-4o",
            stream: true,
            messages: [{ role: "user", content: "Who was the first person on the moon?" }],
          });
          let text = "";
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
          return text;
        },
      })
      .withAdapters(new OpenTelemetryTracer({ workflowName: "universal-truth" }))
      .build();
    const out = await dr.execute(["universalTruth", "moonFact"]);
    await traceloop.forceFlush(); // exports wait for the SDK's resource detection to settle
    expect(out.universalTruth).toContain("display: flex");
    expect(out.moonFact).toContain("Neil Armstrong");
    expect(server.requests).toHaveLength(2);
    expect(promptTokens).toBeGreaterThan(10); // two messages' worth, so the check below means something

    const chat = one("chat gpt-4o-mini");
    const streamed = one("chat gpt-4o");
    expect(parentName(chat)).toBe("universalTruth");
    expect(parentName(streamed)).toBe("moonFact");
    expect(parentName(one("universalTruth"))).toBe("hamilton.run");
    expect(parentName(one("hamilton.run"))).toBe("ROOT");
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(chat.attributes).toMatchObject({
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": promptTokens, // what the server counted and returned
    });
    expect(one("hamilton.run").attributes).toMatchObject({
      "traceloop.span.kind": "workflow",
      "traceloop.workflow.name": "universal-truth",
    });
    expect(one("universalTruth").attributes).toMatchObject({
      "traceloop.span.kind": "task",
      "traceloop.entity.name": "universalTruth",
      "traceloop.workflow.name": "universal-truth",
    });
  });

  it("carries Traceloop association properties set around execute onto the run's spans", async () => {
    const dr = new Builder()
      .withModules({
        greet: async () =>
          (
            await client.chat.completions.create({
              model: "gpt-4o-mini",
              messages: [{ role: "user", content: "hello" }],
            })
          ).id,
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await traceloop.withAssociationProperties({ user_id: "u-42" }, () => dr.execute(["greet"]));
    await traceloop.forceFlush();
    for (const name of ["hamilton.run", "greet", "chat gpt-4o-mini"]) {
      expect(one(name).attributes["traceloop.association.properties.user_id"], name).toBe("u-42");
    }
  });

  it("records a failed OpenAI call on the node span, which has no LLM span to carry it", async () => {
    const dr = new Builder()
      .withModules({
        answer: async () => {
          await client.chat.completions.create({ model: "missing-model", messages: [{ role: "user", content: "hi" }] });
          return "unreachable";
        },
      })
      .withAdapters(new OpenTelemetryTracer())
      .build();
    const error = await dr.execute(["answer"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    await traceloop.forceFlush();
    const answer = one("answer");
    expect(answer.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining("The model `missing-model` does not exist"),
    });
    expect(answer.attributes["error.type"]).toBe("NotFoundError");
    expect(one("hamilton.run").status.code).toBe(SpanStatusCode.ERROR);
  });
});
