import { describe, expect, it } from "vitest";
import { isSecretKey, redactText } from "./redact.js";

describe("isSecretKey", () => {
  it.each([
    "apiKey", "api_key", "API_KEY", "OPENAI_API_KEY", "x-api-key", "apikey", "token", "accessToken", "refresh_token",
    "password", "dbPassword", "passwd", "authorization", "Authorization", "secret", "clientSecret", "AWS_SECRET_ACCESS_KEY",
    "privateKey", "credentials", "cookie", "api key",
  ])("%s looks like a secret", (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(["maxTokens", "max_tokens", "total_tokens", "promptTokens", "tokenCount", "token_usage", "passwordLength", "question", "model", "keyword", "monkey", "author", "passage"])(
    "%s does not",
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});

describe("redactText", () => {
  it("redacts well-known key formats", () => {
    expect(redactText("key sk-proj-abcdefghijklmnop1234 here")).toBe("key [REDACTED] here");
    expect(redactText("Authorization: Bearer abc.def.ghi123")).toBe("Authorization: [REDACTED]");
    expect(redactText("ghp_abcdefghijklmnopqrstuvwxyz0123")).toBe("[REDACTED]");
    expect(redactText("AKIAABCDEFGHIJKLMNOP")).toBe("[REDACTED]");
  });

  it("redacts literals assigned to secret-looking names, keeping the code readable", () => {
    const source = `() => new OpenAI({ apiKey: "abc123", baseURL: "http://x" })`;
    expect(redactText(source)).toBe(`() => new OpenAI({ apiKey: "[REDACTED]", baseURL: "http://x" })`);
    expect(redactText(`const password = 'hunter2';`)).toBe(`const password = '[REDACTED]';`);
    expect(redactText("{\"api_key\": \"v\"}")).toBe("{\"api_key\": \"[REDACTED]\"}");
    expect(redactText("GET /x?token=abc&page=2")).toBe("GET /x?token=[REDACTED]&page=2");
  });

  it("leaves ordinary text alone", () => {
    const text = "the model answered with 42 tokens; maxTokens: 100";
    expect(redactText(text)).toBe(text);
  });
});
