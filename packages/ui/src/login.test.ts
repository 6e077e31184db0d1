import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";
import { SESSION_COOKIE, sessionToken } from "./auth.js";

const form = (body: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(body).toString(),
  redirect: "manual",
});

describe("the API key login", () => {
  it("asks for the key on a page route (401 with a form, no script), not on the API", async () => {
    const ui = await serve({ apiKey: "k-123" });
    const page = await fetch(`${ui.url}/runs/r1?x=1`);
    expect(page.status).toBe(401);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const text = await page.text();
    expect(text).toContain('<form method="post" action="/api/login">');
    expect(text).toContain('name="next" value="/runs/r1?x=1"');
    expect(text).not.toMatch(/<script|\sstyle=/);
    const api = await fetch(`${ui.url}/api/runs`);
    expect(api.status).toBe(401);
    expect(api.headers.get("content-type")).toMatch(/application\/json/);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie for the right key, which then opens every route", async () => {
    const ui = await serve({ apiKey: "k-123" });
    const res = await fetch(`${ui.url}/api/login`, form({ key: "k-123", next: "/runs/r1" }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/runs/r1");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/$`));
    // The cookie holds a digest, never the key.
    expect(cookie).not.toContain("k-123");
    const session = cookie.split(";")[0]!;
    for (const path of ["/", "/api/runs", "/api/store"]) {
      expect((await fetch(`${ui.url}${path}`, { headers: { cookie: session } })).status, path).toBe(200);
    }
    expect((await fetch(`${ui.url}/api/runs`, { headers: { cookie: `other=1; ${session}` } })).status).toBe(200);
    // A token made for another key, or under another secret (another server, or this one before a restart): refused.
    for (const token of [sessionToken("k-124", Buffer.alloc(32)), sessionToken("k-123", Buffer.alloc(32))]) {
      expect((await fetch(`${ui.url}/api/runs`, { headers: { cookie: `${SESSION_COOKIE}=${token}` } })).status).toBe(
        401,
      );
    }
    // A restart ends the session: the same key, a new server, the old cookie is refused.
    const restarted = await serve({ apiKey: "k-123" });
    expect((await fetch(`${restarted.url}/api/runs`, { headers: { cookie: session } })).status).toBe(401);
    expect((await fetch(`${restarted.url}/api/runs`, { headers: { "x-api-key": "k-123" } })).status).toBe(200);
    expect((await fetch(`${ui.url}/api/runs`, { headers: { cookie: `${SESSION_COOKIE}=k-123` } })).status).toBe(401);
  });

  it("answers a wrong or missing key with 401 and no cookie, as a form or as JSON", async () => {
    const ui = await serve({ apiKey: "k-123" });
    const wrong = await fetch(`${ui.url}/api/login`, form({ key: "k-124", next: "/" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("That is not this server&#39;s API key.");
    expect((await fetch(`${ui.url}/api/login`, form({ next: "/" }))).status).toBe(401);
    const json = (key: unknown) =>
      fetch(`${ui.url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key }),
      });
    const bad = await json("nope");
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    expect((await json(42)).status).toBe(401);
    const good = await json("k-123");
    expect(good.status).toBe(200);
    expect(good.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
  });

  it("sends the browser back only to a local path, refuses other bodies and methods, and other sites", async () => {
    const ui = await serve({ apiKey: "k-123" });
    for (const next of [
      "//evil.example/x",
      "https://evil.example/",
      "\\\\evil",
      "runs",
      // A browser's URL parser drops tabs and newlines and reads "\" as "/": each of these is off-site.
      "/\t/evil.example",
      "/\n/evil.example",
      "/\\evil.example",
      "/\\/evil.example",
      "/a/../..//evil.example",
      "/runs/x\r\nX-Injected: 1",
      "/%\u0000",
      `/${"a".repeat(3000)}`,
    ]) {
      const res = await fetch(`${ui.url}/api/login`, form({ key: "k-123", next }));
      expect(res.status, JSON.stringify(next)).toBe(303);
      expect(res.headers.get("location"), JSON.stringify(next)).toBe("/");
    }
    // A path of this server comes back as the browser would read it (percent-encoded, safe in a header).
    const local = await fetch(`${ui.url}/api/login`, form({ key: "k-123", next: "/runs/é x?a=1#node=ü" }));
    expect(local.headers.get("location")).toBe("/runs/%C3%A9%20x?a=1#node=%C3%BC");
    const text = await fetch(`${ui.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "k-123",
    });
    expect(text.status).toBe(415);
    expect((await fetch(`${ui.url}/api/login`)).status).toBe(405);
    const crossSite = await fetch(`${ui.url}/api/login`, form({ key: "k-123" }, { origin: "http://evil.example" }));
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
  });

  it("survives a next that would inject a header (no key needed): 303 to /, and the server answers the next request", async () => {
    const ui = await serve();
    const res = await fetch(`${ui.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "next=%2Fruns%2Fx%0AX-Injected%3A%201",
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.get("x-injected")).toBeNull();
    expect((await fetch(`${ui.url}/api/runs`)).status).toBe(200);
  });
});
