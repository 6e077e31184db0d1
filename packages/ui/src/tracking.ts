/**
 * The Hamilton UI tracking protocol under `/api/v1/`: the endpoints apache/hamilton's Python
 * `hamilton_sdk` and `@hamilton-ts/tracker`'s `HamiltonUIClient` call, answered with the real
 * backend's shapes (the `trackingserver_*` apps' `schema.py`: `DAGTemplateOut`, `DAGRunOut`,
 * `DAGRunOutWithData`, ...). Unlike the real backend it is forgiving, as a local single-user tool:
 * an unknown project is created on first use, a template registered twice is the same template,
 * and a re-sent task update or attribute replaces the earlier one.
 */
import { type NodeRunRecord, type RunRecord, supersedes } from "@hamilton-ts/store";
import { checkId, HttpError } from "./http-error.js";
import type { ProtocolIds, RunEntry, TemplateEntry } from "./ids.js";
import {
  errorFromAttribute,
  isoTime,
  objectBody,
  parseStatus,
  parseTime,
  runOutputs,
  runTags,
  stringField,
  summarizeValues,
  summaryFromAttribute,
  templateRecord,
} from "./protocol-records.js";
import type { NodeSelection, ProtocolRuns, RunState, StoredAttribute, UiNodeRunRecord } from "./run-store.js";

/** A request to the protocol, already authorized. */
export interface ProtocolRequest {
  readonly method: string;
  /** The path below `/api/v1`, e.g. `/dag_runs/3/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The `x-api-user` header (the run's username). */
  readonly user: string | undefined;
  /** The parsed JSON body (read only for methods that carry one). */
  readonly body: () => Promise<unknown>;
}

/** An answer: a status and a JSON body. */
export interface ProtocolAnswer {
  readonly status: number;
  readonly body: unknown;
}

type Json = Record<string, unknown>;
/** Extra run fields this server keeps to answer with what arrived (readers ignore them). */
type UiRunRecord = RunRecord & { readonly uiInputs?: unknown };

const ok = (body: unknown): ProtocolAnswer => ({ status: 200, body });

function idParam(value: string | null, name: string, what: string): number {
  const id = Number(value);
  if (value === null || !Number.isSafeInteger(id) || id < 0) {
    throw new HttpError(
      400,
      `${what}: query parameter "${name}" must be a whole number, got ${JSON.stringify(value)}.`,
    );
  }
  return id;
}

/**
 * The `/api/v1` routes over the protocol's ids and its runs' state: the id registry and the run
 * files of a local store, or the database in team mode. Nothing about a run is kept here between
 * requests, so several servers on one database answer alike.
 */
export class TrackingProtocol {
  readonly #ids: ProtocolIds;
  readonly #runs: ProtocolRuns;
  /** Template registrations, one at a time (so one template is never registered twice). */
  #templateLock: Promise<unknown> = Promise.resolve();

  constructor(ids: ProtocolIds, runs: ProtocolRuns) {
    this.#ids = ids;
    this.#runs = runs;
  }

  /** Answers a request, or undefined when no route matches. */
  async handle(request: ProtocolRequest): Promise<ProtocolAnswer | undefined> {
    const { method, path, query } = request;
    let m: RegExpExecArray | null;
    if (method === "GET" && (path === "/phone_home" || path === "/phone_home/"))
      return ok({ success: true, message: "hamilton-ts-ui is listening" });
    if (method === "GET" && path === "/health") return ok(true);
    if (method === "GET" && (m = /^\/projects\/([^/]+)\/?$/.exec(path)))
      return this.#project(decodeURIComponent(m[1]!));
    if (method === "GET" && path === "/dag_templates/exists/") return this.#templateExists(query);
    if (method === "POST" && (path === "/dag_templates" || path === "/dag_templates/")) {
      const projectId = checkId("project_id", query.get("project_id") ?? "");
      return this.#createTemplate(projectId, objectBody(await request.body(), "POST /api/v1/dag_templates"));
    }
    if (method === "POST" && (path === "/dag_runs" || path === "/dag_runs/")) {
      const templateId = idParam(query.get("dag_template_id"), "dag_template_id", "POST /api/v1/dag_runs");
      return this.#createRun(templateId, objectBody(await request.body(), "POST /api/v1/dag_runs"), request.user);
    }
    if (method === "GET" && path === "/dag_runs/latest/") return this.#latestRuns(query);
    if (method === "PUT" && (m = /^\/dag_runs\/(\d+)\/?$/.exec(path)))
      return this.#endRun(Number(m[1]), objectBody(await request.body(), `PUT /api/v1/dag_runs/${m[1]}/`));
    if (method === "GET" && (m = /^\/dag_runs\/([\d,]+)\/?$/.exec(path))) return this.#runsWithData(m[1]!, query);
    if (method === "PUT" && (path === "/dag_runs_bulk" || path === "/dag_runs_bulk/")) {
      const dagRunId = idParam(query.get("dag_run_id"), "dag_run_id", "PUT /api/v1/dag_runs_bulk");
      return this.#bulk(dagRunId, objectBody(await request.body(), "PUT /api/v1/dag_runs_bulk"));
    }
    return undefined;
  }

