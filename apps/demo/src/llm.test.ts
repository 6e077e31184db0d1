import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { SIMULATED_FAILURE, startLlm } from "./llm.js";
import { JOKE_PROMPT, ORACLE_SYSTEM_PROMPT, UNIVERSAL_TRUTH_PROMPT } from "./prompts.js";

describe("startLlm", () => {
  it("uses the real API's URL as it is, with nothing to start or stop", async () => {
    const llm = await startLlm({ kind: "openai", baseURL: "https://api.openai.com/v1" });
    expect(llm.baseURL).toBe("https://api.openai.com/v1");
    expect(llm.description).toBe("OpenAI API at https://api.openai.com/v1");
    await llm.close();
  });

  it("starts a local OpenAI-compatible server on 127.0.0.1 and says so", async () => {
    const llm = await startLlm({ kind: "local", fail: false });
    try {
      expect(llm.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(llm.description).toContain("local OpenAI-compatible server");
      const client = new OpenAI({ apiKey: "x", baseURL: llm.baseURL });
      const reply = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: UNIVERSAL_TRUTH_PROMPT }],
      });
      expect(reply.choices[0]?.message.content).toContain("flex");
      expect(reply.usage?.total_tokens).toBeGreaterThan(0);
    } finally {
      await llm.close();
    }
  });

  it("with fail, answers only the universalTruth request with a server error", async () => {
    const llm = await startLlm({ kind: "local", fail: true });
    try {
      expect(llm.description).toContain("fails the universalTruth request (DEMO_FAIL_LLM)");
      const client = new OpenAI({ apiKey: "x", baseURL: llm.baseURL, maxRetries: 0 });
      const failed = await client.chat.completions
        .create({
          model: "gpt-4o-mini",
          messages: [
            { role: "system", content: ORACLE_SYSTEM_PROMPT },
            { role: "user", content: UNIVERSAL_TRUTH_PROMPT },
          ],
        })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
      expect((failed as Error).message).toBe(`500 ${SIMULATED_FAILURE.message}`);
      const ok = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: JOKE_PROMPT }],
      });
      expect(ok.choices[0]?.message.content).toContain("bugs");
    } finally {
      await llm.close();
    }
  });
});
