import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Builder } from "@hamilton-ts/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HamiltonUIClient } from "./hamilton-ui-client.js";
import { hideInError, keyHider } from "./hamilton-ui-http.js";
import { HamiltonTracker } from "./tracker.js";

const UUID_KEY = "3f9c2b1e-8d4a-4c6f-9b2e-7a1d5e0c4b8f";
const OPAQUE_KEY = "hk7QzX2mWv9LpR4t";

let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/**
 * A server that accepts the credentials checks and answers `answer` to everything else, with the
 * request's key echoed in the body in the forms an error page may use.
 */
async function echoingServer(answer: { status: number; body: (key: string) => unknown }): Promise<string> {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const key = String(req.headers["x-api-key"]);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/api/v1/phone_home" || path.startsWith("/api/v1/projects/")) return json(200, { ok: true });
      if (path === "/api/v1/dag_templates/exists/") return json(200, null);
      json(answer.status, answer.body(key));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const echo = (key: string) => ({
  detail: `no access for ${key}`,
  authorization: `Bearer ${key}`,
  request: { headers: `x-api-key=${encodeURIComponent(key)}` },
});

/** Runs one pipeline through a tracker with the default reporter; returns every text it warned or reported. */
async function everythingWritten(baseUrl: string, apiKey: string): Promise<string> {
  const warned: string[] = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warned.push(args.map(String).join(" ")));
  const tracker = new HamiltonTracker({
    projectId: 1,
    username: "me@example.com",
    dagName: "qa",
    sink: new HamiltonUIClient({ baseUrl, apiKey, username: "me@example.com" }),
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
  });
  const dr = new Builder()
    .withModules({ a: () => 1 })
    .withAdapters(tracker)
    .build();
  await dr.execute(["a"]);
  let flushed = await tracker.flush({ timeoutMs: 300 });
  // On a busy machine the server's first answer can come after a flush stopped waiting: wait for
  // the answer itself (the sink's error), a flush at a time.
  for (let i = 0; flushed.lastError === undefined && i < 100; i++) flushed = await tracker.flush({ timeoutMs: 300 });
  const report = await tracker.shutdown({ timeoutMs: 300 });
  expect(warned.length).toBeGreaterThan(0);
  const lastError = report.lastError ?? flushed.lastError;
  expect(lastError).toBeDefined();
  return [
    ...warned,
    String((lastError as Error).message),
    String((lastError as Error).stack),
    JSON.stringify(report.rejectedRecords),
  ].join("\n");
}

// Each test waits for two servers' answers, which a busy machine can take seconds to give.
describe("HamiltonUIClient: the API key echoed by the server", { timeout: 90_000 }, () => {
  for (const [name, key] of [
    ["a UUID key", UUID_KEY],
    ["an opaque key", OPAQUE_KEY],
  ] as const) {
    it(`${name} echoed in an HTTP 500 body is in no warning and no reported error`, async () => {
      const baseUrl = await echoingServer({ status: 500, body: echo });
      const text = await everythingWritten(baseUrl, key);
      expect(text).toMatch(/HTTP 500/);
      expect(text).toContain("no access for [REDACTED]");
      expect(text).not.toContain(key);
      expect(text).not.toContain(encodeURIComponent(key));
    });

    it(`${name} echoed in an HTTP 401 body and in an answer of the wrong shape is in no warning`, async () => {
      const unauthorized = await everythingWritten(await echoingServer({ status: 401, body: echo }), key);
      expect(unauthorized).toMatch(/UNAUTHORIZED|refused user/);
      expect(unauthorized).not.toContain(key);
      server?.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      const wrongShape = await everythingWritten(await echoingServer({ status: 200, body: echo }), key);
      expect(wrongShape).toMatch(/expected \{"id": <number>\}/);
      expect(wrongShape).not.toContain(key);
    });
  }
});

describe("keyHider and hideInError", () => {
  it("hide the key's value in every form, and leave a too-short key's text alone", () => {
    const hide = keyHider('a b/c+d=e"f');
    expect(hide(`x a b/c+d=e"f y ${encodeURIComponent('a b/c+d=e"f')} z a b/c+d=e\\"f`)).toBe(
      "x [REDACTED] y [REDACTED] z [REDACTED]",
    );
    expect(keyHider("k")("keep keys")).toBe("keep keys");
    expect(keyHider(undefined)("text")).toBe("text");
  });

  it("hides the key in an error's message, stack and causes, keeping the error itself", () => {
    const cause = new Error(`inner ${UUID_KEY}`);
    const error = new Error(`outer ${UUID_KEY}`, { cause });
    hideInError(error, keyHider(UUID_KEY));
    expect(error.message).toBe("outer [REDACTED]");
    expect(error.stack).not.toContain(UUID_KEY);
    expect(cause.message).toBe("inner [REDACTED]");
  });
});
