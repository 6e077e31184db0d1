import { TrackerError } from "./errors.js";
import {
  nodeAttributes,
  runCreateBody,
  runEndBody,
  taskUpdate,
  templateBody,
  type NodeAttribute,
  type TaskUpdate,
} from "./hamilton-ui-payloads.js";
import type {
  DagTemplateRecord,
  NodeRunRecord,
  ProjectId,
  RunRecord,
  SinkWriteOptions,
  TrackerRecord,
  TrackerSink,
} from "./records.js";

/** Options of {@link HamiltonUIClient}. */
export interface HamiltonUIClientOptions {
  /**
   * The Hamilton UI's API server, without `/api/v1`. Default: `$HAMILTON_API_URL`, else
   * `http://localhost:8241` (the Python SDK's defaults).
   */
  readonly baseUrl?: string;
  /**
   * Sent as `x-api-key`. Default: `$HAMILTON_API_KEY`; with neither, the header is left out (a
   * local Hamilton UI in permissive mode does not check it).
   */
  readonly apiKey?: string;
  /** Sent as `x-api-user`: the user's email as the Hamilton UI knows it. */
  readonly username: string;
  /** Time allowed for each HTTP request, in milliseconds. Default: 10,000. */
  readonly timeoutMs?: number;
  /**
   * The Hamilton UI's web address, for {@link HamiltonUIClient.runUrl}. Default: `$HAMILTON_UI_URL`,
   * else `baseUrl` (the UI and its API usually share an address).
   */
  readonly uiUrl?: string;
}

/** Runs remembered (run id → dag_run id) for late records; older ones are forgotten. */
const MAX_REMEMBERED_RUNS = 10_000;

interface TemplateState {
  readonly id: number;
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
}

interface RunState {
  readonly dagRunId: number;
  readonly template: TemplateState;
}

interface Bulk {
  readonly run: RunState;
  readonly tasks: Map<string, TaskUpdate>;
  readonly attributes: Map<string, NodeAttribute>;
}

function idOf(body: unknown, what: string, url: string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "number") {
    throw new TrackerError("BAD_RESPONSE", `${url} answered ${JSON.stringify(body)?.slice(0, 200)} for ${what}; expected {"id": <number>}. Is baseUrl the Hamilton UI's API server?`);
  }
  return id;
}

/**
 * A sink that sends runs to a Hamilton UI, speaking its tracking API as the Python SDK does:
 * `GET /api/v1/phone_home` and `GET /api/v1/projects/{id}` (once per project), then
 * `GET /dag_templates/exists/` and `POST /dag_templates` per graph version,
 * `POST /dag_runs` when a run starts, `PUT /dag_runs_bulk` for node updates (task updates merged
 * per node, result summaries and errors as attributes) and `PUT /dag_runs/{id}/` when it ends.
 * Every request carries `x-api-user` and `x-api-key`.
 *
 * The project must exist in the UI (create it there first). A retried batch is safe: the client
 * remembers template and run ids and the server upserts node runs.
 */
export class HamiltonUIClient implements TrackerSink {
  /** The API server, e.g. `http://localhost:8241`. */
  readonly baseUrl: string;
  /** The UI's web address, for run links. */
  readonly uiUrl: string;
  readonly #api: string;
  readonly #username: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #verified = new Map<string, Promise<void>>();
  readonly #templates = new Map<string, TemplateState>();
  readonly #runs = new Map<string, RunState>();
  #orphansWarned = false;

