// OpenSpanCloser with the real Traceloop SDK and its OpenAI instrumentation, against the local
// OpenAI server failing calls. initialize() registers process-wide globals: a file of its own.
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { startLocalOpenAI } from "@hamilton-ts/local-openai";
import type { LocalOpenAI } from "@hamilton-ts/local-openai";
import * as traceloop from "@traceloop/node-server-sdk";
import { OpenAI } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ATTR_SPAN_ENDED_BY, ENDED_BY_OPEN_SPAN_CLOSER, OpenSpanCloser } from "./open-span-closer.js";
import { OpenTelemetryTracer } from "./tracer.js";
import { spanQueries } from "../test/span-queries.js";

type InstrumentModules = NonNullable<Parameters<typeof traceloop.initialize>[0]>["instrumentModules"];

const exporter = new InMemorySpanExporter();
const closer = new OpenSpanCloser();
traceloop.initialize({
  appName: "hamilton-ts-test",
  exporter,
  disableBatch: true,
  traceloopSyncEnabled: false, // offline: the prompt-registry fetch would crash the process
  silenceInitializationMessage: true,
  instrumentModules: { openAI: OpenAI } as unknown as InstrumentModules,
  processor: closer,
});

const FAILING_PROMPT = "Please center my HTML <div> tag";
let server: LocalOpenAI;
beforeAll(async () => {
  server = await startLocalOpenAI({
    latencyMs: 0,
    failWith: (request) => {
      if (request.model === "rate-limited-model") return { status: 429, message: "Rate limit reached for requests" };
      if (request.messages.some((m) => m.content === FAILING_PROMPT))
        return { status: 500, message: "The server had an error while processing your request." };
      return undefined;
    },
  });
});
afterAll(async () => {
  await traceloop.forceFlush();
  await server.close();
});
beforeEach(() => exporter.reset());

const { one, parentName } = spanQueries(exporter);

function askingNode(client: OpenAI, model: string, prompt: string) {
  return {
    answer: async () => {
      const reply = await client.chat.completions.create({ model, messages: [{ role: "user", content: prompt }] });
      return reply.choices[0]?.message.content ?? "";
    },
  };
}

describe("OpenSpanCloser with Traceloop's OpenAI instrumentation", () => {
  it("exports the chat span of a call that failed with a 500, as ERROR under its node, with prompt and model", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseURL, maxRetries: 0 });
    const dr = new Builder()
      .withModules(askingNode(client, "gpt-4o-mini", FAILING_PROMPT))
      .withAdapters(new OpenTelemetryTracer())
      .build();
    const error = await dr.execute(["answer"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    await traceloop.forceFlush();

    const chat = one("chat gpt-4o-mini");
    expect(parentName(chat)).toBe("answer");
    const message = "500 The server had an error while processing your request.";
    expect(one("answer").status).toEqual({ code: SpanStatusCode.ERROR, message });
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message });
    expect(chat.attributes).toMatchObject({
      "gen_ai.request.model": "gpt-4o-mini",
      "error.type": "InternalServerError",
      [ATTR_SPAN_ENDED_BY]: ENDED_BY_OPEN_SPAN_CLOSER,
    });
    expect(String(chat.attributes["gen_ai.input.messages"])).toContain(FAILING_PROMPT);
    expect(closer.openSpans).toBe(0);
  });

  it("exports the chat span of a 429 that the client retried and that failed in the end", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseURL, maxRetries: 1 });
    const before = server.requests.length;
    const dr = new Builder()
      .withModules(askingNode(client, "rate-limited-model", "What is a haiku?"))
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await expect(dr.execute(["answer"])).rejects.toThrow("429 Rate limit reached for requests");
    await traceloop.forceFlush();
    expect(server.requests.length - before).toBe(2); // the first try and one retry

    const chat = one("chat rate-limited-model");
    expect(parentName(chat)).toBe("answer");
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: "429 Rate limit reached for requests" });
    expect(chat.attributes).toMatchObject({
      "gen_ai.request.model": "rate-limited-model",
      "error.type": "RateLimitError",
      [ATTR_SPAN_ENDED_BY]: ENDED_BY_OPEN_SPAN_CLOSER,
    });
    expect(String(chat.attributes["gen_ai.input.messages"])).toContain("What is a haiku?");
  });

  it("leaves the chat span of a call that succeeded as the instrumentation ended it", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseURL, maxRetries: 0 });
    const dr = new Builder()
      .withModules(askingNode(client, "gpt-4o-mini", "Who was the first person on the moon?"))
      .withAdapters(new OpenTelemetryTracer())
      .build();
    await dr.execute(["answer"]);
    await traceloop.forceFlush();
    const chat = one("chat gpt-4o-mini");
    expect(parentName(chat)).toBe("answer");
    expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(chat.attributes[ATTR_SPAN_ENDED_BY]).toBeUndefined();
    expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    expect(closer.openSpans).toBe(0);
  });
});
