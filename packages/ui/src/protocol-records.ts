/**
 * From the Hamilton UI tracking protocol's payloads (the shapes of apache/hamilton's
 * `ui/backend/server/trackingserver_*` schemas) to the tracker's records, and back for answers.
 * Pure functions; a payload that cannot be read is an `HttpError` 400 that names the field.
 */
import { DEFAULT_SUMMARY_LIMITS, summarize } from "@hamilton-ts/tracker";
import type { DagTemplateRecord, ErrorInfo, NodeTemplate, RunStatus, ValueSummary } from "@hamilton-ts/store";
import { HttpError } from "./http-error.js";
import type { StoredAttribute } from "./run-store.js";

type Json = Record<string, unknown>;

/** The body as an object, or a 400. */
export function objectBody(body: unknown, what: string): Json {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(
      400,
      `${what}: expected a JSON object, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}.`,
    );
  }
  return body as Json;
}

/** A required string field, or a 400. */
export function stringField(body: Json, key: string, what: string): string {
  const value = body[key];
  if (typeof value !== "string")
    throw new HttpError(400, `${what}: "${key}" must be a string, got ${JSON.stringify(value) ?? "nothing"}.`);
  return value;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * A protocol time as ms since the epoch. The Python SDK sends run times as naive UTC ISO
 * (`2026-11-23T22:47:39.041190`) and node times with `+00:00`; a time without a zone is UTC.
 */
export function parseTime(value: unknown, field: string, what: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "string") throw new HttpError(400, `${what}: "${field}" must be an ISO date-time string.`);
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  // Python sends microseconds: JavaScript parses at most milliseconds.
  const ms = Date.parse(zoned.replace(/(\.\d{3})\d+/, "$1"));
  if (!Number.isFinite(ms))
    throw new HttpError(400, `${what}: "${field}" is ${JSON.stringify(value)}, not an ISO date-time.`);
  return ms;
}

/** An answer time: ISO 8601 UTC. */
export function isoTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** A protocol status as the tracker's (`UNINITIALIZED` counts as running). */
export function parseStatus(value: unknown, field: string, what: string): RunStatus {
  if (value === "RUNNING" || value === "SUCCESS" || value === "FAILURE") return value;
  if (value === "UNINITIALIZED") return "RUNNING";
  throw new HttpError(
    400,
    `${what}: "${field}" is ${JSON.stringify(value)}; expected RUNNING, SUCCESS, FAILURE or UNINITIALIZED.`,
  );
}

/** Summaries of a record of JSON values (run inputs, template config), secret-looking keys redacted. */
export function summarizeValues(value: unknown): Record<string, ValueSummary> {
  const out: Record<string, ValueSummary> = {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = summarize(v, DEFAULT_SUMMARY_LIMITS, k);
  }
  return out;
}

/** The tracker's template record of a `POST /dag_templates` body. */
export function templateRecord(body: Json, graphVersion: string, createdAt: number): DagTemplateRecord {
  const what = "POST /api/v1/dag_templates";
  const nodes = body.nodes;
  if (!Array.isArray(nodes)) throw new HttpError(400, `${what}: "nodes" must be an array of node templates.`);
  const files = new Map<string, string[]>();
  const codeLog = (body.code_log as Json | null | undefined)?.files;
  if (Array.isArray(codeLog)) {
    for (const file of codeLog as Json[]) {
      if (typeof file?.path === "string" && typeof file.contents === "string")
        files.set(file.path, file.contents.split("\n"));
    }
  }
  const artifacts = new Map<string, Json>();
  if (Array.isArray(body.code_artifacts)) {
    for (const artifact of body.code_artifacts as Json[]) {
      if (typeof artifact?.name === "string") artifacts.set(artifact.name, artifact);
    }
  }
  const sourceOf = (pointer: string | undefined): string => {
    const artifact = pointer === undefined ? undefined : artifacts.get(pointer);
    const lines = typeof artifact?.path === "string" ? files.get(artifact.path) : undefined;
    if (artifact === undefined || lines === undefined) return "";
    const start = Number(artifact.start);
    const end = Number(artifact.end);
    return Number.isInteger(start) && Number.isInteger(end) ? lines.slice(start, end).join("\n").trimEnd() : "";
  };
  const templates: NodeTemplate[] = (nodes as unknown[]).map((raw, i) => {
    const node = objectBody(raw, `${what}: nodes[${i}]`);
    const name = stringField(node, "name", `${what}: nodes[${i}]`);
    const classifications = stringList(node.classifications);
    const input = classifications.includes("input");
    const pointer = input ? undefined : stringList(node.code_artifact_pointers)[0];
    const tags: Record<string, string | readonly string[]> = {};
    if (typeof node.tags === "object" && node.tags !== null) {
      for (const [k, v] of Object.entries(node.tags as Json))
        tags[k] = Array.isArray(v) ? v.map(String) : typeof v === "string" ? v : JSON.stringify(v);
    }
    return {
      name,
      functionName: pointer?.split(".").at(-1) ?? name,
      dependencies: stringList(node.dependencies),
      optionalDependencies: [],
      tags,
      documentation: typeof node.documentation === "string" ? node.documentation : "",
      source: sourceOf(pointer),
      classification: input ? "input" : "transform",
      kind: classifications[0] ?? "transform",
      version: "",
    };
  });
  templates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    type: "dag_template",
    graphVersion,
    dagName: stringField(body, "name", what),
    dagHash: stringField(body, "dag_hash", what),
    codeHash: stringField(body, "code_hash", what),
    createdAt,
    config: summarizeValues(body.config),
    tags: stringRecord(body.tags),
    nodes: templates,
  };
}

