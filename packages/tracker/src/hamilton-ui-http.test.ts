import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeHamiltonUI } from "@hamilton-ts/testing";
import { excerpt, HamiltonUIHttp, isUnsent, parseUrl } from "./hamilton-ui-http.js";

describe("excerpt", () => {
  it("redacts before it cuts: a key that straddles the cut is still caught", () => {
    const text = `${"x".repeat(290)} Bearer abcdefghijklmnopqrstuvwxyz0123456789`;
    const out = excerpt(text, 300);
    expect(out).not.toMatch(/abcdefgh/);
    expect(out.endsWith("…")).toBe(true);
    expect(out.length).toBe(301);
  });

  it("leaves short innocent text as it is", () => {
    expect(excerpt('{"detail":"no run"}', 300)).toBe('{"detail":"no run"}');
  });
});

describe("parseUrl", () => {
  it("accepts a plain URL and refuses one with a user or password, without repeating it", () => {
    expect(parseUrl("baseUrl", "http://127.0.0.1:8241").port).toBe("8241");
    expect(() => parseUrl("baseUrl", "http://ada@127.0.0.1:8241")).toThrow(
      /option "baseUrl", http:\/\/127\.0\.0\.1:8241, holds a user name or password/,
    );
    expect(() => parseUrl("uiUrl", "not a url with //ada:s3cr3t@host")).toThrow(
      /option "uiUrl" is "not a url with \/\/\*\*\*@host", not a URL/,
    );
  });
});

describe("HamiltonUIHttp", () => {
  let ui: FakeHamiltonUI;
  beforeEach(async () => {
    ui = new FakeHamiltonUI();
    await ui.start();
  });
  afterEach(async () => {
    await ui.stop();
  });

  it("sends a string body as it is, and an object as JSON, with the headers", async () => {
    const http = new HamiltonUIHttp({
      baseUrl: ui.baseUrl,
      username: "me@example.com",
      apiKey: "test-key",
      timeoutMs: 5_000,
    });
    expect(await http.request("GET", "/phone_home", undefined, undefined)).toEqual({ success: true, message: "hello" });
    expect(await http.request("POST", "/dag_templates?project_id=1", '{"name":"n"}', undefined)).toEqual({ id: 7 });
    expect(ui.requests[1]!.body).toEqual({ name: "n" });
    expect(ui.requests[1]!.headers["content-type"]).toBe("application/json");
    expect(http.url("/x")).toBe(`${ui.baseUrl}/api/v1/x`);
  });

  it("marks a refused connection as unsent (nothing can be stored), and a timeout as not", async () => {
    const http = new HamiltonUIHttp({
      baseUrl: ui.baseUrl,
      username: "me@example.com",
      apiKey: "test-key",
      timeoutMs: 50,
    });
    ui.mode = "hang";
    const timeout = await http.request("GET", "/phone_home", undefined, undefined).catch((e: unknown) => e);
    expect(timeout).toMatchObject({ code: "SINK_TIMEOUT" });
    expect(isUnsent(timeout)).toBe(false);
    await ui.stop();
    const refused = await http.request("GET", "/phone_home", undefined, undefined).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "SINK_UNAVAILABLE" });
    expect(isUnsent(refused)).toBe(true);
  });
});
