import { isRetryable, TrackerError } from "./errors.js";
import { excerpt, HamiltonUIHttp, isUnsent, MAX_RESPONSE_BYTES, parseUrl } from "./hamilton-ui-http.js";
import {
  ATTRIBUTE_TYPES,
  nodeAttributes,
  RUN_ID_TAG,
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
import type { SummaryLimits } from "./summarize.js";

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

/**
 * The summary limits of Hamilton's Python SDK (`hamilton_sdk/tracking/constants.py`): whole
 * strings (up to 100,000 characters), 50 list items, 100 dict keys; nested values are summarised
 * with the same limits, down to 10 levels.
 */
export const HAMILTON_UI_SUMMARY_LIMITS: Readonly<Partial<SummaryLimits>> = Object.freeze({
  maxStringPreview: 100_000,
  maxItems: 50,
  maxKeys: 100,
  maxDepth: 10,
});

/** Runs remembered (run id → dag_run id) for late records; older ones are forgotten. */
const MAX_REMEMBERED_RUNS = 10_000;

/**
 * HTTP 500-class answers an update may get, each after the client checked what the server
 * stored, before it is set aside (reported, not retried) so the queue moves on.
 */
const MAX_REFUSALS = 3;

/** Runs per page, and pages at most, of the search for a run whose create answer was lost. */
const LOOKUP_PAGE = 10;
const LOOKUP_PAGES = 10;

interface TemplateState {
  readonly id: number;
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
}

interface RunState {
  readonly runId: string;
  readonly dagRunId: number;
  readonly template: TemplateState;
  /** Attribute keys (`node\0name`) the server has stored: never sent again. */
  readonly stored: Set<string>;
  /** Attribute keys sent whose answer was lost: checked on the server before they are sent again. */
  readonly uncertain: Set<string>;
  /** Failed sends per item key (`task\0node\0status` or `node\0name`); refusals count to {@link MAX_REFUSALS}. */
  readonly failures: Map<string, { failed: number; refused: number }>;
  /** Items given up on: never sent again. */
  readonly setAside: Set<string>;
  /** Bytes of bulks sent for this run: bounds the read that checks what was stored. */
  sentBytes: number;
  /** True when a create of this run was once sent without an answer: a duplicate may exist. */
  readonly lostCreate: boolean;
  /** True once the server acknowledged the run's end. */
  ended: boolean;
}

/** One entry of a bulk: a task update or an attribute, under the key the server makes unique. */
interface BulkItem {
  readonly key: string;
  readonly task?: TaskUpdate;
  readonly attribute?: NodeAttribute;
  /** The node records it was made from: not delivered in full if it is set aside. */
  readonly records: readonly NodeRunRecord[];
}

function describeItem(item: BulkItem): string {
  return item.attribute !== undefined
    ? `attribute "${item.attribute.name}" of node "${item.attribute.node_name}"`
    : `task update of node "${item.task!.node_name}"`;
}

function idOf(body: unknown, what: string, url: string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "number") {
    throw new TrackerError(
      "BAD_RESPONSE",
      `${url} answered ${excerpt(JSON.stringify(body) ?? "", 200)} for ${what}; expected {"id": <number>}. Is baseUrl the Hamilton UI's API server?`,
    );
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
 * The project must exist in the UI (create it there first).
 *
 * The backend inserts node attributes under a unique (name, node_name, dag_run) and creates a run
 * per `POST`, so a blind retry would fail forever or create runs twice. The client therefore sends
 * each attribute once (with the node's final update), keeps its progress across retries of a batch,
 * checks what the server stored after an answer was lost (`GET /dag_runs/{id}?attr=…`, and
 * `GET /dag_runs/latest/` for a run create, found by its `hamilton_ts_run_id` tag), and sets aside —
 * reporting it as a non-retryable error — an update the server keeps refusing, so the rest of the
 * batch and the batches behind it are delivered.
 */
export class HamiltonUIClient implements TrackerSink {
  /** The API server, e.g. `http://localhost:8241`. */
  readonly baseUrl: string;
  /** The UI's web address, for run links. */
  readonly uiUrl: string;
  /**
   * Summary limits the tracker uses for this sink: {@link HAMILTON_UI_SUMMARY_LIMITS}, the Python
   * SDK's. The tracker's `summaryLimits` option overrides them.
   */
  readonly summaryLimits: Partial<SummaryLimits> = HAMILTON_UI_SUMMARY_LIMITS;
  readonly #http: HamiltonUIHttp;
  readonly #verified = new Map<string, Promise<void>>();
  readonly #templates = new Map<string, TemplateState>();
  readonly #runs = new Map<string, RunState>();
  /** Records fully delivered (or set aside): skipped when their batch is retried. */
  readonly #done = new WeakSet<TrackerRecord>();
  /** Runs whose create was sent but not answered: looked up before they are created again. */
  readonly #lostCreates = new Set<string>();
  /** Updates set aside since the last write reported them. */
  readonly #setAside: {
    what: string;
    error: string;
    status: number | undefined;
    records: readonly NodeRunRecord[];
  }[] = [];
  #orphansWarned = false;

  /**
   * @throws TrackerError `INVALID_OPTION` for a missing username, an invalid URL, or a URL with a
   * user or password in it (the message does not repeat them).
   */
  constructor(options: HamiltonUIClientOptions) {
    const baseUrl = options?.baseUrl ?? process.env.HAMILTON_API_URL ?? "http://localhost:8241";
    if (typeof options?.username !== "string" || options.username.length === 0) {
      throw new TrackerError(
        "INVALID_OPTION",
        `HamiltonUIClient: option "username" is ${JSON.stringify(options?.username)}; expected the user's email as known to the Hamilton UI (sent as x-api-user).`,
        { retryable: false },
      );
    }
    const url = parseUrl(
      "baseUrl",
      baseUrl,
      options?.baseUrl === undefined && process.env.HAMILTON_API_URL !== undefined ? "$HAMILTON_API_URL" : undefined,
    );
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TrackerError(
        "INVALID_OPTION",
        `HamiltonUIClient: option "timeoutMs" is ${String(timeoutMs)}; expected a positive number of milliseconds.`,
        {
          retryable: false,
        },
      );
    }
    this.baseUrl = url.href.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
    const uiUrl = options.uiUrl ?? process.env.HAMILTON_UI_URL;
    this.uiUrl =
      uiUrl === undefined
        ? this.baseUrl
        : parseUrl("uiUrl", uiUrl, options.uiUrl === undefined ? "$HAMILTON_UI_URL" : undefined).href.replace(
            /\/+$/,
            "",
          );
    this.#http = new HamiltonUIHttp({
      baseUrl: this.baseUrl,
      username: options.username,
      apiKey: options.apiKey ?? process.env.HAMILTON_API_KEY,
      timeoutMs,
    });
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
    await this.#http.request("GET", "/phone_home", undefined, signal, "phone_home");
    await this.#http.request("GET", `/projects/${encodeURIComponent(projectId)}`, undefined, signal, "project");
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
    return dagRunId === undefined
      ? undefined
      : `${this.uiUrl}/dashboard/project/${encodeURIComponent(String(projectId))}/runs/${dagRunId}`;
  }

  /**
   * Sends a batch of records (see the class description for the calls). Progress is kept across
   * retries of the same batch: what the server acknowledged is not sent again.
   */
  async write(projectId: ProjectId, records: readonly TrackerRecord[], options?: SinkWriteOptions): Promise<void> {
    try {
      await this.#write(projectId, records, options?.signal);
    } catch (error) {
      // A batch given up on: name what of it was not delivered, so the tracker counts the rest as delivered.
      if (!TrackerError.isInstance(error) || error.retryable || error.setAside !== undefined) throw error;
      const refused = new Set<TrackerRecord>(this.#setAside.flatMap((item) => item.records));
      const undelivered = records.filter((record) => !this.#done.has(record) || refused.has(record));
      const copy = new TrackerError(error.code, error.message, {
        retryable: false,
        status: error.status,
        setAside: undelivered,
        ...("cause" in error ? { cause: error.cause } : {}),
      });
      copy.stack = error.stack;
      throw copy;
    }
  }

  async #write(
    projectId: ProjectId,
    records: readonly TrackerRecord[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    await this.verify(projectId, signal);
    const bulks = new Map<string, NodeRunRecord[]>();
    for (const record of records) {
      if (this.#done.has(record)) continue;
      switch (record.type) {
        case "dag_template":
          await this.#ensureTemplate(projectId, record, signal);
          this.#done.add(record);
          break;
        case "run": {
          const run = await this.#ensureRun(projectId, record, signal);
          if (record.status !== "RUNNING") {
            // The run's node updates go first: the UI then shows the final run with its nodes.
            const nodes = bulks.get(record.runId);
            if (nodes !== undefined) {
              bulks.delete(record.runId);
              await this.#sendBulk(run, nodes, signal);
            }
            if (!run.ended) {
              await this.#http.request("PUT", `/dag_runs/${run.dagRunId}/`, runEndBody(record), signal);
              run.ended = true;
            }
            if (run.lostCreate) await this.#closeDuplicates(run, record, signal);
            // Nothing of this run comes after its final record: forget what was sent.
            run.stored.clear();
            run.uncertain.clear();
            run.failures.clear();
            run.setAside.clear();
          }
          this.#done.add(record);
          break;
        }
        case "node_run": {
          let nodes = bulks.get(record.runId);
          if (nodes === undefined) bulks.set(record.runId, (nodes = []));
          nodes.push(record);
          break;
        }
      }
    }
    for (const [runId, nodes] of bulks) {
      let run = this.#runs.get(runId);
      // A worker's node runs (a distributed run): the run is another process's; find its dag run.
      if (run === undefined && nodes.some((n) => n.worker !== undefined)) {
        run = await this.#attachRemoteRun(projectId, runId, signal);
      }
      if (run === undefined) this.#orphans(runId, nodes);
      else await this.#sendBulk(run, nodes, signal);
    }
    if (this.#setAside.length > 0) {
      const items = this.#setAside.splice(0);
      const last = items[items.length - 1]!;
      const refused = new Set<TrackerRecord>(items.flatMap((item) => item.records));
      throw new TrackerError(
        "HTTP_ERROR",
        `HamiltonUIClient: the Hamilton UI refused ${items.length === 1 ? "an update" : `${items.length} updates`} (as invalid, or with ` +
          `HTTP 500 ${MAX_REFUSALS} times after the client had checked what it stored), so ${items.length === 1 ? "it was" : "they were"} ` +
          `set aside and the rest was delivered: ` +
          `${items.map((i) => i.what).join("; ")}. Last answer: ${last.error}`,
        { retryable: false, status: last.status, setAside: records.filter((record) => refused.has(record)) },
      );
    }
  }

  /**
   * The dag run another process (a distributed run's coordinator) created for `runId`, found by
   * its `hamilton_ts_run_id` tag under the templates this client registered for the project (a
   * worker registers its graph's template, which the coordinator's client finds and reuses when
   * it registers later). Not there yet (the coordinator's client has not created it): a retryable
   * error, so the records are sent again later.
   */
  async #attachRemoteRun(projectId: ProjectId, runId: string, signal: AbortSignal | undefined): Promise<RunState> {
    const prefix = `${String(projectId)}\0`;
    // The coordinator creates the run as its own batch goes out: look a few times before giving
    // the batch back to the queue's retry (which would warn).
    for (let look = 0, waitMs = 50; look < 6 && signal?.aborted !== true; look++, waitMs *= 2) {
      if (look > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const found = await this.#findRemoteRun(prefix, runId, signal);
      if (found !== undefined) return found;
    }
    throw new TrackerError(
      "UNKNOWN_RUN",
      `HamiltonUIClient: node records of run ${runId}, run by this worker for another process, arrived before that ` +
        `process created the run in the Hamilton UI under this worker's DAG template: they are sent again later. ` +
        `If this persists, the coordinator tracks another project or registered its template at the same moment as the worker.`,
      { retryable: true },
    );
  }

  async #findRemoteRun(prefix: string, runId: string, signal: AbortSignal | undefined): Promise<RunState | undefined> {
    for (const [key, template] of this.#templates) {
      if (!key.startsWith(prefix)) continue;
      const dagRunId = (await this.#findRuns(template.id, runId, signal)).at(0);
      if (dagRunId === undefined) continue;
      const state: RunState = {
        runId,
        dagRunId,
        template,
        stored: new Set(),
        uncertain: new Set(),
        failures: new Map(),
        setAside: new Set(),
        sentBytes: 0,
        lostCreate: false,
        // Ended by its coordinator, never by this client.
        ended: true,
      };
      this.#runs.set(runId, state);
      if (this.#runs.size > MAX_REMEMBERED_RUNS) this.#runs.delete(this.#runs.keys().next().value!);
      return state;
    }
    return undefined;
  }

  /** Nothing to release (fetch pools its own connections). */
  async close(): Promise<void> {}

  #orphans(runId: string, nodes: readonly NodeRunRecord[]): void {
    for (const record of nodes) this.#done.add(record);
    if (this.#orphansWarned) return;
    this.#orphansWarned = true;
    console.warn(
      `[hamilton-ts/tracker] HamiltonUIClient: node records of run ${runId} arrived, but the run was never created in the ` +
        `Hamilton UI (its start record was rejected earlier); they are skipped. This is reported once.`,
    );
  }

  /**
   * Sends a run's node records as `PUT /dag_runs_bulk`: task updates (upserted by the server, so
   * safe to repeat) merged per node, and attributes (inserted: a repeat is HTTP 500), each only if
   * the server has not stored it. After an answer was lost, the server is asked what it stored
   * before anything is sent again; items the server keeps refusing are sent one per request, and
   * set aside after {@link MAX_REFUSALS} refusals.
   */
  async #sendBulk(run: RunState, records: readonly NodeRunRecord[], signal: AbortSignal | undefined): Promise<void> {
    const tasks = new Map<string, { task: TaskUpdate; records: NodeRunRecord[] }>();
    const attributes = new Map<string, { attribute: NodeAttribute; records: NodeRunRecord[] }>();
    for (const record of records) {
      if (this.#done.has(record)) continue;
      const update = taskUpdate(record, run.template.dependencies.get(record.node) ?? []);
      const previous = tasks.get(update.node_name);
      // Merged per node, later keys win (as the Python SDK does within a batch).
      if (previous === undefined) tasks.set(update.node_name, { task: update, records: [record] });
      else {
        previous.task = { ...previous.task, ...update };
        previous.records.push(record);
      }
      for (const attribute of nodeAttributes(record)) {
        const key = `${attribute.node_name}\0${attribute.name}`;
        const entry = attributes.get(key);
        if (entry === undefined) attributes.set(key, { attribute, records: [record] });
        else {
          entry.attribute = attribute;
          entry.records.push(record);
        }
      }
    }
    let items: BulkItem[] = [
      // A task update is keyed with its status: the final update is new after the RUNNING one was stored.
      ...[...tasks.values()].map(({ task, records }) => ({
        key: `task\0${task.node_name}\0${task.status}`,
        task,
        records,
      })),
      ...[...attributes].map(([key, { attribute, records }]) => ({ key, attribute, records })),
    ].filter((item) => !run.stored.has(item.key) && !run.setAside.has(item.key));
    const retried = items.some((item) => run.failures.has(item.key) || run.uncertain.has(item.key));
    if (retried) {
      // Some of these were sent before and the answer was lost: ask what the server has.
      await this.#checkStored(run, signal);
      items = items.filter((item) => !run.stored.has(item.key));
    }
    // Items the server refused before go one per request: one bad value must not hold back the rest.
    const refusedBefore = (item: BulkItem) => (run.failures.get(item.key)?.refused ?? 0) > 0;
    const fresh = items.filter((item) => !refusedBefore(item));
    const groups = [fresh, ...items.filter(refusedBefore).map((item) => [item])].filter((g) => g.length > 0);
    for (const group of groups) {
      if (await this.#putBulk(run, group, retried, signal)) {
        for (const item of group) await this.#putBulk(run, [item], retried, signal);
      }
    }
    for (const record of records) this.#done.add(record);
  }

  /**
   * One `PUT /dag_runs_bulk`. Returns true when the server refused the group as invalid (a 4xx)
   * and it must be sent again item by item, to find the one it refuses.
   */
  async #putBulk(
    run: RunState,
    group: readonly BulkItem[],
    checked: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const attributes = group.flatMap((item) => (item.attribute === undefined ? [] : [item.attribute]));
    const body = { attributes, task_updates: group.flatMap((item) => (item.task === undefined ? [] : [item.task])) };
    const text = JSON.stringify(body);
    // The check after a lost answer reads back the run's node runs and attributes: what this client sent.
    run.sentBytes += Buffer.byteLength(text);
    try {
      await this.#http.request("PUT", `/dag_runs_bulk?dag_run_id=${run.dagRunId}`, text, signal);
    } catch (error) {
      if (isUnsent(error)) throw error;
      const http = TrackerError.isInstance(error) && error.code === "HTTP_ERROR" ? error.status : undefined;
      // Refused as invalid (a 4xx other than 408/429): nothing of it was stored.
      const invalid = http !== undefined && http >= 400 && http < 500 && http !== 408 && http !== 429;
      // Other errors that are not retried (credentials, a redirect, an answer too large) concern every request alike.
      if (!invalid && !isRetryable(error)) throw error;
      if (invalid) {
        if (group.length > 1) return true;
        this.#putAside(run, group[0]!, error, http);
        return false;
      }
      // Ambiguous (5xx, a timeout, a reset): the server may have stored the attributes.
      // A 500-class answer counts as a refusal once the server was seen answering the check before it.
      const refusal = http !== undefined && http >= 500 && !(http >= 502 && http <= 504) && checked;
      for (const item of group) {
        if (item.attribute !== undefined) run.uncertain.add(item.key);
        const count = run.failures.get(item.key) ?? { failed: 0, refused: 0 };
        count.failed++;
        if (refusal) count.refused++;
        run.failures.set(item.key, count);
      }
      if (group.length === 1 && run.failures.get(group[0]!.key)!.refused >= MAX_REFUSALS) {
        this.#putAside(run, group[0]!, error, http);
        return false;
      }
      throw error;
    }
    for (const item of group) {
      run.stored.add(item.key);
      run.uncertain.delete(item.key);
      run.failures.delete(item.key);
    }
    return false;
  }

  /** Gives up on one item: it is never sent again, and the write reports it. */
  #putAside(run: RunState, item: BulkItem, error: unknown, status: number | undefined): void {
    run.setAside.add(item.key);
    run.uncertain.delete(item.key);
    this.#setAside.push({
      what: `run ${run.runId} (dag_run ${run.dagRunId}): ${describeItem(item)}`,
      // The answer, without the advice to wait for a retry that will not come.
      error: (error instanceof Error ? error.message : String(error)).replace(
        / (The records are kept and retried|The request was refused as invalid).*$/,
        "",
      ),
      status,
      records: item.records,
    });
  }

  /**
   * Asks the server which of the run's uncertain attributes it stored
   * (`GET /dag_runs/{id}?attr=<type>…`): those are marked stored, the others are sent again.
   */
  async #checkStored(run: RunState, signal: AbortSignal | undefined): Promise<void> {
    if (run.uncertain.size === 0) {
      // Only task updates failed before: one cheap read tells whether the server answers again.
      await this.#http.request("GET", "/phone_home", undefined, signal);
      return;
    }
    const query = new URLSearchParams(ATTRIBUTE_TYPES.map((type): [string, string] => ["attr", type]));
    // The answer echoes what this client sent for the run: read as much as that, and no more.
    const found = await this.#http.request(
      "GET",
      `/dag_runs/${run.dagRunId}?${query.toString()}`,
      undefined,
      signal,
      undefined,
      MAX_RESPONSE_BYTES + 2 * run.sentBytes,
    );
    const stored = new Set<string>();
    for (const dagRun of Array.isArray(found) ? found : []) {
      for (const node of ((dagRun as { node_runs?: unknown }).node_runs as {
        attributes?: { node_name?: unknown; name?: unknown }[];
      }[]) ?? []) {
        for (const attribute of node.attributes ?? [])
          stored.add(`${String(attribute.node_name)}\0${String(attribute.name)}`);
      }
    }
    for (const key of run.uncertain) {
      if (stored.has(key)) run.stored.add(key);
    }
    run.uncertain.clear();
  }

  async #ensureTemplate(
    projectId: ProjectId,
    template: DagTemplateRecord,
    signal: AbortSignal | undefined,
  ): Promise<TemplateState> {
    const key = `${String(projectId)}\0${template.graphVersion}`;
    const known = this.#templates.get(key);
    if (known !== undefined) return known;
    let id = await this.#findTemplate(projectId, template.dagHash, template.codeHash, template.dagName, signal);
    if (id === undefined) {
      const path = `/dag_templates?project_id=${encodeURIComponent(String(projectId))}`;
      id = idOf(
        await this.#http.request("POST", path, templateBody(template), signal),
        "a new DAG template",
        this.#http.url(path),
      );
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
    const found = await this.#http.request("GET", path, undefined, signal);
    return found === null ? undefined : idOf(found, "an existing DAG template", this.#http.url(path));
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
    const lost = this.#lostCreates.has(run.runId);
    let dagRunId = lost ? (await this.#findRuns(template.id, run.runId, signal)).at(-1) : undefined;
    if (dagRunId === undefined) {
      const path = `/dag_runs?dag_template_id=${template.id}`;
      try {
        dagRunId = idOf(
          await this.#http.request("POST", path, runCreateBody(run), signal),
          "a new dag run",
          this.#http.url(path),
        );
      } catch (error) {
        // The server may have created the run and the answer was lost: look for it before creating again.
        if (!isUnsent(error) && !(TrackerError.isInstance(error) && !error.retryable)) this.#lostCreates.add(run.runId);
        throw error;
      }
    }
    this.#lostCreates.delete(run.runId);
    const state: RunState = {
      runId: run.runId,
      dagRunId,
      template,
      stored: new Set(),
      uncertain: new Set(),
      failures: new Map(),
      setAside: new Set(),
      sentBytes: 0,
      lostCreate: lost,
      ended: false,
    };
    this.#runs.set(run.runId, state);
    if (this.#runs.size > MAX_REMEMBERED_RUNS) this.#runs.delete(this.#runs.keys().next().value!);
    return state;
  }

  /**
   * The dag_run ids tagged with `runId` (newest first) among the template's latest runs
   * (`GET /dag_runs/latest/`): the run whose create answer was lost, if the server created it.
   */
  async #findRuns(templateId: number, runId: string, signal: AbortSignal | undefined): Promise<number[]> {
    const found: number[] = [];
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const path = `/dag_runs/latest/?dag_template_id=${templateId}&limit=${LOOKUP_PAGE}&offset=${page * LOOKUP_PAGE}`;
      // Each run in the answer carries its inputs, as this client sent them: allow for that.
      const runs = await this.#http.request(
        "GET",
        path,
        undefined,
        signal,
        undefined,
        MAX_RESPONSE_BYTES * (1 + LOOKUP_PAGE),
      );
      if (!Array.isArray(runs)) break;
      for (const candidate of runs as { id?: unknown; tags?: Record<string, unknown> | null }[]) {
        if (candidate.tags?.[RUN_ID_TAG] === runId && typeof candidate.id === "number") found.push(candidate.id);
      }
      if (runs.length < LOOKUP_PAGE) break;
    }
    return found;
  }

  /**
   * After the end of a run whose create answer was once lost: a create the server processed only
   * after the client had looked for it made a duplicate. It is closed with the run's final status
   * and tagged `hamilton_ts_duplicate_of`, so it does not stay RUNNING.
   */
  async #closeDuplicates(run: RunState, end: RunRecord, signal: AbortSignal | undefined): Promise<void> {
    for (const id of await this.#findRuns(run.template.id, run.runId, signal)) {
      if (id === run.dagRunId) continue;
      await this.#http.request(
        "PUT",
        `/dag_runs/${id}/`,
        { ...runEndBody(end), upsert_tags: { hamilton_ts_duplicate_of: String(run.dagRunId) } },
        signal,
      );
    }
  }
}
