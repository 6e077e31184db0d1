/**
 * A recording HTTP proxy on 127.0.0.1 for tests: forwards every request to a target server as it
 * came, logs it (method, path, query, headers, JSON body) the way the tracker's fake Hamilton UI
 * logs what it receives, and lets a test wait for the next answer. The shared Hamilton UI protocol
 * scenarios check what a client sent through it.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { LoggedRequest } from "@hamilton-ts/testing";

export class RecordingProxy {
  /** Every request, in the order received. */
  readonly requests: LoggedRequest[] = [];
  /** Answers with an error status (4xx, 5xx), or bodies that were not JSON: `METHOD path: status body`. */
  readonly problems: string[] = [];
  readonly #target: URL;
  #server: Server | undefined;
  #port = 0;
  #waiters: (() => void)[] = [];

  constructor(target: string) {
    this.#target = new URL(target);
  }

  /** The proxy's address. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.#forward(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers).end(body);
          this.#answered();
        },
        (error: unknown) => {
          this.problems.push(`${req.method} ${req.url}: proxy failed: ${String(error)}`);
          res.destroy();
          this.#answered();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `METHOD path` of each request. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Resolves once the proxy has answered its next request. */
  nextAnswer(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #answered(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  async #forward(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://x");
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        this.problems.push(`${req.method} ${url.pathname}: body is not JSON`);
      }
    }
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.#target.host },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (chunk: Buffer) => parts.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const answer = Buffer.concat(parts);
            const status = res.statusCode ?? 0;
            if (status >= 400)
              this.problems.push(`${req.method} ${url.pathname}: ${status} ${answer.toString("utf8").slice(0, 300)}`);
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === "string" && name !== "connection" && name !== "transfer-encoding")
                headers[name] = value;
            }
            resolve({ status, headers, body: answer });
          });
        },
      );
      out.on("error", reject);
      out.end(raw);
    });
  }
}
