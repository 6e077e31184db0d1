import { readdir } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { HamiltonUIClient } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";

/** One request with exactly the given headers (fetch does not let a test set Host). */
function send(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const template = JSON.stringify({ name: "d", dag_hash: "h", code_hash: "c", nodes: [] });

describe("request source checks", () => {
  it("answers only to a loopback or its own Host without an API key (DNS rebinding)", async () => {
    const ui = await serve();
    const evil = await send(ui.url, "/api/store", { headers: { host: `evil.example:${ui.port}` } });
    expect(evil.status).toBe(403);
    expect(evil.body).not.toContain(ui.dir);
    expect(evil.body).toContain("evil.example");
    for (const host of [`localhost:${ui.port}`, `127.0.0.1:${ui.port}`, `[::1]:${ui.port}`, "localhost"]) {
      expect((await send(ui.url, "/api/store", { headers: { host } })).status, host).toBe(200);
    }
    // With a key, the key is what protects it: any Host.
    const keyed = await serve({ apiKey: "k" });
    const res = await send(keyed.url, "/api/runs", { headers: { host: "ui.example:80", "x-api-key": "k" } });
    expect(res.status).toBe(200);
  });

  it("refuses a foreign Origin on every route, and takes the server's own", async () => {
    const ui = await serve();
    const foreign = { origin: "https://evil.example" };
    expect((await send(ui.url, "/api/runs", { headers: foreign })).status).toBe(403);
    const post = await send(ui.url, "/api/v1/dag_templates?project_id=evil", {
      method: "POST",
      headers: { ...foreign, "content-type": "application/json" },
      body: template,
    });
    expect(post.status).toBe(403);
    expect(await readdir(ui.dir)).not.toContain("evil");
    const own = await send(ui.url, "/api/runs", { headers: { origin: `http://127.0.0.1:${ui.port}` } });
    expect(own.status).toBe(200);
  });

  it("takes protocol bodies only as application/json (415), so a page cannot post without a preflight", async () => {
    const ui = await serve();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      const res = await send(ui.url, "/api/v1/dag_templates?project_id=evil", {
        method: "POST",
        headers: type === undefined ? {} : { "content-type": type },
        body: template,
      });
      expect(res.status, String(type)).toBe(415);
      expect(res.body).toContain("application/json");
    }
    expect(await readdir(ui.dir)).not.toContain("evil");
    // What HamiltonUIClient sends still works end to end.
    const client = new HamiltonUIClient({ baseUrl: ui.url, username: "me@example.com" });
    await expect(client.verify(5)).resolves.toBeUndefined();
    const ok = await send(ui.url, "/api/v1/dag_templates?project_id=5", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: template,
    });
    expect(ok.status).toBe(200);
  });

  it("creates nothing on a GET: a project's folders come with its first write", async () => {
    const ui = await serve();
    const res = await send(ui.url, "/api/v1/projects/img-tag");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ name: "img-tag" });
    expect(await readdir(ui.dir)).not.toContain("img-tag");
    const write = await send(ui.url, "/api/v1/dag_templates?project_id=img-tag", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: template,
    });
    expect(write.status).toBe(200);
    expect(await readdir(join(ui.dir, "img-tag"))).toContain("runs");
  });

  it("answers a 405 with an Allow header", async () => {
    const ui = await serve();
    const res = await send(ui.url, "/v1/traces");
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST");
  });

  it("does not report a client that aborts its upload as a server failure", async () => {
    const ui = await serve();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const socket = connect(ui.port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        "POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n",
      );
      // "100 Continue" comes as the server hands the request to its handler: then part of the body, and away.
      await new Promise<void>((resolve) => socket.once("data", () => resolve()));
      await new Promise<void>((resolve) => socket.write('{"resourceSpans"', () => resolve()));
      socket.destroy();
      await ui.close(); // waits for the request's handling to finish
      await new Promise<void>((resolve) => setImmediate(resolve)); // a warning is emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.includes("hamilton-ts-ui"))).toEqual([]);
  });
});
