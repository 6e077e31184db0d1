import { isSecretKey } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { serializeBounded, toJsonAttribute, truncate } from "./serialize.js";

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
    expect(
      toJsonAttribute({ client: new OpenAI(), m: new Map([[1, 2]]), s: new Set([1]), f: function load() {} }),
    ).toBe('{"client":"[OpenAI]","m":"[Map size=1]","s":"[Set size=1]","f":"[Function load]"}');
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
    for (const key of Object.keys(value))
      expect(JSON.parse(toJsonAttribute({ [key]: "x" }))[key] === "[REDACTED]").toBe(isSecretKey(key));
  });

  it("redacts known key formats inside recorded strings", () => {
    expect(toJsonAttribute({ note: "use sk-abcdefghijklmnopqrstuvwx for it" })).toBe(
      '{"note":"use [REDACTED] for it"}',
    );
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

describe("toJsonAttribute and class instances with toJSON", () => {
  it("names a URL, a Buffer and a class whose toJSON returns a key, without calling toJSON", () => {
    class KeyHolder {
      toJSON(): string {
        return "opaque-internal-credential-42";
      }
    }
    const text = toJsonAttribute({
      url: new URL("https://admin:pw-5ecret@db.example.com/app"),
      buffer: Buffer.from("buffer-bytes-5ecret"),
      holder: new KeyHolder(),
      at: new Date("2024-01-02T03:04:05.000Z"),
    });
    expect(text).toBe('{"url":"[URL]","buffer":"[Buffer]","holder":"[KeyHolder]","at":"2024-01-02T03:04:05.000Z"}');
    expect(toJsonAttribute(new URL("https://admin:pw@example.com"))).toBe('"[URL]"');
  });

  it("reads own data properties only: a getter is not run", () => {
    let calls = 0;
    const value = {
      plain: 1,
      get computed() {
        calls++;
        return "sk-abcdefghijklmnopqrstuvwx";
      },
    };
    expect(toJsonAttribute(value)).toBe('{"plain":1}');
    expect(calls).toBe(0);
  });

  it("redacts URL passwords and values after secret names inside recorded strings", () => {
    expect(toJsonAttribute({ dsn: "postgres://admin:pw@db/app", log: "password: hunter2" })).toBe(
      '{"dsn":"postgres://admin:[REDACTED]@db/app","log":"password: [REDACTED]"}',
    );
  });
});

describe("serializeBounded", () => {
  it("writes the same JSON as toJsonAttribute, cut at the limit", () => {
    const value = { a: [1, 2, 3], b: "text", c: { d: null } };
    const whole = toJsonAttribute(value);
    expect(serializeBounded(value, 1_000)).toBe(whole);
    expect(serializeBounded(value, 10)).toBe(whole.slice(0, 10));
  });

  it("never cuts between the halves of an emoji", () => {
    expect(serializeBounded("😀😀", 4)).toBe('"😀');
    expect(truncate("a😀", 2)).toBe("a…");
  });

  it("cuts a long string before redacting and escaping it", () => {
    expect(serializeBounded({ s: "x".repeat(1_000_000) }, 20)).toBe(`{"s":"${"x".repeat(14)}`);
  });

  it("does work bounded by the limit, not by the size of the value", () => {
    const huge = Array.from({ length: 2_000_000 }, (_, i) => i * 1.5);
    const small = huge.slice(0, 2_000);
    const time = (value: unknown): number => {
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        for (let k = 0; k < 20; k++) serializeBounded(value, 4_097);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    time(small);
    // The huge value is 1,000 times the small one: work that grew with it would be ~1,000x. A busy
    // machine moves a bounded ratio (about 1-2x when quiet) by several times, so the bar is 100x.
    expect(time(huge) / time(small)).toBeLessThan(100);
  });
});

describe("truncate", () => {
  it("cuts long text and marks the cut", () => {
    expect(truncate("abcdef", 3)).toBe("abc…");
    expect(truncate("abc", 3)).toBe("abc");
  });
});
