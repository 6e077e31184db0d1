import { userInfo } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DemoConfigError, readConfig } from "./config.js";

const cwd = "/home/me/project";
const read = (env: Record<string, string>) => readConfig(env, cwd);
const errorOf = (env: Record<string, string>): DemoConfigError => {
  try {
    read(env);
  } catch (error) {
    expect(error).toBeInstanceOf(DemoConfigError);
    return error as DemoConfigError;
  }
  throw new Error("readConfig did not throw");
};

describe("readConfig without any keys", () => {
  it("selects the local mode: local LLM, trace file and tracker store (FileSink's default folder) in .hamilton-ts", () => {
    expect(read({})).toEqual({
      outputDir: join(cwd, ".hamilton-ts"),
      traces: { kind: "file", path: join(cwd, ".hamilton-ts", "traces.jsonl") },
      llm: { kind: "local", fail: false },
      tracker: { kind: "file", dir: join(cwd, ".hamilton-ts"), projectId: "demo", username: userInfo().username },
      model: "gpt-4o-mini",
      recordContent: true,
      notes: [],
      cache: true,
    });
  });

  it("treats empty and blank variables as unset", () => {
    expect(read({ OPENAI_API_KEY: "", TRACELOOP_API_KEY: "  ", HAMILTON_API_URL: "" })).toEqual(read({}));
  });

  it("puts local files under DEMO_OUTPUT_DIR, relative to the working directory or absolute", () => {
    expect(read({ DEMO_OUTPUT_DIR: "out" }).outputDir).toBe(join(cwd, "out"));
    const config = read({ DEMO_OUTPUT_DIR: "/tmp/x" });
    expect(config.traces).toEqual({ kind: "file", path: "/tmp/x/traces.jsonl" });
    expect(config.tracker).toMatchObject({ kind: "file", dir: "/tmp/x", projectId: "demo" });
  });

  it("records local runs under HAMILTON_USERNAME when set, else the login name", () => {
    expect(read({ HAMILTON_USERNAME: "ada@example.com" }).tracker).toMatchObject({
      kind: "file",
      username: "ada@example.com",
    });
  });

  it("stops recording content with TRACELOOP_TRACE_CONTENT=false, as Traceloop does", () => {
    expect(read({ TRACELOOP_TRACE_CONTENT: "FALSE" }).recordContent).toBe(false);
    expect(read({ TRACELOOP_TRACE_CONTENT: "true" }).recordContent).toBe(true);
  });

  it("caches by default; DEMO_CACHE=off turns it off, and a value it cannot read is an error", () => {
    expect(read({}).cache).toBe(true);
    expect(read({ DEMO_CACHE: "off" }).cache).toBe(false);
    // The failure demo must make the failing call: a cached answer would hide it.
    const failing = read({ DEMO_FAIL_LLM: "1" });
    expect(failing.cache).toBe(false);
    expect(failing.notes).toContain(
      "DEMO_FAIL_LLM runs every node without the cache, so the failing LLM call is made.",
    );
    expect(read({ DEMO_CACHE: "0" }).cache).toBe(false);
    expect(() => read({ DEMO_CACHE: "sometimes" })).toThrow(
      'DEMO_CACHE is "sometimes": set it to off to run every node, or unset it.',
    );
  });

  it("reads DEMO_WORKERS as a number of worker processes; a value it cannot use is an error", () => {
    expect(read({}).workers).toBeUndefined();
    expect(read({ DEMO_WORKERS: "2" }).workers).toBe(2);
    expect(() => read({ DEMO_WORKERS: "two" })).toThrow(
      'DEMO_WORKERS is "two": set it to a number of worker processes from 1 to 16 (e.g. 2), or unset it to run in one process.',
    );
    expect(() => read({ DEMO_WORKERS: "0" })).toThrow(/DEMO_WORKERS is "0"/);
  });

  it("reads the model from DEMO_MODEL", () => {
    expect(read({ DEMO_MODEL: "gpt-4.1" }).model).toBe("gpt-4.1");
  });
});

describe("readConfig trace destinations", () => {
  it("TRACELOOP_API_KEY selects Traceloop, before an OTLP endpoint", () => {
    expect(read({ TRACELOOP_API_KEY: "tl-key", OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" }).traces).toEqual({
      kind: "traceloop",
      apiKey: "tl-key",
      baseUrl: "https://api.traceloop.com",
    });
    expect(read({ TRACELOOP_API_KEY: "k", TRACELOOP_BASE_URL: "https://tl.example.com/" }).traces).toMatchObject({
      baseUrl: "https://tl.example.com",
    });
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT selects OTLP/HTTP with /v1/traces appended", () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318/" }).traces).toEqual({
      kind: "otlp",
      endpoint: "http://localhost:4318",
      tracesUrl: "http://localhost:4318/v1/traces",
    });
  });

  it("rejects an OTLP endpoint that is not an http(s) URL, saying which variable and what to use", () => {
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" }).message).toBe(
      'OTEL_EXPORTER_OTLP_ENDPOINT is "localhost:4318": only http:// and https:// URLs work here.',
    );
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }).message).toBe(
      'OTEL_EXPORTER_OTLP_ENDPOINT is "not a url", which is not a URL: use e.g. http://localhost:4318.',
    );
  });
});

