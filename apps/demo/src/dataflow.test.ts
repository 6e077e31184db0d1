import { Builder, NodeExecutionError } from "@hamilton-ts/core";
import { defaultAnswer, startLocalOpenAI } from "@hamilton-ts/local-openai";
import type { ChatCompletionRequest, LocalOpenAI } from "@hamilton-ts/local-openai";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as dataflow from "./dataflow.js";
import {
  cssSnippet,
  digest,
  followUpAnswer,
  followUpQuestions,
  haiku,
  joke,
  llmClient,
  universalTruth,
} from "./dataflow.js";
import { FOLLOW_UP_QUESTIONS } from "./prompts.js";

let server: LocalOpenAI;
let client: OpenAI;
/** Set by a test to hold answers until it releases them. */
let gate: ((request: ChatCompletionRequest) => Promise<void>) | undefined;

beforeAll(async () => {
  server = await startLocalOpenAI({
    latencyMs: 0,
    answer: async (request) => {
      await gate?.(request);
      return defaultAnswer(request);
    },
    failWith: (request) =>
      request.model === "broken-model"
        ? { status: 400, message: "The model `broken-model` does not exist" }
        : undefined,
  });
  client = new OpenAI({ apiKey: "test", baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => {
  gate = undefined;
});

const chatBodies = (): ChatCompletionRequest[] =>
  server.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => r.body as ChatCompletionRequest);

describe("llmClient", () => {
  it("makes an openai client for the given base URL", () => {
    const made = llmClient({ openaiBaseUrl: server.baseURL });
    expect(made).toBeInstanceOf(OpenAI);
    expect(made.baseURL).toBe(server.baseURL);
  });
});

describe("universalTruth", () => {
  it("asks the seed's question with the seed's system prompt and returns the answer", async () => {
    const before = chatBodies().length;
    const text = await universalTruth({ llmClient: client });
    expect(text).toContain("display: flex");
    const body = chatBodies()[before]!;
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.messages).toEqual([
      { role: "system", content: "You are a benevolent all-knowing being" },
      { role: "user", content: "Please center my HTML <div> tag" },
    ]);
  });

  it("uses the model it is given", async () => {
    const before = chatBodies().length;
    await universalTruth({ llmClient: client, model: "gpt-4.1-mini" });
    expect(chatBodies()[before]!.model).toBe("gpt-4.1-mini");
  });

  it("rejects with the API's error when the call fails", async () => {
    await expect(universalTruth({ llmClient: client, model: "broken-model" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("The model `broken-model` does not exist"),
    });
  });
});

describe("the other LLM nodes", () => {
  it("haiku returns the model's haiku", async () => {
    expect(await haiku({ llmClient: client })).toMatch(/^Functions name their needs,/);
  });

  it("joke streams its answer and joins the chunks", async () => {
    const before = chatBodies().length;
    expect(await joke({ llmClient: client })).toBe("Why do programmers prefer dark mode? Because light attracts bugs.");
    expect(chatBodies()[before]!.stream).toBe(true);
  });

  it("followUpAnswer pairs the question with its answer", async () => {
    const question = "What is the capital of France?";
    expect(await followUpAnswer({ llmClient: client, followUpQuestion: question })).toEqual({
      question,
      answer: "The capital of France is Paris, which is also its largest city.",
    });
  });
});

describe("plain nodes", () => {
  it("cssSnippet takes the CSS code block out of the answer", () => {
    expect(cssSnippet({ universalTruth: "Do this:\n\n```css\n.a { margin: 0 auto; }\n```\nDone." })).toBe(
      ".a { margin: 0 auto; }",
    );
  });

  it("cssSnippet falls back to the whole answer when it has no code block", () => {
    expect(cssSnippet({ universalTruth: "  Use margin: 0 auto.  " })).toBe("Use margin: 0 auto.");
  });

  it("followUpQuestions lists a fresh copy of the questions", () => {
    const questions = followUpQuestions();
    expect(questions).toEqual(FOLLOW_UP_QUESTIONS);
    expect(questions).not.toBe(FOLLOW_UP_QUESTIONS);
  });

  it("digest joins everything, each follow-up answer cut to its first sentence", () => {
    const text = digest({
      cssSnippet: ".p { display: grid; }",
      haiku: "a\nb\nc",
      joke: "A joke.",
      followUpAnswers: [
        { question: "Q1?", answer: "First. Second." },
        { question: "Q2?", answer: "No end" },
      ],
    });
    expect(text).toBe(
      [
        "## Centering a <div>",
        "```css",
        ".p { display: grid; }",
        "```",
        "## A haiku",
        "a\nb\nc",
        "## A joke",
        "A joke.",
        "## Follow-up questions",
        "- **Q1?** First.",
        "- **Q2?** No end",
      ].join("\n"),
    );
  });
});

describe("the whole dataflow", () => {
  it("runs every LLM call at once (three nodes and the three fan-out items) and joins them", async () => {
    // Each answer waits until all six calls have arrived: run one at a time, they never would.
    const expected = 3 + FOLLOW_UP_QUESTIONS.length;
    let arrived = 0;
    let release!: () => void;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    const safety = setTimeout(release, 5_000); // a sequential run fails the assertion below, not the test timeout
    gate = () => (++arrived === expected && release(), allArrived);

    const dr = new Builder().withModules(dataflow).build();
    const { digest: text, universalTruth: truth } = await dr.execute(["digest", "universalTruth"], {
      inputs: { openaiBaseUrl: server.baseURL },
    });
    clearTimeout(safety);
    expect(arrived).toBe(expected);
    expect(truth).toContain("display: flex");
    expect(text).toContain("## A joke\nWhy do programmers prefer dark mode?");
    expect(text).toContain(
      "- **Who was the first person to walk on the moon?** Neil Armstrong was the first person to walk on the Moon",
    );
  });

  it("fails with a NodeExecutionError naming the node whose LLM call failed", async () => {
    const dr = new Builder().withModules(dataflow).build();
    const error = await dr
      .execute(["universalTruth"], { inputs: { openaiBaseUrl: server.baseURL, model: "broken-model" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).nodeName).toBe("universalTruth");
    expect(((error as NodeExecutionError).cause as Error).message).toContain("broken-model");
  });
});