  /** @throws TrackerError `INVALID_OPTION` for a missing username or an invalid URL. */
  constructor(options: HamiltonUIClientOptions) {
    const baseUrl = options?.baseUrl ?? process.env["HAMILTON_API_URL"] ?? "http://localhost:8241";
    if (typeof options?.username !== "string" || options.username.length === 0) {
      throw new TrackerError(
        "INVALID_OPTION",
        `HamiltonUIClient: option "username" is ${JSON.stringify(options?.username)}; expected the user's email as known to the Hamilton UI (sent as x-api-user).`,
        { retryable: false },
      );
    }
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch (cause) {
      throw new TrackerError(
        "INVALID_OPTION",
        `HamiltonUIClient: option "baseUrl" is ${JSON.stringify(baseUrl)}, not a URL; expected e.g. "http://localhost:8241".`,
        { cause, retryable: false },
      );
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TrackerError("INVALID_OPTION", `HamiltonUIClient: option "timeoutMs" is ${String(timeoutMs)}; expected a positive number of milliseconds.`, {
        retryable: false,
      });
    }
    this.baseUrl = url.href.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
    this.#api = `${this.baseUrl}/api/v1`;
    this.uiUrl = (options.uiUrl ?? process.env["HAMILTON_UI_URL"] ?? this.baseUrl).replace(/\/+$/, "");
    this.#username = options.username;
    this.#apiKey = options.apiKey ?? process.env["HAMILTON_API_KEY"];
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Checks that the UI accepts the credentials and has the project (`phone_home`, then
   * `projects/{id}`), once per project. `write` calls it; call it yourself to fail early.
   * @throws TrackerError `UNAUTHORIZED`, `PROJECT_NOT_FOUND`, or a retryable transport error.
   */
  verify(projectId: ProjectId, signal?: AbortSignal): Promise<void> {
    const key = String(projectId);
    let check = this.#verified.get(key);
    if (check === undefined) {
      check = this.#verify(key, signal);
      this.#verified.set(key, check);
      check.catch(() => this.#verified.delete(key));
    }
    return check;
  }

  async #verify(projectId: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#request("GET", "/phone_home", undefined, signal, "phone_home");
    await this.#request("GET", `/projects/${encodeURIComponent(projectId)}`, undefined, signal, "project");
  }

  /** The Hamilton UI's dag_run id of a run this client has created, if any. */
  dagRunId(runId: string): number | undefined {
    return this.#runs.get(runId)?.dagRunId;
  }

  /**
   * The Hamilton UI page of a run (`<uiUrl>/dashboard/project/<projectId>/runs/<dagRunId>`), once
   * the run has been created there; undefined before.
   */
  runUrl(projectId: ProjectId, runId: string): string | undefined {
    const dagRunId = this.dagRunId(runId);
    return dagRunId === undefined ? undefined : `${this.uiUrl}/dashboard/project/${encodeURIComponent(String(projectId))}/runs/${dagRunId}`;
  }

  /** Sends a batch of records (see the class description for the calls). */
  async write(projectId: ProjectId, records: readonly TrackerRecord[], options?: SinkWriteOptions): Promise<void> {
    const signal = options?.signal;
    await this.verify(projectId, signal);
    const bulks = new Map<string, Bulk>();
    for (const record of records) {
      switch (record.type) {
        case "dag_template":
          await this.#ensureTemplate(projectId, record, signal);
          break;
        case "run":
          await this.#ensureRun(projectId, record, signal);
          if (record.status !== "RUNNING") {
            // The run's node updates go first: the UI then shows the final run with its nodes.
            const bulk = bulks.get(record.runId);
            if (bulk !== undefined) {
              bulks.delete(record.runId);
              await this.#sendBulk(bulk, signal);
            }
            const dagRunId = this.#runs.get(record.runId)!.dagRunId;
            await this.#request("PUT", `/dag_runs/${dagRunId}/`, runEndBody(record), signal);
          }
          break;
        case "node_run":
          this.#addToBulk(bulks, record);
          break;
      }
    }
    for (const bulk of bulks.values()) await this.#sendBulk(bulk, signal);
  }

  /** Nothing to release (fetch pools its own connections). */
  async close(): Promise<void> {}

  #addToBulk(bulks: Map<string, Bulk>, record: NodeRunRecord): void {
    let bulk = bulks.get(record.runId);
    if (bulk === undefined) {
      const run = this.#runs.get(record.runId);
      if (run === undefined) {
        if (!this.#orphansWarned) {
          this.#orphansWarned = true;
          console.warn(
            `[hamilton-ts/tracker] HamiltonUIClient: node records of run ${record.runId} arrived, but the run was never created in the ` +
              `Hamilton UI (its start record was rejected earlier); they are skipped. This is reported once.`,
          );
        }
        return;
      }
      bulk = { run, tasks: new Map(), attributes: new Map() };
      bulks.set(record.runId, bulk);
    }
    const update = taskUpdate(record, bulk.run.template.dependencies.get(record.node) ?? []);
    const previous = bulk.tasks.get(update.node_name);
    // Merged per node, later keys win (as the Python SDK does within a batch).
    bulk.tasks.set(update.node_name, previous === undefined ? update : { ...previous, ...update });
    for (const attribute of nodeAttributes(record)) bulk.attributes.set(`${attribute.node_name}\0${attribute.name}`, attribute);
  }

