/**
 * A Hamilton-UI-protocol server for tests, on 127.0.0.1. It implements the tracking routes the
 * Python SDK uses (shapes from research/hamilton.md §5), logs every request, and keeps the state
 * the real backend keeps, with the real backend's strictness where it matters:
 *
 * - node runs are upserted per (dag_run, node_name); on conflict only status/end_time change;
 * - node attributes are *inserted*: `unique_together = (name, node_name, dag_run)`, so a bulk
 *   holding an attribute that is already stored answers HTTP 500 (IntegrityError) and stores none
 *   of its attributes — its task updates, written first, stay stored (the real `bulk_log` is not
 *   one transaction);
 * - `POST /dag_runs` creates a new run every time;
 * - `GET /dag_runs/latest/` (newest first) and `GET /dag_runs/{ids}?attr=…` read them back.
 *
 * It can be made to fail: answer a status to everything (`mode`), hang, stop listening, or
 * {@link inject} a fault into chosen requests *after* they were processed (the answer is lost:
 * a 503, a destroyed socket, or an answer held until the test opens its gate).
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
  /** Keyed `node_name/name`, as the backend's unique key. */
  attributes: Map<string, Record<string, unknown>>;
}

/** `none`: normal; `hang`: never answer; a number: answer every request with that status. */
export type FailureMode = "none" | "hang" | number;

/**
 * What happens to the answer of a request that matched an {@link inject}ed fault, after the
 * server processed (and stored) it: a status instead of the real answer, a destroyed socket,
 * or the answer held until `gate.open()`. Or `delay`: the request is processed only once the gate
 * opens (a server still busy with a request its client has given up on).
 */
export type Fault =
  | { readonly status: number }
  | { readonly reset: true }
  | { readonly hold: Gate }
  | { readonly delay: Gate };

/** An answer held by a `hold` fault; the test opens it (or `stop()` drops it). */
export class Gate {
  #open: (() => void) | undefined;
  #opened = false;
  readonly #promise = new Promise<void>((resolve) => (this.#open = resolve));
  /** How many answers are waiting at this gate. */
  waiting = 0;
  open(): void {
    this.#opened = true;
    this.#open!();
  }
  get opened(): boolean {
    return this.#opened;
  }
  wait(): Promise<void> {
    return this.#promise;
  }
}

/** Who the fake accepts, and which projects exist. */
export interface FakeHamiltonUIOptions {
  /** The `x-api-key` it accepts (default `test-key`). */
  readonly apiKey?: string;
  /** The `x-api-user` it accepts (default `me@example.com`). */
  readonly username?: string;
  /** The projects that exist (default `[1]`); any other answers 404. */
  readonly projects?: readonly number[];
  /** Accept any user and key (or none), as a local backend without accounts does. Default false. */
  readonly anyCredentials?: boolean;
}

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
}

interface Injected {
  readonly match: (request: LoggedRequest) => boolean;
  readonly fault: Fault;
  times: number;
}

export class FakeHamiltonUI {
  readonly requests: LoggedRequest[] = [];
  /** Protocol violations the server saw; tests assert this stays empty. */
  readonly problems: string[] = [];
  readonly templates = new Map<number, Record<string, unknown>>();
  readonly runs = new Map<number, StoredDagRun>();
  /** Bulks refused with HTTP 500 because an attribute was already stored. */
  duplicateAttributeErrors = 0;
  mode: FailureMode = "none";
  /**
   * Attributes the database refuses (as Postgres refuses a NUL character in JSON): a bulk holding
   * one answers HTTP 500 after its task updates were stored, and stores none of its attributes.
   */
  poison: ((attribute: Record<string, unknown>) => boolean) | undefined;
  /** The status of a bulk holding a {@link poison}ed attribute: 500 (a database error), or e.g. 422. */
  poisonStatus = 500;
  /**
   * Answers a request instead of the server (return true when it did), e.g. with a redirect or a
   * huge body. Called after the request is logged.
   */
  intercept: ((request: LoggedRequest, res: ServerResponse) => boolean) | undefined;
  port = 0;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #hanging: ServerResponse[] = [];
  #injected: Injected[] = [];
  #waiters: Waiter[] = [];
  #nextTemplate = 7;
  #nextRun = 100;
  readonly #options: Required<FakeHamiltonUIOptions>;

  constructor(options: FakeHamiltonUIOptions = {}) {
    this.#options = {
      apiKey: "test-key",
      username: "me@example.com",
      projects: [1],
      anyCredentials: false,
      ...options,
    };
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

