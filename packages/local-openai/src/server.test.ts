import { Agent, request } from "node:http";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { APIError, BadRequestError, OpenAI, RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalOpenAI } from "./server.js";
import type { LocalOpenAI, LocalOpenAIOptions } from "./types.js";

let server: LocalOpenAI | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: LocalOpenAIOptions = {}): Promise<{ server: LocalOpenAI; client: OpenAI }> {
  server = await startLocalOpenAI({ latencyMs: 0, ...options });
  // maxRetries: 0 so injected 429/5xx errors reach the test instead of being retried.
  return { server, client: new OpenAI({ apiKey: "test-key", baseURL: server.baseURL, maxRetries: 0 }) };
}

const DIV = "Please center my HTML <div> tag";

async function raw(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server!.baseURL.replace(/\/v1$/, "")}${path}`, init);
  return { status: res.status, body: await res.json() };
}

describe("startLocalOpenAI", () => {
  it("listens on 127.0.0.1 with a /v1 base URL on a free port", async () => {
    const { server } = await start();
    expect(server.port).toBeGreaterThan(0);
    expect(server.baseURL).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  it("answers a plain chat completion with a deterministic answer and usage", async () => {
    const { server, client } = await start();
    const messages = [
      { role: "system" as const, content: "You are a benevolent all-knowing being" },
      { role: "user" as const, content: DIV },
    ];
    const reply = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    const content = reply.choices[0]?.message.content ?? "";
    expect(reply.object).toBe("chat.completion");
    expect(reply.model).toBe("gpt-4o-mini");
    expect(reply.choices[0]?.finish_reason).toBe("stop");
    expect(content).toContain("display: flex");
    // 4 characters per token, 4 tokens per message, 2 priming tokens.
    const prompt = 2 + (4 + Math.ceil(messages[0]!.content.length / 4)) + (4 + Math.ceil(DIV.length / 4));
    expect(reply.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: Math.ceil(content.length / 4),
      total_tokens: prompt + Math.ceil(content.length / 4),
    });
    const again = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    expect(again.choices[0]?.message.content).toBe(content);
    expect(again.id).not.toBe(reply.id);
    expect(server.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/v1/chat/completions"],
      ["POST", "/v1/chat/completions"],
    ]);
    expect(server.requests[0]?.body).toMatchObject({ model: "gpt-4o-mini", messages });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer test-key");
  });

  it("streams chunks ending with [DONE] and a usage chunk when asked", async () => {
    const { client } = await start();
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Who was the first person on the moon?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishReasons: (string | null | undefined)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishReasons.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain("Neil Armstrong");
    expect(chunks).toBeGreaterThan(5);
    expect(finishReasons).toEqual(["stop"]);
    expect(usage?.completion_tokens).toBe(Math.ceil(text.length / 4));
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it("sends no usage chunk and the raw SSE framing without include_usage", async () => {
    await start();
    const res = await fetch(`${server!.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hello there" }] }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, "")));
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && !("usage" in c))).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toContain("Hello!");
  });

  it("uses a custom answer function and cuts the answer at max_tokens", async () => {
    const { server, client } = await start({ answer: (request) => `model ${request.model} says: ${"x".repeat(100)}` });
    const full = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "q" }] });
    expect(full.choices[0]?.message.content).toMatch(/^model tiny says: x{100}$/);
    const cut = await client.chat.completions.create({
      model: "tiny",
      max_tokens: 3,
      messages: [{ role: "user", content: "q" }],
    });
    expect(cut.choices[0]?.message.content).toBe("model tiny s");
    expect(cut.choices[0]?.finish_reason).toBe("length");
    expect(cut.usage?.completion_tokens).toBe(3);
    expect(server.requests).toHaveLength(2);
  });

  it("returns n choices and counts each in the usage", async () => {
    const { client } = await start();
    const reply = await client.chat.completions.create({
      model: "m",
      n: 2,
      messages: [{ role: "user", content: "capital of France?" }],
    });
    expect(reply.choices.map((c) => c.index)).toEqual([0, 1]);
    const content = reply.choices[1]?.message.content ?? "";
    expect(content).toContain("Paris");
    expect(reply.usage?.completion_tokens).toBe(2 * Math.ceil(content.length / 4));
  });

  it("works with the default latency and chunk delay", async () => {
    server = await startLocalOpenAI();
    const client = new OpenAI({ apiKey: "k", baseURL: server.baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "tell me a joke" }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Why do programmers prefer dark mode? Because light attracts bugs.");
  });

  it("injects a fixed failure in OpenAI's error shape", async () => {
    const { client } = await start({ failWith: { status: 429, message: "Rate limit reached for gpt-4o-mini" } });
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as APIError).status).toBe(429);
    expect((error as APIError).error).toEqual({
      message: "Rate limit reached for gpt-4o-mini",
      type: "rate_limit_error",
      param: null,
      code: "rate_limit_exceeded",
    });
  });

  it("injects failures chosen per request, streaming ones included", async () => {
    const { client } = await start({
      failWith: (request) =>
        request.model === "broken"
          ? { status: 503, message: "The engine is overloaded", type: "server_error", code: "overloaded" }
          : undefined,
    });
    const ok = await client.chat.completions.create({ model: "fine", messages: [{ role: "user", content: "hi" }] });
    expect(ok.choices[0]?.message.content).toContain("Hello");
    const error = await client.chat.completions
      .create({ model: "broken", stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(503);
    expect((error as APIError).code).toBe("overloaded");
    expect((error as APIError).message).toContain("The engine is overloaded");
  });

  it("rejects a request without a model or messages with 400 in OpenAI's shape", async () => {
    const { server, client } = await start();
    const noModel = await client.chat.completions
      .create({
        messages: [{ role: "user", content: "hi" }],
      } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(BadRequestError);
    expect((noModel as APIError).error).toMatchObject({ type: "invalid_request_error", param: "model" });
    expect((noModel as APIError).message).toContain("you must provide a model parameter");

    const noMessages = await client.chat.completions
      .create({ model: "gpt-4o-mini" } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(BadRequestError);
    expect((noMessages as APIError).error).toEqual({
      message: "Missing required parameter: 'messages'.",
      type: "invalid_request_error",
      param: "messages",
      code: "missing_required_parameter",
    });
    expect(server.requests).toHaveLength(2);
  });

  it("rejects malformed bodies: invalid JSON, empty messages, a bad role", async () => {
    await start();
    const post = (body: string) =>
      raw("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body });
    const badJson = await post("{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.message).toContain("could not parse the JSON body");
    const empty = await post(JSON.stringify({ model: "m", messages: [] }));
    expect(empty).toMatchObject({ status: 400, body: { error: { param: "messages", code: "empty_array" } } });
    const role = await post(JSON.stringify({ model: "m", messages: [{ role: "robot", content: "x" }] }));
    expect(role).toMatchObject({ status: 400, body: { error: { param: "messages[0].role", code: "invalid_value" } } });
    expect(role.body.error.message).toContain("'user'");
  });

  it("turns a throwing answer function into a 500 server_error", async () => {
    const { client } = await start({
      answer: () => {
        throw new Error("no answer today");
      },
    });
    const error = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).error).toMatchObject({ type: "server_error" });
    expect((error as APIError).message).toContain("no answer today");
  });

  it("lists and looks up models", async () => {
    const { client } = await start({ models: ["local-small", "local-large"] });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["local-small", "local-large"]);
    expect((await client.models.retrieve("local-large")).id).toBe("local-large");
    const missing = await client.models.retrieve("nope").catch((e: unknown) => e);
    expect((missing as APIError).status).toBe(404);
    expect((missing as APIError).code).toBe("model_not_found");
  });

  it("answers a model id with a malformed escape as an unknown model, not a server error", async () => {
    await start();
    const res = await raw("/v1/models/%E0%A4%A", { method: "GET" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("model_not_found");
  });

  it("answers unknown paths with 404 naming the served routes", async () => {
    await start();
    const res = await raw("/v1/embeddings", { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain("Invalid URL (POST /v1/embeddings)");
    expect(res.body.error.message).toContain("POST /v1/chat/completions");
  });

  it("applies a latency function to each request", async () => {
    const seen: string[] = [];
    const { client } = await start({
      latencyMs: (request) => {
        seen.push(request.model);
        return 1;
      },
    });
    await client.chat.completions.create({ model: "slow", messages: [{ role: "user", content: "hi" }] });
    expect(seen).toEqual(["slow"]);
  });

  it("closes with a pending request, and close() is idempotent", async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const { server, client } = await start({
      latencyMs: () => {
        arrived(); // the request is in: the server now waits out its latency
        return 60_000;
      },
    });
    const pending = client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    await requestArrived;
    expect(server.requests).toHaveLength(1);
    await Promise.all([server.close(), server.close()]);
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${server.baseURL}/models`)).rejects.toThrow();
  });

  it("explains bad options", async () => {
    await expect(startLocalOpenAI({ port: -1 })).rejects.toThrow(/port must be an integer from 0 to 65535/);
    await expect(startLocalOpenAI({ latencyMs: -5 })).rejects.toThrow(
      /latencyMs must be a finite number of milliseconds >= 0/,
    );
    await expect(startLocalOpenAI({ failWith: { status: 200, message: "ok" } })).rejects.toThrow(
      /failWith must be \{ status: <400-599>/,
    );
    await expect(startLocalOpenAI({ answer: "hi" as never })).rejects.toThrow(/answer must be a function/);
  });

  it("reports a port already in use", async () => {
    const { server: first } = await start();
    await expect(startLocalOpenAI({ port: first.port })).rejects.toThrow(
      /could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*Use port 0/,
    );
  });

  it("reports a failWith function that returns a malformed failure", async () => {
    const { client } = await start({ failWith: () => ({ status: 42, message: "x" }) });
    const error = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).message).toContain("The failWith function's result must be { status: <400-599>");
  });
});

describe("startLocalOpenAI bounds", () => {
  /** Opens a raw TCP connection to the server; resolves once it is connected. */
  /** A connected socket, and a promise of its close that listens from the start (the server may close it at once). */
  async function openSocket(): Promise<{ socket: Socket; closed: Promise<void> }> {
    const socket = connect(server!.port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return { socket, closed };
  }

  it("keeps only the last 100 requests, and counts them all", async () => {
    const { server } = await start();
    for (let i = 0; i < 130; i++) {
      const res = await fetch(`${server.baseURL}/models/m${i}`, { method: "GET" });
      await res.arrayBuffer();
    }
    expect(server.requestCount).toBe(130);
    expect(server.requests).toHaveLength(100);
    expect(server.requests[0]!.path).toBe("/v1/models/m30");
    expect(server.requests[99]!.path).toBe("/v1/models/m129");
  });

  it("closes a connection that trickles a request and never completes it", async () => {
    await start({ requestTimeoutMs: 50 });
    const trickling = await openSocket();
    trickling.socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const silent = await openSocket();
    const halfBody = await openSocket();
    halfBody.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"model":',
    );
    // Each resolves only when the server closes the connection.
    await Promise.all([trickling.closed, silent.closed, halfBody.closed]);
  });

  it("leaves an idle kept-alive connection open for 65 s (longer than clients keep theirs), so a client reusing it is not cut off", async () => {
    // A second per request, so a busy machine's slow send on the reused connection is not taken
    // for a request that outlived its deadline.
    await start({ requestTimeoutMs: 1_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; reused: boolean; keepAlive: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: server!.port, path: "/v1/models", agent }, (res) => {
          res.resume();
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              reused: req.reusedSocket,
              keepAlive: String(res.headers["keep-alive"]),
            }),
          );
        });
        req.on("error", reject).end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false, keepAlive: "timeout=65" });
      // Idle for longer than two request deadlines; the client may keep the connection for 64 s.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await get()).toEqual({ status: 200, reused: true, keepAlive: "timeout=65" });
    } finally {
      agent.destroy();
    }
  });

  it("does not count the time the server takes to answer", async () => {
    // The answer takes longer than the request may take to arrive; the request itself gets a
    // second, so a busy machine's slow send is not mistaken for the server's time.
    const { client } = await start({ requestTimeoutMs: 1_000, latencyMs: 1_500 });
    const reply = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: DIV }],
    });
    expect(reply.choices[0]?.message.content).toContain("display: flex");
  });

  it("explains a bad requestTimeoutMs", async () => {
    await expect(startLocalOpenAI({ requestTimeoutMs: 0 })).rejects.toThrow(
      /requestTimeoutMs must be a number of milliseconds above 0 and at most 2147483647/,
    );
    await expect(startLocalOpenAI({ requestTimeoutMs: 2 ** 31 })).rejects.toThrow(RangeError);
  });
});
