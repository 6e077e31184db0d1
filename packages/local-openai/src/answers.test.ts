import { describe, expect, it } from "vitest";
import { defaultAnswer, lastUserMessage } from "./answers.js";
import { defaultLatencyMs } from "./server.js";
import type { ChatCompletionRequest } from "./types.js";

const ask = (content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are helpful" },
    { role: "user", content },
  ],
  ...extra,
});

describe("defaultAnswer", () => {
  it("gives real short answers to well-known questions", () => {
    expect(defaultAnswer(ask("Please center my HTML <div> tag"))).toContain("justify-content: center");
    expect(defaultAnswer(ask("How do I centre text with CSS?"))).toContain("display: flex");
    expect(defaultAnswer(ask("Who was the first man to walk on the Moon?"))).toContain("Neil Armstrong");
    expect(defaultAnswer(ask("What is the meaning of life?"))).toContain("42");
    expect(defaultAnswer(ask("What's the capital of France?"))).toContain("Paris");
    expect(defaultAnswer(ask("hi!"))).toMatch(/^Hello!/);
  });

  it("matches whole words, not fragments", () => {
    // "this" and "history" contain "hi" but are no greeting.
    expect(defaultAnswer(ask("Tell me this history"))).not.toMatch(/^Hello!/);
  });

  it("falls back to a plausible reply that quotes the question, the same every time", () => {
    const answer = defaultAnswer(ask("How should I name my variables?"));
    expect(answer).toContain('"How should I name my variables?"');
    expect(defaultAnswer(ask("How should I name my variables?"))).toBe(answer);
  });

  it("shortens a long question in the fallback reply", () => {
    const answer = defaultAnswer(ask("word ".repeat(40)));
    expect(answer).toContain("...");
    expect(answer.length).toBeLessThan(300);
  });

  it("reads the last user message, text parts included", () => {
    const request: ChatCompletionRequest = {
      model: "m",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "reply" },
        {
          role: "user",
          content: [{ type: "text", text: "tell me a" }, { type: "image_url" }, { type: "text", text: "joke" }],
        },
      ],
    };
    expect(lastUserMessage(request)).toBe("tell me a\njoke");
    expect(defaultAnswer(request)).toContain("bugs");
    expect(lastUserMessage({ model: "m", messages: [{ role: "system", content: "only system" }] })).toBe("");
  });

  it("wraps the answer as JSON when the request asks for a JSON object", () => {
    const answer = defaultAnswer(ask("capital of France", { response_format: { type: "json_object" } }));
    expect(JSON.parse(answer)).toEqual({ answer: expect.stringContaining("Paris") });
  });
});

describe("defaultLatencyMs", () => {
  it("is 40–120 ms and the same for the same prompt", () => {
    const prompts = ["a", "b", "Please center my HTML <div> tag", "why?", "x".repeat(100)];
    const values = prompts.map((p) => defaultLatencyMs(ask(p)));
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(40);
      expect(v).toBeLessThanOrEqual(120);
    }
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(prompts.map((p) => defaultLatencyMs(ask(p)))).toEqual(values);
  });
});