  /**
   * The next `times` requests that `match` are processed as usual (stored), then their answer is
   * lost as `fault` says.
   */
  inject(match: (request: LoggedRequest) => boolean, fault: Fault, times = 1): void {
    this.#injected.push({ match, fault, times });
  }

  /** Resolves once `count` requests matching `match` have been received (counting earlier ones). */
  waitFor(match: (request: LoggedRequest) => boolean, count = 1): Promise<void> {
    return this.waitUntil(() => this.requests.filter(match).length >= count);
  }

  /** Resolves once `condition()` holds; checked after every request the server handles. */
  waitUntil(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ check: condition, resolve }));
  }

  /** Requests other than the failure-mode ones, by `METHOD path`. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** All node runs of all dag runs. */
  allNodeRuns(): StoredNodeRun[] {
    return [...this.runs.values()].flatMap((r) => [...r.nodes.values()]);
  }

  #notify(): void {
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.check()) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    let body: unknown;
    if (raw.length > 0) {
      if (req.headers["content-type"] !== "application/json")
        this.problems.push(`${req.method} ${url.pathname}: content-type ${req.headers["content-type"]}`);
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
    const request: LoggedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    this.requests.push(request);
    try {
      if (this.intercept?.(request, res)) return;
      const injected = this.#injected.find((i) => i.times > 0 && i.match(request));
      if (injected !== undefined) injected.times--;
      if (injected !== undefined && "delay" in injected.fault) {
        injected.fault.delay.waiting++;
        this.#notify(); // a test may wait for the request to be held
        await injected.fault.delay.wait();
      }
      const answer = this.#route(request, req);
      if (injected !== undefined && !("delay" in injected.fault)) {
        const fault = injected.fault;
        if ("status" in fault)
          return void res.writeHead(fault.status, { "content-type": "application/json" }).end('{"detail":"lost"}');
        if ("reset" in fault) return void res.destroy();
        fault.hold.waiting++;
        this.#notify(); // a test may wait for the answer to be held
        this.#hanging.push(res);
        await fault.hold.wait();
        this.#hanging = this.#hanging.filter((r) => r !== res);
      }
      if (!res.destroyed)
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    } finally {
      this.#notify();
    }
  }

  #route(request: LoggedRequest, req: IncomingMessage): { status: number; body: unknown } {
    const json = (status: number, value: unknown) => ({ status, body: value });
    const known =
      req.headers["x-api-user"] === this.#options.username && req.headers["x-api-key"] === this.#options.apiKey;
    if (!known && !this.#options.anyCredentials) {
      return json(401, { detail: "unauthorized" });
    }
    const { method, path, query: q, body } = request;
    let m: RegExpMatchArray | null;
    if (method === "GET" && path === "/api/v1/phone_home") return json(200, { success: true, message: "hello" });
    if (method === "GET" && (m = path.match(/^\/api\/v1\/projects\/(\d+)$/))) {
      const id = Number(m[1]);
      return this.#options.projects.includes(id) ? json(200, { id, name: "p" }) : json(404, { detail: "not found" });
    }
    if (method === "GET" && path === "/api/v1/dag_templates/exists/") {
      if (q.getAll("dag_hash").length !== 2) this.problems.push("exists: dag_hash should appear twice");
      for (const [id, t] of this.templates) {
        if (t.dag_hash === q.get("dag_hash") && t.code_hash === q.get("code_hash") && t.name === q.get("dag_name")) {
          return json(200, { id, ...t });
        }
      }
      return json(200, null);
    }
    if (method === "POST" && path === "/api/v1/dag_templates") {
      const b = body as Record<string, unknown>;
      for (const key of [
        "name",
        "template_type",
        "config",
        "dag_hash",
        "tags",
        "code_hash",
        "code_version_info",
        "nodes",
        "code_artifacts",
        "code_log",
      ]) {
        if (!(key in b)) this.problems.push(`dag_templates: missing ${key}`);
      }
      if (!q.get("project_id")) this.problems.push("dag_templates: missing project_id");
      const id = this.#nextTemplate++;
      this.templates.set(id, b);
      return json(200, { id });
    }
    if (method === "POST" && path === "/api/v1/dag_runs") {
      const templateId = Number(q.get("dag_template_id"));
      if (!this.templates.has(templateId)) return json(404, { detail: "no template" });
      const b = body as Record<string, unknown>;
      for (const key of ["run_start_time", "tags", "inputs", "outputs", "run_status"]) {
        if (!(key in b)) this.problems.push(`dag_runs: missing ${key}`);
      }
      const id = this.#nextRun++;
      this.runs.set(id, {
        id,
        dagTemplateId: templateId,
        body: b,
        status: String(b.run_status),
        endTime: undefined,
        nodes: new Map(),
        attributes: new Map(),
      });
      return json(200, { id, ...b, dag_template_id: templateId });
    }
    if (method === "GET" && path === "/api/v1/dag_runs/latest/") {
      const templateId = Number(q.get("dag_template_id"));
      const limit = Number(q.get("limit") ?? 100);
      const offset = Number(q.get("offset") ?? 0);
      const runs = [...this.runs.values()].filter((r) => r.dagTemplateId === templateId).reverse();
      return json(
        200,
        runs
          .slice(offset, offset + limit)
          .map((r) => ({ id: r.id, ...r.body, run_status: r.status, dag_template_id: r.dagTemplateId })),
      );
    }
    if (method === "GET" && (m = path.match(/^\/api\/v1\/dag_runs\/([\d,]+)$/))) {
      const types = new Set(q.getAll("attr"));
      const out = [];
      for (const id of m[1]!.split(",").map(Number)) {
        const run = this.runs.get(id);
        if (!run) return json(404, { detail: `DAG run with ID ${id} does not exist.` });
        const attributes = [...run.attributes.values()].filter((a) => types.has(String(a.type)));
        out.push({
          id,
          ...run.body,
          run_status: run.status,
          dag_template_id: run.dagTemplateId,
          node_runs: [...run.nodes.values()].map((n) => ({
            ...n,
            dag_run_id: id,
            attributes: attributes.filter((a) => a.node_name === n.node_name),
          })),
        });
      }
      return json(200, out);
    }
    if (method === "PUT" && path === "/api/v1/dag_runs_bulk") {
      const run = this.runs.get(Number(q.get("dag_run_id")));
      if (!run) return json(404, { detail: "no run" });
      const b = body as { attributes?: Record<string, unknown>[]; task_updates?: StoredNodeRun[] };
      if (!Array.isArray(b.attributes) || !Array.isArray(b.task_updates)) {
        this.problems.push("dag_runs_bulk: attributes and task_updates must be arrays");
        return json(422, { detail: "bad body" });
      }
      const names = new Set<string>();
      for (const t of b.task_updates) {
        if (names.has(t.node_name)) this.problems.push(`dag_runs_bulk: ${t.node_name} twice in one batch (not merged)`);
        names.add(t.node_name);
        const previous = run.nodes.get(t.node_name);
        // Upsert on (dag_run, node_name); on conflict only status/end_time change (as the server does).
        run.nodes.set(t.node_name, previous ? { ...previous, status: t.status, end_time: t.end_time } : { ...t });
      }
      // Attributes are inserted in one bulk_create: one duplicate fails them all.
      const keys = new Set<string>();
      for (const a of b.attributes) {
        for (const key of ["node_name", "name", "type", "schema_version", "value", "attribute_role"]) {
          if (!(key in a)) this.problems.push(`dag_runs_bulk: attribute missing ${key}`);
        }
        const key = `${String(a.node_name)}/${String(a.name)}`;
        if (run.attributes.has(key) || keys.has(key)) {
          this.duplicateAttributeErrors++;
          return json(500, {
            detail: `IntegrityError: duplicate key value violates unique constraint (name, node_name, dag_run)=(${key}, ${run.id})`,
          });
        }
        keys.add(key);
        if (this.poison?.(a))
          return json(this.poisonStatus, { detail: `DataError: unsupported Unicode escape sequence (${key})` });
      }
      for (const a of b.attributes) run.attributes.set(`${String(a.node_name)}/${String(a.name)}`, a);
      return json(200, null);
    }
    if (method === "PUT" && (m = path.match(/^\/api\/v1\/dag_runs\/(\d+)\/$/))) {
      const run = this.runs.get(Number(m[1]));
      if (!run) return json(404, { detail: "no run" });
      const b = body as Record<string, unknown>;
      run.status = String(b.run_status);
      run.endTime = String(b.run_end_time);
      if (b.upsert_tags !== undefined && b.upsert_tags !== null) {
        run.body = { ...run.body, tags: { ...(run.body.tags as object), ...(b.upsert_tags as object) } };
      }
      return json(200, { id: run.id, run_status: run.status });
    }
    this.problems.push(`unknown route ${method} ${path}`);
    return json(404, { detail: "no route" });
  }
}
