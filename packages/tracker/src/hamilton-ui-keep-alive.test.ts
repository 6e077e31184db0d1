import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Builder } from "@hamilton-ts/core";
import { afterEach, describe, expect, it } from "vitest";
import { FakeHamiltonUI } from "@hamilton-ts/testing";
import { HamiltonUIClient } from "./hamilton-ui-client.js";
import { HamiltonUIHttp, isDropped } from "./hamilton-ui-http.js";
import { TrackerError } from "./errors.js";
import { HamiltonTracker } from "./tracker.js";

/**
 * What a server's idle timeout does to kept-alive connections, on demand: when a connection that
 * already served a request gets another one, the server destroys it unread, together with every
 * other idle connection (as an idle timeout firing would). The client's next connection is fresh.
 */
class IdleCloser {
  readonly #served = new WeakMap<Socket, number>();
  readonly #idle = new Set<Socket>();
  /** Reused connections dropped so far. */
  dropped = 0;
  /** Drop the next reused connections while this is above 0. */
  drops = Number.POSITIVE_INFINITY;

  /** Call first thing for each request; true when the request was dropped (answer nothing). */
  drop(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket;
    const served = this.#served.get(socket) ?? 0;
    this.#idle.delete(socket);
    if (served > 0 && this.drops > 0) {
      this.drops--;
      this.dropped++;
      for (const other of this.#idle) other.destroy();
      this.#idle.clear();
      socket.destroy();
      return true;
    }
    this.#served.set(socket, served + 1);
    res.on("finish", () => {
      if (!socket.destroyed) this.#idle.add(socket);
    });
    socket.once("close", () => this.#idle.delete(socket));
    return false;
  }
}

let server: Server | undefined;
let ui: FakeHamiltonUI | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
  await ui?.stop();
  ui = undefined;
});

/** A node:http server on 127.0.0.1 answering `{"id": n}` (n counts the requests it answered). */
async function startServer(
  handle: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ baseUrl: string; received: string[] }> {
  const received: string[] = [];
  let answered = 0;
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    if (handle(req, res)) return;
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(`{"id":${++answered}}`));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function http(baseUrl: string): HamiltonUIHttp {
  return new HamiltonUIHttp({ baseUrl, username: "me@example.com", apiKey: "k", timeoutMs: 10_000 });
}

describe("HamiltonUIHttp on a kept-alive connection the server drops", () => {
  it("sends an idempotent request again at once, once, when its reused connection drops before any answer", async () => {
    const closer = new IdleCloser();
    closer.drops = 1;
    const { baseUrl, received } = await startServer((req, res) => closer.drop(req, res));
    const client = http(baseUrl);
    const answers: unknown[] = [];
    // fetch reuses a kept-alive connection once it is back in its pool: within a few requests.
    for (let i = 0; i < 20 && closer.dropped === 0; i++) {
      answers.push(await client.request("GET", `/dag_runs/${i}`, undefined, undefined));
    }
    expect(closer.dropped).toBe(1);
    // Every request was answered; the dropped one was sent twice.
    expect(answers).toEqual(answers.map((_, i) => ({ id: i + 1 })));
    expect(received).toHaveLength(answers.length + 1);
    expect(received.at(-1)).toBe(received.at(-2));
  });

  it("marks a request that creates something as dropped instead (the caller checks what was stored)", async () => {
    const closer = new IdleCloser();
    closer.drops = 1;
    const { baseUrl, received } = await startServer((req, res) => closer.drop(req, res));
    const client = http(baseUrl);
    let failure: unknown;
    for (let i = 0; i < 20 && failure === undefined; i++) {
      failure = await client.request("POST", "/dag_runs", { i }, undefined).then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(closer.dropped).toBe(1);
    expect(TrackerError.isInstance(failure) && failure.code).toBe("SINK_UNAVAILABLE");
    expect(isDropped(failure)).toBe(true);
    // Sent once: the server saw it once.
    expect(received.filter((r) => r === received.at(-1))).toHaveLength(received.length);
  });

  it("does not resend a request whose fresh connection drops (a server in trouble): the queue retries it later", async () => {
    const { baseUrl, received } = await startServer((req) => {
      req.socket.destroy();
      return true;
    });
    const failure = await http(baseUrl)
      .request("GET", "/dag_runs/1", undefined, undefined)
      .catch((error: unknown) => error);
    expect(TrackerError.isInstance(failure) && failure.code).toBe("SINK_UNAVAILABLE");
    expect(isDropped(failure)).toBe(false);
    expect(received).toEqual(["GET /api/v1/dag_runs/1"]);
  });

  it("does not resend a request whose answer had started (the server had it)", async () => {
    const closer = new IdleCloser();
    const { baseUrl, received } = await startServer((req, res) => {
      if (received.length === 1) return closer.drop(req, res);
      // The second request: headers and part of the body, then the connection drops.
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"id":');
      setImmediate(() => req.socket.destroy());
      return true;
    });
    const client = http(baseUrl);
    await client.request("GET", "/phone_home", undefined, undefined);
    const failure = await client.request("GET", "/dag_runs/1", undefined, undefined).catch((error: unknown) => error);
    expect(TrackerError.isInstance(failure) && failure.code).toBe("SINK_UNAVAILABLE");
    expect(isDropped(failure)).toBe(false);
    expect(received.filter((r) => r === "GET /api/v1/dag_runs/1")).toHaveLength(1);
  });
});

describe("HamiltonUIClient against a server that drops its idle kept-alive connections", () => {
  it("delivers every run without a warning, however often the reused connection drops", async () => {
    ui = new FakeHamiltonUI({ apiKey: "k", username: "me@example.com", projects: [1] });
    const closer = new IdleCloser();
    ui.intercept = (_request, res) => closer.drop(res.req, res);
    await ui.start();
    const problems: string[] = [];
    const tracker = new HamiltonTracker({
      projectId: 1,
      username: "me@example.com",
      dagName: "qa",
      sink: new HamiltonUIClient({ baseUrl: ui.baseUrl, apiKey: "k", username: "me@example.com" }),
      onError: (error, context) => problems.push(`${context}: ${String(error)}`),
    });
    const dr = new Builder()
      .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
      .withAdapters(tracker)
      .build();
    for (let i = 0; i < 3; i++) {
      await dr.execute(["b"]);
      expect((await tracker.flush()).complete).toBe(true);
    }
    await tracker.shutdown();
    expect(closer.dropped).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(ui.problems).toEqual([]);
    // Each run created once, with every node and attribute.
    expect([...ui.runs.values()].map((run) => run.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    for (const run of ui.runs.values()) {
      expect(run.nodes.size).toBe(2);
      expect(run.attributes.size).toBe(2);
    }
    expect(ui.templates.size).toBe(1);
    expect(ui.duplicateAttributeErrors).toBe(0);
  });
});
