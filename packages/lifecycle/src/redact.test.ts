import { describe, expect, it } from "vitest";
import { isSecretKey, redactHead, redactText } from "./redact.js";

describe("isSecretKey", () => {
  it.each([
    "apiKey",
    "api_key",
    "API_KEY",
    "OPENAI_API_KEY",
    "x-api-key",
    "apikey",
    "token",
    "accessToken",
    "refresh_token",
    "password",
    "dbPassword",
    "passwd",
    "authorization",
    "Authorization",
    "secret",
    "clientSecret",
    "AWS_SECRET_ACCESS_KEY",
    "privateKey",
    "credentials",
    "cookie",
    "api key",
  ])("%s looks like a secret", (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    "maxTokens",
    "max_tokens",
    "total_tokens",
    "promptTokens",
    "tokenCount",
    "token_usage",
    "passwordLength",
    "question",
    "model",
    "keyword",
    "monkey",
    "author",
    "passage",
  ])("%s does not", (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
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
    expect(redactText('{"api_key": "v"}')).toBe('{"api_key": "[REDACTED]"}');
    expect(redactText("GET /x?token=abc&page=2")).toBe("GET /x?token=[REDACTED]&page=2");
  });

  it("leaves ordinary text alone", () => {
    const text = "the model answered with 42 tokens; maxTokens: 100";
    expect(redactText(text)).toBe(text);
  });
});

describe("redactText gaps", () => {
  it("redacts the password of a URL, keeping user, host and path", () => {
    expect(redactText("DATABASE_URL=postgres://admin:pw@db.internal:5432/app")).toBe(
      "DATABASE_URL=postgres://admin:[REDACTED]@db.internal:5432/app",
    );
    expect(redactText(`connect("redis://:s3cr3t@cache:6379")`)).toBe(`connect("redis://:[REDACTED]@cache:6379")`);
    expect(redactText("https://user:p@ss@host/x?y=1")).toBe("https://user:[REDACTED]@host/x?y=1");
    // No password, or no userinfo at all: nothing to hide.
    expect(redactText("see https://user@example.com:8080/a and http://localhost:3000/b")).toBe(
      "see https://user@example.com:8080/a and http://localhost:3000/b",
    );
  });

  it("redacts an unquoted value after a secret name and a colon, and password=…", () => {
    expect(redactText("login failed, password: hunter2 (user bob)")).toBe(
      "login failed, password: [REDACTED] (user bob)",
    );
    expect(redactText("password=hunter2")).toBe("password=[REDACTED]");
    expect(redactText("x-api-key: abc123\nhost: example.com")).toBe("x-api-key: [REDACTED]\nhost: example.com");
    expect(redactText("DB_PASSWORD=hunter2 PORT=5432")).toBe("DB_PASSWORD=[REDACTED] PORT=5432");
    expect(redactText(`{"error": "{\\"api_key\\": \\"k-123\\"}"}`)).toBe(
      `{"error": "{\\"api_key\\": \\"[REDACTED]\\"}"}`,
    );
  });

  it("redacts Authorization headers with any scheme, Basic included", () => {
    expect(redactText("Authorization: Basic YWRtaW46aHVudGVyMg==")).toBe("Authorization: [REDACTED]");
    expect(redactText("authorization: basic YWRtaW46aHVudGVyMg==\r\naccept: */*")).toBe(
      "authorization: [REDACTED]\r\naccept: */*",
    );
    expect(redactText("sent Basic YWRtaW46aHVudGVyMg== to the proxy")).toBe("sent [REDACTED] to the proxy");
    // Prose is not credentials.
    expect(redactText("Basic usage: call Basic understanding first")).toBe(
      "Basic usage: call Basic understanding first",
    );
  });

  it("leaves measures of secrets alone, as isSecretKey does", () => {
    expect(isSecretKey("maxTokenLength")).toBe(false);
    const source = "({ maxTokenLength = 800, tokenCount = 3, max_tokens: 100 }) => 1";
    expect(redactText(source)).toBe(source);
    expect(redactText("maxTokenLength=800&token=abc")).toBe("maxTokenLength=800&token=[REDACTED]");
  });

  it("leaves comparisons and arrows alone", () => {
    const code = "if (token === expected) return (password) => password.length;";
    expect(redactText(code)).toBe(code);
  });

  it("redacts an unterminated quoted value to the end of its line", () => {
    expect(redactText(`password: "hunter2\nnext line`)).toBe(`password: "[REDACTED]\nnext line`);
  });

  it("treats glued lowercase secret names as secret names", () => {
    expect(isSecretKey("dbpassword")).toBe(true);
    expect(isSecretKey("accesstoken")).toBe(true);
    expect(redactText("dbpassword=x1")).toBe("dbpassword=[REDACTED]");
  });
});