  #project(id: string): ProtocolAnswer {
    const projectId = checkId("project id", id);
    // Every project exists, as a single-user local tool: its folders are made on its first write
    // (a template or a run), never by a read, which any web page could send.
    return ok({
      id: /^\d+$/.test(projectId) ? Number(projectId) : projectId,
      name: projectId,
      description: "",
      tags: {},
      attributes: [],
      visibility: {},
      created_at: null,
      updated_at: null,
    });
  }

  #templateOut(entry: TemplateEntry): Json {
    return {
      id: entry.id,
      project: /^\d+$/.test(entry.projectId) ? Number(entry.projectId) : entry.projectId,
      name: entry.name,
      template_type: "HAMILTON",
      dag_hash: entry.dagHash,
      code_hash: entry.codeHash,
      is_active: true,
      created_at: isoTime(entry.createdAt),
      updated_at: isoTime(entry.createdAt),
    };
  }

  async #templateExists(query: URLSearchParams): Promise<ProtocolAnswer> {
    const projectId = query.get("project_id");
    const [dagHash, codeHash, name] = [query.get("dag_hash"), query.get("code_hash"), query.get("dag_name")];
    if (projectId === null || dagHash === null || codeHash === null || name === null) {
      throw new HttpError(
        400,
        "GET /api/v1/dag_templates/exists/: needs project_id, dag_hash, code_hash and dag_name.",
      );
    }
    const found = await this.#ids.findTemplate(checkId("project_id", projectId), dagHash, codeHash, name);
    return ok(found === undefined ? null : this.#templateOut(found));
  }

  async #createTemplate(projectId: string, body: Json): Promise<ProtocolAnswer> {
    const what = "POST /api/v1/dag_templates";
    const name = stringField(body, "name", what);
    const dagHash = stringField(body, "dag_hash", what);
    const codeHash = stringField(body, "code_hash", what);
    // Check the body converts before an id is handed out.
    templateRecord(body, "check", 0);
    const next = this.#templateLock.then(async () => {
      const existing = await this.#ids.findTemplate(projectId, dagHash, codeHash, name);
      if (existing !== undefined) return existing;
      await this.#runs.ensureProject(projectId);
      const entry = await this.#ids.addTemplate({ projectId, name, dagHash, codeHash });
      await this.#runs.writeTemplate(projectId, templateRecord(body, entry.graphVersion, entry.createdAt));
      return entry;
    });
    this.#templateLock = next.catch(() => {});
    return ok(this.#templateOut(await next));
  }

  #runOut(entry: RunEntry, run: UiRunRecord): Json {
    return {
      id: entry.id,
      dag_template: entry.templateId,
      dag_template_id: entry.templateId,
      run_start_time: isoTime(run.startTime),
      run_end_time: isoTime(run.endTime),
      run_status: run.status,
      tags: run.tags,
      inputs: run.uiInputs ?? {},
      outputs: run.finalVars,
      launched_by: null,
      username_resolved: run.username.length > 0 ? run.username : null,
      created_at: isoTime(entry.createdAt),
      updated_at: isoTime(run.endTime ?? entry.createdAt),
    };
  }

  async #runEntry(dagRunId: number): Promise<RunEntry> {
    const entry = await this.#ids.run(dagRunId);
    if (entry === undefined) throw new HttpError(404, `DAG run with ID ${dagRunId} does not exist.`);
    return entry;
  }

  async #state(entry: RunEntry, nodes: NodeSelection): Promise<RunState> {
    const state = await this.#runs.read(entry.projectId, String(entry.id), nodes);
    if (state === undefined)
      throw new HttpError(404, `DAG run with ID ${entry.id} has no records in the store (was its file deleted?).`);
    return state;
  }

  async #createRun(templateId: number, body: Json, user: string | undefined): Promise<ProtocolAnswer> {
    const what = "POST /api/v1/dag_runs";
    const template = await this.#ids.template(templateId);
    if (template === undefined) {
      throw new HttpError(
        404,
        `${what}: no DAG template with id ${templateId}; register it first (POST /api/v1/dag_templates).`,
      );
    }
    const startTime = parseTime(body.run_start_time, "run_start_time", what) ?? Date.now();
    const status = body.run_status === undefined ? "RUNNING" : parseStatus(body.run_status, "run_status", what);
    const entry = await this.#ids.addRun(templateId, template.projectId);
    const run: UiRunRecord = {
      type: "run",
      runId: String(entry.id),
      dagName: template.name,
      graphVersion: template.graphVersion,
      dagHash: template.dagHash,
      codeHash: template.codeHash,
      username: user ?? "",
      status,
      startTime,
      endTime: undefined,
      durationMs: undefined,
      finalVars: runOutputs(body.outputs),
      inputs: summarizeValues(body.inputs),
      overrides: [],
      config: {},
      tags: runTags(body.tags),
      error: undefined,
      uiInputs: body.inputs ?? {},
    };
    await this.#runs.update(
      template.projectId,
      run.runId,
      () => ({ records: [run], state: { run, nodes: new Map() }, value: undefined }),
      [],
    );
    return ok(this.#runOut(entry, run));
  }

  async #endRun(dagRunId: number, body: Json): Promise<ProtocolAnswer> {
    const what = `PUT /api/v1/dag_runs/${dagRunId}/`;
    const entry = await this.#runEntry(dagRunId);
    const status = parseStatus(body.run_status, "run_status", what);
    const endTime = parseTime(body.run_end_time, "run_end_time", what);
    const run = await this.#runs.update(
      entry.projectId,
      String(dagRunId),
      (state) => {
        if (state === undefined) throw new HttpError(404, `${what}: the run has no records in the store.`);
        const upsert = body.upsert_tags === null || body.upsert_tags === undefined ? {} : runTags(body.upsert_tags);
        const end = status === "RUNNING" ? undefined : (endTime ?? Date.now());
        const next = {
          ...state.run,
          status,
          endTime: end,
          durationMs: end === undefined ? undefined : Math.max(0, end - state.run.startTime),
        };
        // The store's fold rule: a late or re-sent RUNNING never replaces a final status; tags merge either way.
        state.run = { ...(supersedes(state.run, next) ? next : state.run), tags: { ...state.run.tags, ...upsert } };
        return { records: [state.run], value: state.run };
      },
      [],
    );
    return ok(this.#runOut(entry, run));
  }

  async #latestRuns(query: URLSearchParams): Promise<ProtocolAnswer> {
    const what = "GET /api/v1/dag_runs/latest/";
    const templateId = query.get("dag_template_id");
    const projectId = query.get("project_id");
    if (templateId !== null && projectId !== null) {
      throw new HttpError(422, `${what}: can only specify one of project_id/dag_template_id.`);
    }
    const limit = query.get("limit") === null ? 100 : idParam(query.get("limit"), "limit", what);
    const offset = query.get("offset") === null ? 0 : idParam(query.get("offset"), "offset", what);
    const template = templateId === null ? undefined : idParam(templateId, "dag_template_id", what);
    const entries = await this.#ids.listRuns({
      templateId: template,
      projectId: projectId ?? undefined,
      limit,
      offset,
    });
    const out: Json[] = [];
    for (const entry of entries) {
      const state = await this.#runs.read(entry.projectId, String(entry.id), []);
      if (state !== undefined) out.push(this.#runOut(entry, state.run));
    }
    return ok(out);
  }

  async #runsWithData(ids: string, query: URLSearchParams): Promise<ProtocolAnswer> {
    const types = new Set(query.getAll("attr"));
    const out: Json[] = [];
    for (const text of ids.split(",")) {
      const entry = await this.#runEntry(idParam(text, "dag_run_ids", "GET /api/v1/dag_runs/{ids}"));
      const state = await this.#state(entry, "all");
      out.push({
        ...this.#runOut(entry, state.run),
        node_runs: [...state.nodes.entries()].map(([nodeName, node]) => ({
          node_template_name: node.node,
          node_name: nodeName,
          realized_dependencies: node.realizedDependencies ?? [],
          status: node.status,
          start_time: isoTime(node.startTime),
          end_time: isoTime(node.endTime),
          dag_run: entry.id,
          dag_run_id: entry.id,
          attributes: Object.values(node.uiAttributes ?? {})
            .filter((a) => types.has(a.type))
            .map((a) => ({ ...a, dag_run: entry.id, dag_run_id: entry.id })),
        })),
      });
    }
    return ok(out);
  }

  async #bulk(dagRunId: number, body: Json): Promise<ProtocolAnswer> {
    const what = "PUT /api/v1/dag_runs_bulk";
    const entry = await this.#runEntry(dagRunId);
    const updates = body.task_updates ?? [];
    const attributes = body.attributes ?? [];
    if (!Array.isArray(updates) || !Array.isArray(attributes)) {
      throw new HttpError(400, `${what}: "task_updates" and "attributes" must be arrays.`);
    }
    // Read and check everything before anything is written.
    const tasks = updates.map((raw, i) => {
      const where = `${what}: task_updates[${i}]`;
      const t = objectBody(raw, where);
      return {
        node: stringField(t, "node_template_name", where),
        nodeName: stringField(t, "node_name", where),
        status: parseStatus(t.status, "status", where),
        startTime: parseTime(t.start_time, "start_time", where),
        endTime: parseTime(t.end_time, "end_time", where),
        dependencies: Array.isArray(t.realized_dependencies) ? t.realized_dependencies.map(String) : undefined,
      };
    });
    const attrs: StoredAttribute[] = attributes
      .filter((raw) => raw !== null)
      .map((raw, i) => {
        const where = `${what}: attributes[${i}]`;
        const a = objectBody(raw, where);
        return {
          node_name: stringField(a, "node_name", where),
          name: stringField(a, "name", where),
          type: stringField(a, "type", where),
          schema_version: typeof a.schema_version === "number" ? a.schema_version : 1,
          value: a.value ?? null,
          attribute_role: typeof a.attribute_role === "string" ? a.attribute_role : "result_summary",
        };
      });
    // Only the node runs this request touches are read (a run of 10,000 nodes is not read per update).
    const touches = [...new Set([...tasks.map((t) => t.nodeName), ...attrs.map((a) => a.node_name)])];
    await this.#runs.update(
      entry.projectId,
      String(dagRunId),
      (state) => {
        if (state === undefined) throw new HttpError(404, `${what}: DAG run ${dagRunId} has no records in the store.`);
        const runId = String(dagRunId);
        // One new record per node this request touches (tasks first, then attributes), each copied
        // once from the stored one and changed in place: the records in the state are never changed.
        const touched = new Map<string, NodeDraft>();
        const draftOf = (nodeName: string, node: string, startTime: number): NodeDraft => {
          let draft = touched.get(nodeName);
          if (draft === undefined) {
            const current = state.nodes.get(nodeName);
            draft = current === undefined ? newNode(node, nodeName, runId, startTime) : copyNode(current);
            touched.set(nodeName, draft);
          }
          return draft;
        };
        for (const t of tasks) applyTask(draftOf(t.nodeName, t.node, t.startTime ?? state.run.startTime), t);
        for (const a of attrs) applyAttribute(draftOf(a.node_name, a.node_name, state.run.startTime), a);
        for (const [name, draft] of touched) state.nodes.set(name, draft);
        return { records: [...touched.values()], value: undefined };
      },
      touches,
    );
    return ok(null);
  }
}