/** Tags of a run body (`Dict[str, str]`; other values as JSON text). */
export function runTags(value: unknown): Record<string, string> {
  return stringRecord(value);
}

/** The run's requested outputs. */
export function runOutputs(value: unknown): string[] {
  return stringList(value);
}

/** An error attribute's value (`{"stack_trace": [lines]}`, or a list of messages) as the tracker's error. */
export function errorFromAttribute(value: unknown): ErrorInfo {
  const lines = Array.isArray((value as Json | null)?.stack_trace)
    ? ((value as Json).stack_trace as unknown[])
    : Array.isArray(value)
      ? value
      : [JSON.stringify(value)];
  const stack = lines.map(String).join("").trimEnd();
  // Python's traceback ends with "Type: message"; ours starts with it.
  const text = stack.split("\n").filter((l) => l.trim().length > 0);
  const headline = (/^\s*Traceback/.test(text[0] ?? "") ? text.at(-1) : text[0]) ?? "";
  const match = /^\s*([\w.$]+(?:Error|Exception|Exit|Interrupt|Warning)?):\s?(.*)$/.exec(headline);
  return {
    type: match?.[1] ?? "Error",
    message: match?.[2] ?? headline.trim(),
    stack: stack.length > 0 ? stack : undefined,
    cause: undefined,
  };
}

function parseBin(key: string): { lo: number; hi: number } | undefined {
  const match = /^[([]\s*(-?[\d.e+-]+|-?inf),\s*(-?[\d.e+-]+|inf)\s*[\])]$/i.exec(key.trim());
  if (!match) return undefined;
  const lo = Number(match[1]);
  const hi = Number(match[2]);
  return Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi } : undefined;
}

/** A `result_summary` attribute as the tracker's summary of the value. */
export function summaryFromAttribute(attribute: StoredAttribute): ValueSummary {
  const value = attribute.value as Json | null;
  switch (attribute.type) {
    case "primitive": {
      const v = value?.value;
      if (typeof v === "string") return { kind: "string", length: v.length, preview: v, truncated: false };
      if (typeof v === "number" || typeof v === "boolean")
        return { kind: "primitive", type: typeof v as "number" | "boolean", value: v };
      if (v === null) return { kind: "primitive", type: "null", value: null };
      return summarize(v);
    }
    case "unsupported":
      return { kind: "instance", type: String(value?.unsupported_type ?? "unknown") };
    case "dict":
      return summarize(value !== null && typeof value === "object" && "value" in value ? value.value : value);
    case "dagworks_describe": {
      const columns = value === null || typeof value !== "object" ? [] : Object.values(value);
      const column = columns[0] as Json | undefined;
      if (columns.length === 1 && column?.base_data_type === "numeric") {
        const num = (k: string) => (typeof column[k] === "number" ? (column[k] as number) : null);
        // The Python SDK's `count` is the column's length, missing values included (pandas_col_stats);
        // the tracker's counts only the values that are there.
        const length = num("count") ?? 0;
        const missing = num("missing") ?? 0;
        const count = Math.max(0, length - missing);
        const histogram = Object.entries((column.histogram as Record<string, number> | undefined) ?? {}).flatMap(
          ([key, n]) => {
            const bin = parseBin(key);
            return bin === undefined ? [] : [{ ...bin, count: Number(n) }];
          },
        );
        return {
          kind: "numeric_array",
          type: String(column.data_type ?? "number[]"),
          length,
          head: [],
          sampled: false,
          count,
          missing,
          zeros: num("zeros") ?? 0,
          min: num("min"),
          max: num("max"),
          mean: num("mean"),
          std: num("std"),
          quantiles: (column.quantiles as Record<string, number> | undefined) ?? null,
          histogram,
        };
      }
      return summarize(value);
    }
    default:
      return summarize(value);
  }
}
