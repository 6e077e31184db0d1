/**
 * A Hamilton-UI-protocol server for tests, on 127.0.0.1: it implements the tracking routes the
 * Python SDK uses (shapes from research/hamilton.md §5), logs every request, keeps the state a
 * real server would (templates, runs, node runs upserted per (dag_run, node_name), attributes per
 * (dag_run, node_name, name)), and can be made to fail: answer 500, hang, or stop listening.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

export interface StoredNodeRun {
  node_template_name: string;
  node_name: string;
  status: string;
  start_time: string;
  end_time: string | null;
  realized_dependencies: unknown;
}

export interface StoredDagRun {
  id: number;
  dagTemplateId: number;
  body: Record<string, unknown>;
  status: string;
  endTime: string | undefined;
  nodes: Map<string, StoredNodeRun>;
  attributes: Map<string, Record<string, unknown>>;
}

/** `none`: normal; `hang`: never answer; a number: answer every request with that status. */
export type FailureMode = "none" | "hang" | number;

export interface FakeHamiltonUIOptions {
  readonly apiKey?: string;
  readonly username?: string;
  readonly projects?: readonly number[];
}

/** Protocol violations the server saw; tests assert this stays empty. */
export class FakeHamiltonUI {
  readonly requests: LoggedRequest[] = [];
  readonly problems: string[] = [];
  readonly templates = new Map<number, Record<string, unknown>>();
  readonly runs = new Map<number, StoredDagRun>();
  mode: FailureMode = "none";
  port = 0;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #hanging: ServerResponse[] = [];
  #nextTemplate = 7;
  #nextRun = 100;
  readonly #options: Required<FakeHamiltonUIOptions>;

  constructor(options: FakeHamiltonUIOptions = {}) {
    this.#options = { apiKey: "test-key", username: "me@example.com", projects: [1], ...options };
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening (on the same port as before, after {@link stop}). */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused until {@link start}. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const res of this.#hanging) res.destroy();
    this.#hanging = [];
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Ends hanging requests (their clients see a reset) and goes back to normal. */
  recover(): void {
    this.mode = "none";
    for (const res of this.#hanging) res.destroy();
    this.#hanging = [];
  }

  /** Requests other than the failure-mode ones, by `METHOD path`. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** All node runs of all dag runs. */
  allNodeRuns(): StoredNodeRun[] {
    return [...this.runs.values()].flatMap((r) => [...r.nodes.values()]);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    let body: unknown;
    if (raw.length > 0) {
      if (req.headers["content-type"] !== "application/json") this.problems.push(`${req.method} ${url.pathname}: content-type ${req.headers["content-type"]}`);
      try {
        body = JSON.parse(raw);
      } catch {
        this.problems.push(`${req.method} ${url.pathname}: body is not JSON`);
      }
    }
    if (this.mode === "hang") {
      this.#hanging.push(res);
      return;
    }
    if (typeof this.mode === "number") {
      res.writeHead(this.mode, { "content-type": "application/json" }).end('{"detail":"boom"}');
      return;
    }
    this.requests.push({ method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body });
    if (req.headers["x-api-user"] !== this.#options.username || req.headers["x-api-key"] !== this.#options.apiKey) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"detail":"unauthorized"}');
      return;
    }
    const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    const method = req.method;
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === "GET" && path === "/api/v1/phone_home") return void json(200, { success: true, message: "hello" });
    if (method === "GET" && (m = path.match(/^\/api\/v1\/projects\/(\d+)$/))) {
      const id = Number(m[1]);
      return void (this.#options.projects.includes(id) ? json(200, { id, name: "p" }) : json(404, { detail: "not found" }));
    }
    if (method === "GET" && path === "/api/v1/dag_templates/exists/") {
      const q = url.searchParams;
      if (q.getAll("dag_hash").length !== 2) this.problems.push("exists: dag_hash should appear twice");
      for (const [id, t] of this.templates) {
        if (t["dag_hash"] === q.get("dag_hash") && t["code_hash"] === q.get("code_hash") && t["name"] === q.get("dag_name")) {
          return void json(200, { id, ...t });
        }
      }
      return void json(200, null);
    }
    if (method === "POST" && path === "/api/v1/dag_templates") {
      const b = body as Record<string, unknown>;
      for (const key of ["name", "template_type", "config", "dag_hash", "tags", "code_hash", "code_version_info", "nodes", "code_artifacts", "code_log"]) {
        if (!(key in b)) this.problems.push(`dag_templates: missing ${key}`);
      }
      if (!url.searchParams.get("project_id")) this.problems.push("dag_templates: missing project_id");
      const id = this.#nextTemplate++;
      this.templates.set(id, b);
      return void json(200, { id });
    }
    if (method === "POST" && path === "/api/v1/dag_runs") {
      const templateId = Number(url.searchParams.get("dag_template_id"));
      if (!this.templates.has(templateId)) return void json(404, { detail: "no template" });
      const b = body as Record<string, unknown>;
      for (const key of ["run_start_time", "tags", "inputs", "outputs", "run_status"]) {
        if (!(key in b)) this.problems.push(`dag_runs: missing ${key}`);
      }
      const id = this.#nextRun++;
      this.runs.set(id, { id, dagTemplateId: templateId, body: b, status: String(b["run_status"]), endTime: undefined, nodes: new Map(), attributes: new Map() });
      return void json(200, { id });
    }
    if (method === "PUT" && path === "/api/v1/dag_runs_bulk") {
      const run = this.runs.get(Number(url.searchParams.get("dag_run_id")));
      if (!run) return void json(404, { detail: "no run" });
      const b = body as { attributes?: Record<string, unknown>[]; task_updates?: StoredNodeRun[] };
      if (!Array.isArray(b.attributes) || !Array.isArray(b.task_updates)) {
        this.problems.push("dag_runs_bulk: attributes and task_updates must be arrays");
        return void json(422, { detail: "bad body" });
      }
      const names = new Set<string>();
      for (const t of b.task_updates) {
        if (names.has(t.node_name)) this.problems.push(`dag_runs_bulk: ${t.node_name} twice in one batch (not merged)`);
        names.add(t.node_name);
        const previous = run.nodes.get(t.node_name);
        // Upsert on (dag_run, node_name); on conflict only status/end_time change (as the server does).
        run.nodes.set(t.node_name, previous ? { ...previous, status: t.status, end_time: t.end_time } : { ...t });
      }
      for (const a of b.attributes) {
        for (const key of ["node_name", "name", "type", "schema_version", "value", "attribute_role"]) {
          if (!(key in a)) this.problems.push(`dag_runs_bulk: attribute missing ${key}`);
        }
        run.attributes.set(`${String(a["node_name"])}/${String(a["name"])}`, a);
      }
      return void json(200, {});
    }
    if (method === "PUT" && (m = path.match(/^\/api\/v1\/dag_runs\/(\d+)\/$/))) {
      const run = this.runs.get(Number(m[1]));
      if (!run) return void json(404, { detail: "no run" });
      const b = body as Record<string, unknown>;
      run.status = String(b["run_status"]);
      run.endTime = String(b["run_end_time"]);
      return void json(200, {});
    }
    this.problems.push(`unknown route ${method} ${path}`);
    json(404, { detail: "no route" });
  }
}