describe("redactHead", () => {
  it("cuts after redacting: a secret across the cut is still caught", () => {
    const text = `${"x".repeat(95)} password: "hunter2hunter2" and more`;
    const head = redactHead(text, 110);
    expect(head.truncated).toBe(true);
    expect(head.text).toBe(`${"x".repeat(95)} password: "[RE`);
    expect(head.text).not.toContain("hunter");
  });

  it("redacts a quoted value or URL password that runs past what it reads", () => {
    const quoted = redactHead(`token: "${"a".repeat(10_000)}"`, 50);
    expect(quoted.text).toBe(`token: "[REDACTED]`);
    const url = redactHead(`postgres://admin:${"p".repeat(10_000)}@db/app`, 40);
    expect(url.text).toBe("postgres://admin:[REDACTED]");
  });

  it("never cuts between the halves of a surrogate pair", () => {
    expect(redactHead("a😀b", 2)).toEqual({ text: "a", truncated: true });
    expect(redactHead("😀".repeat(10), 5)).toEqual({ text: "😀😀", truncated: true });
  });

  it("returns short text whole and says so", () => {
    expect(redactHead("apiKey: 'v'", 100)).toEqual({ text: "apiKey: '[REDACTED]'", truncated: false });
    expect(redactHead("abc", 3)).toEqual({ text: "abc", truncated: false });
  });

  it("refuses a bad length with a clear error", () => {
    expect(() => redactHead("x", -1)).toThrow(/maxLength must be a non-negative integer, got -1/);
  });
});

/** The least time of `rounds` runs of `fn` (each repeated `repeat` times): robust on a busy machine. */
function leastTime(fn: () => unknown, repeat: number, rounds = 5): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let k = 0; k < repeat; k++) fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A plain linear pass: reads every character once. */
function linearPass(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum = (sum + text.charCodeAt(i)) | 0;
  return sum;
}

describe("redaction time is linear", () => {
  const base64url = (n: number): string => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[(i * 7919 + (i >> 3)) % 64];
    return s;
  };
  const inputs: Record<string, string> = {
    "apikey x667": "apikey".repeat(667),
    "token x800": "token".repeat(800),
    "invalid token <10k base64url>": `invalid token ${base64url(10_000)}`,
    "session token: <40k base64url>": `session token: ${base64url(40_000)}`,
    "1e6 word characters": "a".repeat(1_000_000),
    "1e6 capitals": "A".repeat(1_000_000),
    "apikey x166,667": "apikey".repeat(166_667),
    "token x200,000": "token".repeat(200_000),
    "password= x100,000": "password=".repeat(100_000),
    "token:' x100,000 (unterminated quotes)": "token:'".repeat(100_000),
    "key1: … key100000: (distinct names)": Array.from({ length: 100_000 }, (_, i) => `key${i}: v`).join(" "),
    "https:// x100,000": "https://a:b".repeat(100_000),
    "Bearer x100,000": "Bearer ".repeat(100_000),
    "Basic + 1e6 base64": `Basic ${"Ab1".repeat(333_333)}`,
    "sk- x200,000": "sk-".repeat(200_000),
  };

  // Linear means a constant factor over a plain pass: 0.6–5x on most inputs and ~30x on the worst
  // (100,000 distinct names) on a quiet machine; a scanner that backtracks or rescans is thousands
  // of times slower on these inputs. 250x leaves room for a busy CI machine.
  it.each(Object.entries(inputs))("%s: within 250x a plain pass over the same text", (_name, text) => {
    // Enough repeats that each measured round reads ~2M characters: well above timer resolution.
    const repeat = Math.max(1, Math.round(2_000_000 / text.length));
    redactText(text); // warm up
    linearPass(text);
    const plain = leastTime(() => linearPass(text), repeat);
    const redact = leastTime(() => redactText(text), repeat);
    expect(redact / plain).toBeLessThan(250);
  });

  it("isSecretKey is linear on long keys", () => {
    const key = `${"A".repeat(100_000)}${"aB".repeat(50_000)}`;
    const plain = leastTime(() => linearPass(key), 5);
    const check = leastTime(() => isSecretKey(key), 5);
    // A check that rescans would be tens of thousands of times a plain pass on a 200,000-character
    // key; 1,000x leaves room for a busy machine (it measured 117x once under load).
    expect(check / plain).toBeLessThan(1_000);
  });

  it("redactHead reads only the head of a huge text", () => {
    const huge = `password: ${"a".repeat(5_000_000)}`;
    const small = huge.slice(0, 10_000);
    const headOfHuge = leastTime(() => redactHead(huge, 1_000), 200);
    const headOfSmall = leastTime(() => redactHead(small, 1_000), 200);
    // Reading the whole text would be ~500x (5,000,000 vs 10,000 characters); 50x leaves room for load.
    expect(headOfHuge / headOfSmall).toBeLessThan(50);
  });
});