describe("readConfig LLM", () => {
  it("OPENAI_API_KEY selects the real API, at OPENAI_BASE_URL when set", () => {
    expect(read({ OPENAI_API_KEY: "sk-x" }).llm).toEqual({ kind: "openai", baseURL: "https://api.openai.com/v1" });
    expect(read({ OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" }).llm).toEqual({
      kind: "openai",
      baseURL: "http://127.0.0.1:11434/v1",
    });
  });

  it("DEMO_FAIL_LLM makes the local server fail", () => {
    expect(read({ DEMO_FAIL_LLM: "1" }).llm).toEqual({ kind: "local", fail: true });
    expect(read({ DEMO_FAIL_LLM: "false" }).llm).toEqual({ kind: "local", fail: false });
  });

  it("notes variables that are set but ignored", () => {
    expect(read({ OPENAI_API_KEY: "sk-x", DEMO_FAIL_LLM: "1" }).notes).toEqual([
      "DEMO_FAIL_LLM only affects the local LLM server; ignored because OPENAI_API_KEY is set.",
    ]);
    expect(read({ OPENAI_BASE_URL: "http://localhost:1234/v1" }).notes).toEqual([
      "OPENAI_BASE_URL is ignored without OPENAI_API_KEY: using the local LLM server.",
    ]);
  });

  it("rejects a DEMO_FAIL_LLM that is not a switch", () => {
    expect(errorOf({ DEMO_FAIL_LLM: "maybe" }).message).toBe(
      'DEMO_FAIL_LLM is "maybe": set it to 1 to make the local LLM fail, or unset it.',
    );
  });

  it("rejects an OPENAI_BASE_URL that is not a URL", () => {
    expect(errorOf({ OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "api.openai.com" }).message).toContain(
      'OPENAI_BASE_URL is "api.openai.com"',
    );
  });
});

describe("readConfig tracker", () => {
  const ui = {
    HAMILTON_API_URL: "http://localhost:8241/",
    HAMILTON_USERNAME: "me@example.com",
    HAMILTON_PROJECT_ID: "3",
  };

  it("HAMILTON_API_URL selects the Hamilton UI", () => {
    expect(read({ ...ui, HAMILTON_API_KEY: "hk" }).tracker).toEqual({
      kind: "hamilton-ui",
      apiUrl: "http://localhost:8241",
      apiKey: "hk",
      username: "me@example.com",
      projectId: 3,
      uiUrl: "http://localhost:8241",
    });
    expect(read({ ...ui, HAMILTON_UI_URL: "http://localhost:8242" }).tracker).toMatchObject({
      apiKey: undefined,
      uiUrl: "http://localhost:8242",
    });
  });

  it("needs a username with HAMILTON_API_URL", () => {
    expect(errorOf({ ...ui, HAMILTON_USERNAME: "" }).message).toBe(
      "HAMILTON_API_URL is set but HAMILTON_USERNAME is not: set HAMILTON_USERNAME to the e-mail you use in the Hamilton UI " +
        "(or unset HAMILTON_API_URL to record runs in a local file).",
    );
  });

  it("needs a positive integer project id with HAMILTON_API_URL", () => {
    expect(errorOf({ ...ui, HAMILTON_PROJECT_ID: "" }).message).toBe(
      "HAMILTON_API_URL is set but HAMILTON_PROJECT_ID is not: set it to the numeric id of a project you created in the Hamilton UI (the number in the project's URL).",
    );
    expect(errorOf({ ...ui, HAMILTON_PROJECT_ID: "demo" }).message).toContain('HAMILTON_PROJECT_ID is "demo"');
    expect(errorOf({ ...ui, HAMILTON_PROJECT_ID: "0" }).message).toContain('HAMILTON_PROJECT_ID is "0"');
  });

  it("rejects a HAMILTON_API_URL that is not a URL", () => {
    expect(errorOf({ ...ui, HAMILTON_API_URL: "ftp://x" }).message).toBe(
      'HAMILTON_API_URL is "ftp://x": only http:// and https:// URLs work here.',
    );
  });
});