function splitTask(nodeName: string, node: string): string | undefined {
  if (nodeName === node) return undefined;
  return nodeName.endsWith(`-${node}`) ? nodeName.slice(0, -(node.length + 1)) : nodeName;
}

/** A node record being made by one request (see {@link copyNode}). */
type NodeDraft = { -readonly [K in keyof UiNodeRunRecord]: UiNodeRunRecord[K] };

/** The fields every record this server makes has, in this order (one object shape, quick to write as JSON). */
const NODE_FIELDS = new Set<string>([
  "type",
  "runId",
  "node",
  "taskId",
  "attempt",
  "status",
  "startTime",
  "endTime",
  "durationMs",
  "result",
  "error",
  "warnings",
  "traceId",
  "spanId",
  "realizedDependencies",
  "uiAttributes",
]);

function newNode(node: string, nodeName: string, runId: string, startTime: number): NodeDraft {
  return {
    type: "node_run",
    runId,
    node,
    taskId: splitTask(nodeName, node),
    attempt: 1,
    status: "RUNNING",
    startTime,
    endTime: undefined,
    durationMs: undefined,
    result: undefined,
    error: undefined,
    warnings: undefined,
    traceId: undefined,
    spanId: undefined,
    realizedDependencies: undefined,
    uiAttributes: undefined,
  };
}

