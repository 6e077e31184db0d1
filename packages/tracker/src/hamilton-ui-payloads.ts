/**
 * The tracker's records as the Hamilton UI's tracking API expects them (the payload shapes of the
 * Python SDK, observed on the wire). Pure functions, no I/O.
 */
import type {
  DagTemplateRecord,
  ErrorInfo,
  NodeRunRecord,
  NodeTemplate,
  NumericStats,
  RunRecord,
  ValueSummary,
} from "./records.js";
import { nodeRunKey } from "./records.js";

/** What the UI shows where a Python type would be: TypeScript types do not exist at run time. */
const UNKNOWN_TYPE = "unknown";

const DAY_MS = 86_400_000;
/** The last day formatted by {@link isoUtc} (ms at its midnight) and its `YYYY-MM-DDT`. */
let cachedDay = Number.NaN;
let cachedDayText = "";

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * `new Date(ms).toISOString()` without its `Z`, made from the day's date (formatted once per day)
 * and the time of day: a node's start and end times are formatted for every record sent, and the
 * Date round trip was most of the cost. Anything but whole ms in years 0–9999 goes through Date.
 */
export function isoUtc(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < -62_167_219_200_000 || ms > 253_402_300_799_999)
    return new Date(ms).toISOString().slice(0, -1);
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (day !== cachedDay) {
    cachedDayText = new Date(day).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let rest = ms - day;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${cachedDayText}${two(hours)}:${two(minutes)}:${two(seconds)}.${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}`;
}

/** Run times: naive UTC ISO, as the Python SDK sends them (`datetime.utcnow().isoformat()`). */
export function runTime(ms: number): string {
  return isoUtc(ms);
}

/** Node times: UTC ISO with an explicit `+00:00` offset, as the Python SDK sends them. */
export function nodeTime(ms: number): string {
  return `${isoUtc(ms)}+00:00`;
}

function shortNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** A summary as plain JSON for display (the UI's `dict` values, run inputs, config). */
export function displayValue(summary: ValueSummary): unknown {
  switch (summary.kind) {
    case "primitive":
      return summary.value;
    case "string":
      return summary.truncated ? `${summary.preview}…` : summary.preview;
    case "array":
    case "set": {
      const items = summary.items.map(displayValue);
      if (summary.truncated) items.push("... truncated ...");
      return items;
    }
    case "numeric_array":
      return {
        length: summary.length,
        head: summary.head,
        count: summary.count,
        missing: summary.missing,
        zeros: summary.zeros,
        min: summary.min,
        max: summary.max,
        mean: summary.mean,
        std: summary.std,
        quantiles: summary.quantiles,
      };
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(summary.entries)) out[key] = displayValue(value);
      if (summary.truncated) out.__truncated__ = `${summary.size - Object.keys(summary.entries).length} more keys`;
      return out;
    }
    case "table":
      return {
        rows: summary.rows,
        columns: summary.columns.map((column) => `${column.name}: ${column.type}`),
        head: summary.head.map(displayRecord),
      };
    case "date":
      return summary.value;
    case "error":
      return `${summary.type}: ${summary.message}`;
    case "binary":
      return `<${summary.type} ${summary.byteLength} bytes>`;
    case "function":
      return `<function ${summary.name}>`;
    case "instance":
      return `<${summary.type}>`;
    case "redacted":
      return "[REDACTED]";
    case "truncated":
      return "... truncated ...";
    case "disabled":
      return "RESULT SUMMARY DISABLED";
    case "observability_failure":
      return `Failed to process: ${summary.message}`;
  }
}

/** A record of summaries as plain JSON (run inputs, template config). */
export function displayRecord(record: Readonly<Record<string, ValueSummary>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = displayValue(value);
  return out;
}

/** The `type`, `schema_version` and `value` of a `result_summary` attribute. */
export interface AttributeBody {
  readonly type: string;
  readonly schema_version: number;
  readonly value: unknown;
}

/** What the UI's `unsupported` view shows as the action for a value without a summary. */
const NO_SUMMARY =
  "hamilton-ts sends no data summary for this value (as Hamilton's Python SDK for None and unknown types).";

/** A `primitive`/1 string: the UI shows it with `value.toString()`, so the value is never null. */
function primitiveString(type: string, value: string): AttributeBody {
  return { type: "primitive", schema_version: 1, value: { type, value } };
}

function unsupported(type: string, action = NO_SUMMARY): AttributeBody {
  return { type: "unsupported", schema_version: 1, value: { unsupported_type: type, action } };
}

/**
 * A numeric column of a `dagworks_describe`/3 summary. The Hamilton UI's `count` is the column's
 * length, missing values included.
 */
function numericColumn(name: string, pos: number, dataType: string, stats: NumericStats): Record<string, unknown> {
  const histogram: Record<string, number> = {};
  for (const bin of stats.histogram) histogram[`(${shortNumber(bin.lo)}, ${shortNumber(bin.hi)}]`] = bin.count;
  return {
    name,
    pos,
    data_type: dataType,
    count: stats.count + stats.missing,
    missing: stats.missing,
    base_data_type: "numeric",
    zeros: stats.zeros,
    min: stats.min,
    max: stats.max,
    mean: stats.mean,
    std: stats.std,
    quantiles: stats.quantiles ?? {},
    histogram,
  };
}

/** Epoch milliseconds as the ISO text a `datetime` column carries; null stays null. */
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * A table's columns as a `dagworks_describe`/3 value, as the Python SDK describes a DataFrame:
 * number columns `numeric` (statistics and histogram), date columns `datetime` (minimum, maximum,
 * mean and quantiles as ISO text, the standard deviation in milliseconds), string columns
 * `category` (the most frequent values as `domain`, `top_value`, `top_freq`, `unique`), boolean
 * columns `boolean` (`zeros`: how many are false), anything else (objects, arrays, mixed types, a
 * secret-looking column) `unhandled` with its type. `count` is the rows the figures cover,
 * missing values included (as pandas counts a column's length).
 */
function tableDescribe(table: Extract<ValueSummary, { kind: "table" }>): Record<string, unknown> {
  const count = table.sampledRows ?? table.rows;
  const out: Record<string, unknown> = {};
  table.columns.forEach((column, pos) => {
    const { name, type, missing, stats, top } = column;
    const base = { name, pos, data_type: type, count, missing };
    let value: Record<string, unknown>;
    // A number column's statistics cover its numbers; `missing` adds the non-finite ones to the absent ones.
    if (type === "number" && stats !== undefined)
      value = { ...numericColumn(name, pos, "number", stats), count, missing: missing + stats.missing };
    else if (type === "date" && stats !== undefined) {
      const quantiles: Record<string, string> = {};
      for (const [q, ms] of Object.entries(stats.quantiles ?? {})) quantiles[q] = new Date(ms).toISOString();
      value = {
        ...numericColumn(name, pos, "Date", stats),
        count,
        missing: missing + stats.missing,
        base_data_type: "datetime",
        min: isoOrNull(stats.min),
        max: isoOrNull(stats.max),
        mean: isoOrNull(stats.mean),
        quantiles,
        histogram: {},
      };
    } else if (type === "string" && top !== undefined) {
      const domain: Record<string, number> = {};
      for (const entry of top) domain[entry.value] = entry.count;
      value = {
        ...base,
        base_data_type: "category",
        domain,
        top_value: top[0]?.value ?? null,
        top_freq: top[0]?.count ?? 0,
        unique: column.distinct ?? null,
      };
    } else if (type === "boolean" && top !== undefined) {
      const zeros = top.find((entry) => entry.value === "false")?.count ?? 0;
      value = { ...base, base_data_type: "boolean", zeros };
    } else value = { ...base, base_data_type: "unhandled" };
    out[name] = value;
  });
  return out;
}

/**
 * Maps a result summary to an attribute the Hamilton UI's result-summary views render
 * (`ui/frontend/src/components/dashboard/Runs/Task/result-summaries/` in apache/hamilton): only
 * `primitive`/1 with a non-null value (shown with `toString()`), `unsupported`/1, `dict`/2 with an
 * object or array value (a JSON viewer), and `dagworks_describe`/3. `null` and `undefined` are
 * `unsupported` with the type name, as the Python SDK sends `None`.
 */
export function resultSummaryBody(summary: ValueSummary, column: string): AttributeBody {
  switch (summary.kind) {
    case "primitive":
      if (summary.value === null) return unsupported(summary.type);
      return { type: "primitive", schema_version: 1, value: { type: summary.type, value: summary.value } };
    case "string":
      return primitiveString("string", displayValue(summary) as string);
    case "date":
      return primitiveString("Date", summary.value ?? "Invalid Date");
    case "disabled":
      return primitiveString("string", "RESULT SUMMARY DISABLED");
    case "redacted":
      return primitiveString("string", "[REDACTED]");
    case "truncated":
      return primitiveString("string", "... truncated ...");
    case "error":
      return primitiveString(summary.type, `${summary.type}: ${summary.message}`);
    case "numeric_array":
      return {
        type: "dagworks_describe",
        schema_version: 3,
        value: { [column]: numericColumn(column, 0, summary.type === "Array" ? "number[]" : summary.type, summary) },
      };
    case "table":
      return { type: "dagworks_describe", schema_version: 3, value: tableDescribe(summary) };
    case "instance":
      return unsupported(
        summary.type,
        "hamilton-ts records class instances by type name only: their fields can hold credentials.",
      );
    case "binary":
      return unsupported(summary.type, `${summary.byteLength} bytes; hamilton-ts does not send binary contents.`);
    case "function":
      return unsupported("function", `function ${summary.name}`);
    case "observability_failure":
      // The UI renders no `observability_failure` view: show the message as a string.
      return primitiveString("string", `Failed to process result: ${summary.message}`);
    case "array":
      return { type: "dict", schema_version: 2, value: { type: "Array", value: displayValue(summary) } };
    case "set":
      return { type: "dict", schema_version: 2, value: { type: "Set", value: displayValue(summary) } };
    case "object":
      return { type: "dict", schema_version: 2, value: { type: summary.type, value: displayValue(summary) } };
  }
}

function stackLines(error: ErrorInfo): string[] {
  const text = error.stack ?? `${error.type}: ${error.message}`;
  const lines = text.split("\n").map((line) => `${line}\n`);
  if (error.cause !== undefined) lines.push("\nCaused by:\n", ...stackLines(error.cause));
  return lines;
}

/** Every attribute `type` this client sends (to read them back with `GET /dag_runs/{id}?attr=…`). */
export const ATTRIBUTE_TYPES: readonly string[] = ["primitive", "unsupported", "dict", "dagworks_describe", "error"];

/** One node attribute, as `PUT /dag_runs_bulk` expects it. */
export interface NodeAttribute extends AttributeBody {
  readonly node_name: string;
  readonly name: string;
  readonly attribute_role: "result_summary" | "error";
}

/**
 * The attributes of a node record: its result summary or its error, and its trace link — for the
 * final record only. The backend inserts attributes under a unique (name, node_name, dag_run), so
 * each is sent exactly once per node run: a `RUNNING` record has none (as in the Python SDK), even
 * when the tracer has already left the trace ids on it.
 */
export function nodeAttributes(record: NodeRunRecord): NodeAttribute[] {
  if (record.status === "RUNNING") return [];
  const nodeName = nodeRunKey(record);
  const out: NodeAttribute[] = [];
  if (record.status === "SUCCESS" && record.result !== undefined) {
    out.push({
      node_name: nodeName,
      name: "result_summary",
      attribute_role: "result_summary",
      ...resultSummaryBody(record.result, record.node),
    });
  }
  if (record.status === "FAILURE" && record.error !== undefined) {
    out.push({
      node_name: nodeName,
      name: "stack_trace",
      type: "error",
      schema_version: 1,
      value: { stack_trace: stackLines(record.error) },
      attribute_role: "error",
    });
  }
  if (record.traceId !== undefined || record.spanId !== undefined) {
    out.push({
      node_name: nodeName,
      name: "trace",
      type: "dict",
      schema_version: 2,
      value: { type: "dict", value: { trace_id: record.traceId ?? null, span_id: record.spanId ?? null } },
      attribute_role: "result_summary",
    });
  }
  if (record.cache !== undefined) {
    out.push({
      node_name: nodeName,
      name: "cache",
      type: "dict",
      schema_version: 2,
      value: { type: "dict", value: cacheAttribute(record) },
      attribute_role: "result_summary",
    });
  }
  return out;
}

/** One task update, as `PUT /dag_runs_bulk` expects it. */
export interface TaskUpdate {
  readonly node_template_name: string;
  readonly node_name: string;
  readonly realized_dependencies: readonly string[];
  readonly status: string;
  readonly start_time: string;
  readonly end_time: string | null;
}

/** The task update of a node record. */
export function taskUpdate(record: NodeRunRecord, dependencies: readonly string[]): TaskUpdate {
  return {
    node_template_name: record.node,
    node_name: nodeRunKey(record),
    realized_dependencies: dependencies,
    status: record.status,
    start_time: nodeTime(record.startTime),
    end_time: record.endTime === undefined ? null : nodeTime(record.endTime),
  };
}

/**
 * The run tag that carries the tracker's run id. With it a client whose `POST /dag_runs` answer
 * was lost finds the run it created (`GET /dag_runs/latest/`) instead of creating it twice; in the
 * UI it links a run to the run id in traces and logs.
 */
export const RUN_ID_TAG = "hamilton_ts_run_id";

/** Body of `POST /dag_runs?dag_template_id=T`; its tags carry the run id ({@link RUN_ID_TAG}). */
export function runCreateBody(run: RunRecord): Record<string, unknown> {
  return {
    run_start_time: runTime(run.startTime),
    tags: { ...run.tags, [RUN_ID_TAG]: run.runId },
    inputs: displayRecord(run.inputs),
    outputs: run.finalVars,
    run_status: "RUNNING",
  };
}

/** Body of `PUT /dag_runs/{R}/`. */
export function runEndBody(run: RunRecord): Record<string, unknown> {
  return { run_status: run.status, run_end_time: runTime(run.endTime ?? Date.now()) };
}

/** The node tag that names a node's module, as Hamilton's driver sets it on every function node. */
export const MODULE_TAG = "module";

/** A node's module: its `module` tag, when it is a non-empty string. */
function moduleOf(node: NodeTemplate): string | undefined {
  const module = node.tags[MODULE_TAG];
  return typeof module === "string" && module.length > 0 ? module : undefined;
}

/**
 * Body of `POST /dag_templates?project_id=P`. A node tagged `module` (see {@link MODULE_TAG}) gets
 * a module-qualified code artifact (`module.fn`, as the Python SDK names them) in a virtual file of
 * its module, so the UI groups nodes by module.
 */
export function templateBody(template: DagTemplateRecord): Record<string, unknown> {
  // The UI shows code from `code_log` files; hamilton-ts knows functions, not files, so it
  // sends one virtual file per module (one for nodes without a module) with the node functions,
  // and code artifacts pointing into them.
  const defaultPath = `hamilton-ts/${template.dagName}.ts`;
  const artifactOf = (node: NodeTemplate) => {
    const module = moduleOf(node);
    return module === undefined ? node.functionName : `${module}.${node.functionName}`;
  };
  const files = new Map<string, { parts: string[]; line: number }>();
  const functions = new Map<string, { path: string; start: number; end: number }>();
  for (const node of template.nodes) {
    const name = artifactOf(node);
    if (node.classification === "input" || node.source.length === 0 || functions.has(name)) continue;
    const module = moduleOf(node);
    const path = module === undefined ? defaultPath : `hamilton-ts/${module}.ts`;
    let file = files.get(path);
    if (file === undefined) files.set(path, (file = { parts: [], line: 0 }));
    const header = `// node: ${node.functionName}\n`;
    const source = `${node.source}\n\n`;
    const start = file.line + 1;
    const count = node.source.split("\n").length;
    functions.set(name, { path, start, end: start + count });
    file.parts.push(header, source);
    file.line += 1 + count + 1;
  }
  const consumers = new Map<string, string[]>();
  for (const node of template.nodes) {
    for (const dep of node.dependencies) {
      const list = consumers.get(dep) ?? [];
      if (!list.includes(artifactOf(node))) list.push(artifactOf(node));
      consumers.set(dep, list);
    }
  }
  return {
    name: template.dagName,
    template_type: "HAMILTON",
    config: displayRecord(template.config),
    dag_hash: template.dagHash,
    tags: template.tags,
    code_hash: template.codeHash,
    code_version_info_type: "git",
    code_version_info: {
      git_hash: template.codeHash,
      git_repo: "Error: No repository to link to.",
      git_branch: "unknown",
    },
    code_version_info_schema: 1,
    nodes: template.nodes.map((node) => ({
      name: node.name,
      output: { type_name: UNKNOWN_TYPE },
      output_type: "python_type",
      output_schema_version: 1,
      documentation: node.documentation,
      tags: node.tags,
      classifications: [node.classification],
      code_artifact_pointers: node.classification === "input" ? (consumers.get(node.name) ?? []) : [artifactOf(node)],
      dependencies: node.dependencies,
      dependency_specs: node.dependencies.map(() => ({ type_name: UNKNOWN_TYPE })),
      dependency_specs_type: "python_type",
      dependency_specs_schema_version: 1,
    })),
    code_artifacts: [...functions].map(([name, span]) => ({
      name,
      type: "p_function",
      path: span.path,
      start: span.start,
      end: span.end,
      url: "Error: No repository to link to.",
    })),
    code_log: {
      files:
        files.size === 0
          ? [{ path: defaultPath, contents: "" }]
          : [...files].map(([path, file]) => ({ path, contents: file.parts.join("") })),
    },
  };
}

/**
 * The `cache` attribute's dict: the outcome, the key, the run a hit came from, and why a miss
 * missed — `miss_reason` the kind (`new`, `code`, `dependency`, `config`, `unkeyed`) and
 * `miss_detail` what it is about (the dependency's name, `<from> -> <to>` for code, the unkeyed
 * detail); `null` where there is none.
 */
export function cacheAttribute(record: NodeRunRecord): Record<string, string | null> {
  const reason = record.cacheMissReason;
  return {
    outcome: record.cache ?? null,
    key: record.cacheKey ?? null,
    from_run: record.cacheFromRun ?? null,
    miss_reason: reason?.kind ?? null,
    miss_detail: reason === undefined ? null : missDetail(reason),
  };
}

function missDetail(reason: NonNullable<NodeRunRecord["cacheMissReason"]>): string | null {
  switch (reason.kind) {
    case "code":
      return `${reason.from} -> ${reason.to}`;
    case "dependency":
      return reason.name;
    case "unkeyed":
      return reason.detail ?? null;
    default:
      return null;
  }
}