  async #sendBulk(bulk: Bulk, signal: AbortSignal | undefined): Promise<void> {
    await this.#request(
      "PUT",
      `/dag_runs_bulk?dag_run_id=${bulk.run.dagRunId}`,
      { attributes: [...bulk.attributes.values()], task_updates: [...bulk.tasks.values()] },
      signal,
    );
  }

  async #ensureTemplate(projectId: ProjectId, template: DagTemplateRecord, signal: AbortSignal | undefined): Promise<TemplateState> {
    const key = `${String(projectId)}\0${template.graphVersion}`;
    const known = this.#templates.get(key);
    if (known !== undefined) return known;
    let id = await this.#findTemplate(projectId, template.dagHash, template.codeHash, template.dagName, signal);
    if (id === undefined) {
      const path = `/dag_templates?project_id=${encodeURIComponent(String(projectId))}`;
      id = idOf(await this.#request("POST", path, templateBody(template), signal), "a new DAG template", this.#api + path);
    }
    const state: TemplateState = { id, dependencies: new Map(template.nodes.map((n) => [n.name, n.dependencies])) };
    this.#templates.set(key, state);
    return state;
  }

  async #findTemplate(
    projectId: ProjectId,
    dagHash: string,
    codeHash: string,
    dagName: string,
    signal: AbortSignal | undefined,
  ): Promise<number | undefined> {
    // The Python SDK sends dag_hash twice; servers are used to exactly this query.
    const query = new URLSearchParams([
      ["dag_hash", dagHash],
      ["project_id", String(projectId)],
      ["dag_hash", dagHash],
      ["code_hash", codeHash],
      ["dag_name", dagName],
    ]);
    const path = `/dag_templates/exists/?${query.toString()}`;
    const found = await this.#request("GET", path, undefined, signal);
    return found === null ? undefined : idOf(found, "an existing DAG template", this.#api + path);
  }

  async #ensureRun(projectId: ProjectId, run: RunRecord, signal: AbortSignal | undefined): Promise<RunState> {
    const known = this.#runs.get(run.runId);
    if (known !== undefined) return known;
    let template = this.#templates.get(`${String(projectId)}\0${run.graphVersion}`);
    if (template === undefined) {
      // The template was registered by an earlier client (e.g. before a restart): look it up.
      const id = await this.#findTemplate(projectId, run.dagHash, run.codeHash, run.dagName, signal);
      if (id === undefined) {
        throw new TrackerError(
          "UNKNOWN_RUN",
          `HamiltonUIClient: run ${run.runId} refers to graph version ${run.graphVersion}, whose DAG template was never sent ` +
            `to the Hamilton UI. Records must come from a HamiltonTracker, which sends the template before the first run.`,
          { retryable: false },
        );
      }
      template = { id, dependencies: new Map() };
    }
    const path = `/dag_runs?dag_template_id=${template.id}`;
    const dagRunId = idOf(await this.#request("POST", path, runCreateBody(run), signal), "a new dag run", this.#api + path);
    const state: RunState = { dagRunId, template };
    this.#runs.set(run.runId, state);
    if (this.#runs.size > MAX_REMEMBERED_RUNS) this.#runs.delete(this.#runs.keys().next().value!);
    return state;
  }

  async #request(
    method: "GET" | "POST" | "PUT",
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    check?: "phone_home" | "project",
  ): Promise<unknown> {
    const url = this.#api + path;
    const headers: Record<string, string> = { accept: "application/json", "x-api-user": this.#username };
    if (this.#apiKey !== undefined) headers["x-api-key"] = this.#apiKey;
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: combined,
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      if (signal?.aborted) throw signal.reason ?? cause;
      if (timeout.aborted) {
        throw new TrackerError(
          "SINK_TIMEOUT",
          `${method} ${url}: the Hamilton UI did not answer within ${this.#timeoutMs} ms. The records are kept and retried; ` +
            `raise timeoutMs if the server is just slow.`,
          { cause },
        );
      }
      const code = (cause as { cause?: { code?: unknown } }).cause?.code;
      throw new TrackerError(
        "SINK_UNAVAILABLE",
        `${method} ${url}: could not reach the Hamilton UI (${typeof code === "string" ? code : String(cause)}). ` +
          `Is it running at ${this.baseUrl}? The records are kept and retried.`,
        { cause },
      );
    }
    if (status < 200 || status >= 300) throw this.#httpError(method, url, status, text, check);
    if (text.trim() === "") return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new TrackerError("BAD_RESPONSE", `${method} ${url}: the answer is not JSON (${text.slice(0, 200)}). Is baseUrl the Hamilton UI's API server?`, {
        cause,
        status,
      });
    }
  }

  #httpError(method: string, url: string, status: number, text: string, check: "phone_home" | "project" | undefined): TrackerError {
    const excerpt = text.slice(0, 300);
    if (status === 401 || status === 403 || (check === "phone_home" && status >= 400 && status < 500)) {
      return new TrackerError(
        "UNAUTHORIZED",
        `${method} ${url}: the Hamilton UI refused user "${this.#username}" (HTTP ${status}). Check the username and the API key ` +
          `(option apiKey or $HAMILTON_API_KEY).`,
        { status, retryable: false },
      );
    }
    if (check === "project" && status >= 400 && status < 500) {
      return new TrackerError(
        "PROJECT_NOT_FOUND",
        `${method} ${url}: the Hamilton UI has no such project (HTTP ${status}). Create the project in the UI first and pass its id as projectId.`,
        { status, retryable: false },
      );
    }
    const retryable = status >= 500 || status === 408 || status === 429;
    return new TrackerError(
      "HTTP_ERROR",
      `${method} ${url}: the Hamilton UI answered HTTP ${status}${excerpt ? ` (${excerpt})` : ""}. ` +
        (retryable ? "The records are kept and retried." : "The request was refused as invalid; these records are discarded."),
      { status, retryable },
    );
  }
}
