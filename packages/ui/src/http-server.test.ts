import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closedOf, dripUntilClosed, rawSocket } from "../test/sockets.js";
import { type ConnectionLimits, createGuardedServer, type RequestHandler } from "./http-server.js";

const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxConnectionsPerClient: 64,
};

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** A guarded server on a free port; its server-side sockets are reported to `onSocket`. */
async function start(handler: RequestHandler, limits: Partial<ConnectionLimits> = {}, onSocket?: (s: Socket) => void) {
  const { server, sockets } = createGuardedServer(handler, { ...LIMITS, ...limits });
  if (onSocket) server.on("connection", onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  started.push({
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return { url, port: (server.address() as AddressInfo).port, sockets };
}

const ok: RequestHandler = async (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
};

describe("createGuardedServer: no handler failure stops the server", () => {
  it("answers 500 when writing the answer's headers throws (an invalid header value), and serves the next request", async () => {
    let calls = 0;
    const { url } = await start(async (_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(302, { location: "/x\nX-Injected: 1" });
      else await ok(_req, res);
    });
    const bad = await fetch(url);
    expect(bad.status).toBe(500);
    expect(bad.headers.get("x-injected")).toBeNull();
    expect(((await bad.json()) as { error: string }).error).toMatch(/The server failed: .*header/i);
    const next = await fetch(url);
    expect(next.status).toBe(200);
    expect(await next.text()).toBe("ok");
  });

  it("answers 500 for a handler that throws synchronously or rejects", async () => {
    let calls = 0;
    const { url } = await start(((_req, res) => {
      calls++;
      if (calls === 1) throw new Error("sync boom");
      if (calls === 2) return Promise.reject(new Error("async boom"));
      return ok(_req, res);
    }) as RequestHandler);
    expect((await fetch(url)).status).toBe(500);
    expect((await fetch(url)).status).toBe(500);
    expect((await fetch(url)).status).toBe(200);
  });

  it("destroys the connection when the handler fails after the headers went out, and serves the next request", async () => {
    let calls = 0;
    const { url } = await start(async (_req, res) => {
      calls++;
      if (calls > 1) return ok(_req, res);
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error("mid-answer");
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect((await fetch(url)).status).toBe(200);
  });
});

describe("createGuardedServer: slow clients are dropped, destroyed not half-closed", () => {
  it("drops a connection that drips its headers, answering 408", async () => {
    const closed: Promise<unknown>[] = [];
    const { port } = await start(ok, { headersTimeoutMs: 200, requestTimeoutMs: 400 }, (s) =>
      closed.push(once(s, "close")),
    );
    const socket = await rawSocket(port);
    const received = dripUntilClosed(socket, "", "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa");
    expect(await received).toMatch(/^HTTP\/1\.1 408/);
    await Promise.all(closed); // the server's own socket is gone, not left half-open
  });

  it("drops a connection that sends nothing", async () => {
    const closed: Promise<unknown>[] = [];
    const { port, sockets } = await start(ok, { headersTimeoutMs: 200, requestTimeoutMs: 400 }, (s) =>
      closed.push(once(s, "close")),
    );
    const socket = await rawSocket(port);
    socket.resume();
    await once(socket, "end"); // the server's side is gone: it closed without a word
    await Promise.all(closed);
    expect(sockets.size).toBe(0);
  });

  it("drops a connection that drips a body past requestTimeoutMs, whatever the handler does", async () => {
    const closed: Promise<unknown>[] = [];
    // The handler never reads the body: only the server's request timeout can end this.
    const { port } = await start(
      async () => {},
      { headersTimeoutMs: 200, requestTimeoutMs: 400 },
      (s) => closed.push(once(s, "close")),
    );
    const socket = await rawSocket(port);
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    await dripUntilClosed(socket, "", "x");
    await Promise.all(closed);
  });

  it("keeps idle kept-alive connections open longer than clients keep theirs, and says so", async () => {
    const { url } = await start(ok);
    const res = await fetch(url);
    await res.text();
    expect(res.headers.get("keep-alive")).toBe("timeout=65");
  });
});

describe("createGuardedServer: connections per client address", () => {
  it("answers 429 on a connection beyond the cap, and takes new ones once others closed", async () => {
    const serverSide: Promise<void>[] = [];
    const { port, url } = await start(ok, { maxConnectionsPerClient: 3 }, (s) => serverSide.push(closedOf(s)));
    const held: Socket[] = [];
    // One at a time: the server has counted each before the next connects.
    for (let i = 0; i < 3; i++) held.push(await rawSocket(port));
    const extra = await rawSocket(port);
    let answer = "";
    extra.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    extra.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(extra, "end");
    expect(answer).toMatch(/^HTTP\/1\.1 429/);
    expect(answer).toMatch(/retry-after: 1/i);
    expect(answer).toMatch(/maxConnectionsPerClient/);
    for (const s of [...held, extra]) s.destroy();
    await Promise.all(serverSide); // the server has seen every one close
    expect((await fetch(url)).status).toBe(200);
  });
});