/** A copy of a stored record to change (other fields of a record read from the file are kept). */
function copyNode(from: UiNodeRunRecord): NodeDraft {
  const draft: NodeDraft = {
    type: "node_run",
    runId: from.runId,
    node: from.node,
    taskId: from.taskId,
    attempt: from.attempt,
    status: from.status,
    startTime: from.startTime,
    endTime: from.endTime,
    durationMs: from.durationMs,
    result: from.result,
    error: from.error,
    warnings: from.warnings,
    traceId: from.traceId,
    spanId: from.spanId,
    realizedDependencies: from.realizedDependencies,
    uiAttributes: from.uiAttributes,
  };
  for (const key in from) {
    if (!NODE_FIELDS.has(key))
      (draft as Record<string, unknown>)[key] = (from as unknown as Record<string, unknown>)[key];
  }
  return draft;
}

/** A task update on a node: a re-sent or late `RUNNING` never replaces a final status. */
function applyTask(
  draft: NodeDraft,
  t: {
    node: string;
    nodeName: string;
    status: NodeRunRecord["status"];
    startTime: number | undefined;
    endTime: number | undefined;
    dependencies: string[] | undefined;
  },
): void {
  // The store's fold rule (same attempt): a re-sent or late RUNNING never replaces a final status.
  const keep = !supersedes(draft, { ...draft, status: t.status });
  const startTime = t.startTime ?? draft.startTime;
  const endTime = keep ? draft.endTime : (t.endTime ?? draft.endTime);
  const taskId = splitTask(t.nodeName, t.node);
  // The key the store folds by (nodeRunKey) must be the node_name the protocol uses.
  const folds = taskId === undefined || t.nodeName === `${taskId}-${t.node}`;
  draft.node = folds ? t.node : t.nodeName;
  draft.taskId = folds ? taskId : undefined;
  if (!keep) draft.status = t.status;
  draft.startTime = startTime;
  draft.endTime = endTime;
  draft.durationMs = endTime === undefined ? undefined : Math.max(0, endTime - startTime);
  if (t.dependencies !== undefined) draft.realizedDependencies = t.dependencies;
}

/** An attribute on a node: stored by name (a re-sent one replaces it), and read into the record. */
function applyAttribute(draft: NodeDraft, a: StoredAttribute): void {
  draft.uiAttributes = { ...draft.uiAttributes, [a.name]: a };
  if (a.attribute_role === "error" || a.type === "error") {
    draft.error = errorFromAttribute(a.value);
  } else if (a.name === "trace") {
    const inner = ((a.value as Json | null)?.value ?? a.value) as Json | null;
    draft.traceId = typeof inner?.trace_id === "string" ? inner.trace_id : undefined;
    draft.spanId = typeof inner?.span_id === "string" ? inner.span_id : undefined;
  } else if (a.name === "result_summary") {
    draft.result = summaryFromAttribute(a);
  }
}
