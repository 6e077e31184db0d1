/**
 * `HamiltonUIClient`, the sink that speaks the Hamilton UI's tracking API: its options, the
 * project check, DAG templates, run creates and ends (with the search for a run whose create
 * answer was lost), and a batch's order of calls. The node updates are `hamilton-ui-bulk.ts`'s,
 * the per-run bookkeeping `hamilton-ui-run-state.ts`'s, reading answers `hamilton-ui-answers.ts`'s
 * and one HTTP request `hamilton-ui-http.ts`'s.
 */
import { TrackerError } from "./errors.js";
import { idOf, runIdsTagged } from "./hamilton-ui-answers.js";
import { BulkSender } from "./hamilton-ui-bulk.js";
import { HamiltonUIHttp, hideInError, isDropped, isUnsent, MAX_RESPONSE_BYTES, parseUrl } from "./hamilton-ui-http.js";
import { runCreateBody, runEndBody, templateBody } from "./hamilton-ui-payloads.js";
import { MAX_REFUSALS, newRunState, rememberRun, type RunState, type TemplateState } from "./hamilton-ui-run-state.js";
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

/** Runs per page, and pages at most, of the search for a run whose create answer was lost. */
const LOOKUP_PAGE = 10;
const LOOKUP_PAGES = 10;

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
  readonly #bulks: BulkSender;
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
    this.#bulks = new BulkSender(this.#http, this.#done);
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
      // An error page may echo the API key in a form the shared redaction rule does not know.
      hideInError(error, this.#http.hide);
      // A batch given up on: name what of it was not delivered, so the tracker counts the rest as delivered.
      if (!TrackerError.isInstance(error) || error.retryable || error.setAside !== undefined) throw error;
      const refused = new Set<TrackerRecord>(this.#bulks.setAside.flatMap((item) => item.records));
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
              await this.#bulks.send(run, nodes, signal);
            }
            if (!run.ended) {
              // Idempotent: it sets the same fields again.
              await this.#http.request(
                "PUT",
                `/dag_runs/${run.dagRunId}/`,
                runEndBody(record),
                signal,
                undefined,
                undefined,
                true,
              );
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
      else await this.#bulks.send(run, nodes, signal);
    }
    const items = this.#bulks.takeSetAside();
    if (items.length > 0) {
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
      // Ended by its coordinator, never by this client.
      const state = newRunState(runId, dagRunId, template, false, true);
      rememberRun(this.#runs, state);
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

  async #ensureTemplate(
    projectId: ProjectId,
    template: DagTemplateRecord,
    signal: AbortSignal | undefined,
    again = false,
  ): Promise<TemplateState> {
    const key = `${String(projectId)}\0${template.graphVersion}`;
    const known = this.#templates.get(key);
    if (known !== undefined) return known;
    let id = await this.#findTemplate(projectId, template.dagHash, template.codeHash, template.dagName, signal);
    if (id === undefined) {
      const path = `/dag_templates?project_id=${encodeURIComponent(String(projectId))}`;
      try {
        id = idOf(
          await this.#http.request("POST", path, templateBody(template), signal),
          "a new DAG template",
          this.#http.url(path),
          this.#http.hide,
        );
      } catch (error) {
        // A kept-alive connection that dropped: look for the template (the server may have it) and create it at once.
        if (isDropped(error) && !again) return this.#ensureTemplate(projectId, template, signal, true);
        throw error;
      }
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
    return found === null ? undefined : idOf(found, "an existing DAG template", this.#http.url(path), this.#http.hide);
  }

  /** `again`: the create's connection dropped once already in this write. */
  async #ensureRun(
    projectId: ProjectId,
    run: RunRecord,
    signal: AbortSignal | undefined,
    again = false,
  ): Promise<RunState> {
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
          this.#http.hide,
        );
      } catch (error) {
        // The server may have created the run and the answer was lost: look for it before creating again.
        if (!isUnsent(error) && !(TrackerError.isInstance(error) && !error.retryable)) this.#lostCreates.add(run.runId);
        // A kept-alive connection that dropped: look for the run and create it at once, not after a backoff.
        if (isDropped(error) && !again) return this.#ensureRun(projectId, run, signal, true);
        throw error;
      }
    }
    this.#lostCreates.delete(run.runId);
    const state = newRunState(run.runId, dagRunId, template, lost, false);
    rememberRun(this.#runs, state);
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
      found.push(...runIdsTagged(runs, runId));
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
        undefined,
        undefined,
        true,
      );
    }
  }
}
