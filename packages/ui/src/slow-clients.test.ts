import { once } from "node:events";
import { Agent, request } from "node:http";
import { describe, expect, it } from "vitest";
import { closedOf, dripUntilClosed, rawSocket } from "../test/sockets.js";
import { serve } from "../test/temp.js";
import { startUi } from "./server.js";

describe("startUi drops slow clients", () => {
  it("a request whose headers drip in: 408 after headersTimeoutMs, the connection destroyed", async () => {
    const ui = await serve({ headersTimeoutMs: 1_000 });
    const socket = await rawSocket(ui.port);
    const answer = await dripUntilClosed(socket, "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", "abcdef");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await fetch(`${ui.url}/api/runs`)).status).toBe(200);
  });

  it("a body that drips in below minBodyBytesPerSecond: 408 naming the option, the connection destroyed", async () => {
    const ui = await serve({ headersTimeoutMs: 1_000, minBodyBytesPerSecond: 10_000 });
    for (const path of ["/v1/traces", "/api/v1/dag_templates?project_id=1"]) {
      const socket = await rawSocket(ui.port);
      const answer = await dripUntilClosed(
        socket,
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"resourceSpans":[`,
        " ",
      );
      expect(answer, path).toMatch(/^HTTP\/1\.1 408/);
      expect(answer, path).toMatch(/minBodyBytesPerSecond/);
    }
    expect((await fetch(`${ui.url}/api/runs`)).status).toBe(200);
  });

  it("a connection that sends nothing is dropped after headersTimeoutMs", async () => {
    const ui = await serve({ headersTimeoutMs: 1_000 });
    const socket = await rawSocket(ui.port);
    socket.resume();
    await once(socket, "end");
    // Its side is destroyed: writing to it fails, and the socket closes.
    const closed = closedOf(socket);
    const timer = setInterval(() => socket.write("G"), 20);
    await closed;
    clearInterval(timer);
  });

  it("answers 429 beyond maxConnectionsPerClient, and serves again once connections closed", async () => {
    const ui = await serve({ maxConnectionsPerClient: 2 });
    const held = [await rawSocket(ui.port), await rawSocket(ui.port)];
    const refused = await fetch(`${ui.url}/api/runs`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: string }).error).toMatch(/maxConnectionsPerClient/);
    for (const socket of held) socket.destroy();
    // The server sees the closes in its own time: ask until it does (each refusal is answered at once).
    let status = 429;
    while (status === 429) status = (await fetch(`${ui.url}/api/runs`)).status;
    expect(status).toBe(200);
  });

  it("keeps idle connections open 65 s (keep-alive: timeout=65), longer than clients keep theirs", async () => {
    const ui = await serve();
    const res = await fetch(`${ui.url}/api/runs`);
    await res.text();
    expect(res.headers.get("keep-alive")).toBe("timeout=65");
  });

  it("keeps an idle kept-alive connection past headersTimeoutMs: the headers' time counts from a request's first byte", async () => {
    const ui = await serve({ headersTimeoutMs: 1_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = () =>
        new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
          const req = request(`${ui.url}/api/runs`, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          });
          req.on("error", reject);
          req.end();
        });
      expect(await get()).toEqual({ status: 200, reused: false });
      // A connection that sends nothing is dropped once headersTimeoutMs have passed: after that,
      // the kept-alive one has been idle longer than headersTimeoutMs too.
      const silent = await rawSocket(ui.port);
      silent.resume();
      await once(silent, "end");
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it("refuses bad limits with a clear error", async () => {
    for (const [name, value] of [
      ["headersTimeoutMs", 0],
      ["requestTimeoutMs", 1.5],
      ["keepAliveTimeoutMs", -1],
      ["maxConnectionsPerClient", 0],
      ["minBodyBytesPerSecond", Number.NaN],
    ] as const) {
      await expect(startUi({ port: 0, [name]: value }), name).rejects.toMatchObject({
        code: "INVALID_OPTION",
        message: expect.stringContaining(`"${name}"`),
      });
    }
    await expect(startUi({ port: 0, headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/requestTimeoutMs.*shorter than.*headersTimeoutMs/),
    });
  });
});
