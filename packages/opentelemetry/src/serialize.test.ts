import { isSecretKey } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { toJsonAttribute, truncate } from "./serialize.js";

describe("toJsonAttribute", () => {
  it("writes plain data as JSON", () => {
    expect(toJsonAttribute({ a: [1, "x", null], b: { c: true } })).toBe('{"a":[1,"x",null],"b":{"c":true}}');
    expect(toJsonAttribute("text")).toBe('"text"');
    expect(toJsonAttribute(undefined)).toBe("null");
    expect(toJsonAttribute(new Date("2024-01-02T03:04:05.000Z"))).toBe('"2024-01-02T03:04:05.000Z"');
  });

  it("names class instances, maps, sets and functions instead of walking them", () => {
    class OpenAI {
      apiKey = "sk-live";
      baseURL = "https://api.openai.com/v1";
    }
    expect(toJsonAttribute({ client: new OpenAI(), m: new Map([[1, 2]]), s: new Set([1]), f: function load() {} })).toBe(
      '{"client":"[OpenAI]","m":"[Map size=1]","s":"[Set size=1]","f":"[Function load]"}',
    );
  });

  it("redacts keys that look like secrets, not token counts, by the rule the tracker uses", () => {
    const value = {
      apiKey: "a",
      OPENAI_API_KEY: "b",
      client_secret: "c",
      password: "d",
      accessToken: "e",
      headers: { Authorization: "Bearer f" },
      sessionCookie: "g",
      passphrase: "h",
      private_key_pem: "i",
      max_tokens: 100,
      tokenCount: 7,
    };
    expect(JSON.parse(toJsonAttribute(value))).toEqual({
      apiKey: "[REDACTED]",
      OPENAI_API_KEY: "[REDACTED]",
      client_secret: "[REDACTED]",
      password: "[REDACTED]",
      accessToken: "[REDACTED]",
      headers: { Authorization: "[REDACTED]" },
      sessionCookie: "[REDACTED]",
      passphrase: "[REDACTED]",
      private_key_pem: "[REDACTED]",
      max_tokens: 100,
      tokenCount: 7,
    });
    // One rule: every key the tracker treats as secret, the tracer does too.
    for (const key of Object.keys(value)) expect(JSON.parse(toJsonAttribute({ [key]: "x" }))[key] === "[REDACTED]").toBe(isSecretKey(key));
  });

  it("redacts known key formats inside recorded strings", () => {
    expect(toJsonAttribute({ note: "use sk-abcdefghijklmnopqrstuvwx for it" })).toBe('{"note":"use [REDACTED] for it"}');
  });

  it("writes bigints, symbols and errors readably", () => {
    expect(toJsonAttribute({ n: 12n, s: Symbol("k"), e: new TypeError("bad") })).toBe(
      '{"n":"12","s":"Symbol(k)","e":{"name":"TypeError","message":"bad"}}',
    );
  });

  it("reports a value JSON cannot hold instead of throwing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toJsonAttribute(cyclic)).toMatch(/^\[unserializable: Converting circular structure to JSON/);
  });
});

describe("truncate", () => {
  it("cuts long text and marks the cut", () => {
    expect(truncate("abcdef", 3)).toBe("abc…");
    expect(truncate("abc", 3)).toBe("abc");
  });
});
