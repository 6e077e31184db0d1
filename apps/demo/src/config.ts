/**
 * Reads the demo's environment variables into one typed configuration. A missing key is never an
 * error: it selects the local, offline counterpart. Only values that are present but unusable are.
 */
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_MODEL } from "./dataflow.js";

/** Where the OpenTelemetry spans go. */
export type TraceDestination =
  /** Traceloop's cloud (or `TRACELOOP_BASE_URL`), with `TRACELOOP_API_KEY`. */
  | { readonly kind: "traceloop"; readonly apiKey: string; readonly baseUrl: string }
  /** Any OTLP/HTTP endpoint; spans are POSTed as JSON to `tracesUrl`. */
  | { readonly kind: "otlp"; readonly endpoint: string; readonly tracesUrl: string }
  /** OTLP JSON lines appended to a local file. */
  | { readonly kind: "file"; readonly path: string };

/** Which OpenAI-compatible API the LLM nodes call. */
export type LlmChoice =
  /** The real API (or `OPENAI_BASE_URL`), with `OPENAI_API_KEY`. */
  | { readonly kind: "openai"; readonly baseURL: string }
  /** A local OpenAI-compatible server started by the demo; `fail` makes the seed's call fail. */
  | { readonly kind: "local"; readonly fail: boolean };

/** Where the tracker's records go. */
export type TrackerDestination =
  | {
      readonly kind: "hamilton-ui";
      readonly apiUrl: string;
      readonly apiKey: string | undefined;
      readonly username: string;
      readonly projectId: number;
      /** The UI's address for run links (`HAMILTON_UI_URL`, default: the API's). */
      readonly uiUrl: string;
    }
  /** The tracker's `FileSink` store in `dir` (runs under `<dir>/<projectId>/runs/`). */
  | { readonly kind: "file"; readonly dir: string; readonly projectId: string; readonly username: string };

/** Everything the demo reads from its environment. */
export interface DemoConfig {
  /** Where local files go: `DEMO_OUTPUT_DIR`, default `.hamilton-ts` in the working directory. */
  readonly outputDir: string;
  readonly traces: TraceDestination;
  readonly llm: LlmChoice;
  readonly tracker: TrackerDestination;
  /** The model every LLM node asks (`DEMO_MODEL`, default `gpt-4o-mini`). */
  readonly model: string;
  /**
   * Record prompts, answers and node values in spans. Off with `TRACELOOP_TRACE_CONTENT=false`,
   * the switch Traceloop's own OpenAI instrumentation obeys, so one variable turns all content off.
   */
  readonly recordContent: boolean;
  /** Variables that are set but ignored in this combination, to tell the user about. */
  readonly notes: readonly string[];
  /**
   * Cache node results in `<outputDir>/.cache`, so a second run answers from it (`DEMO_CACHE`,
   * default on; `off` runs every node).
   */
  readonly cache: boolean;
  /**
   * Worker processes for the fan-out (`DEMO_WORKERS`, e.g. 2): the follow-up answers run on them
   * through BullMQ and a local redis-server; undefined runs everything in this process.
   */
  readonly workers: number | undefined;
}

/** An environment variable holds a value the demo cannot use. */
export class DemoConfigError extends Error {
  override readonly name = "DemoConfigError";
}

/** The project the local tracker store files runs under. */
export const LOCAL_PROJECT_ID = "demo";

/** The default OpenAI API base URL. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";
const TRACELOOP_DEFAULT_BASE_URL = "https://api.traceloop.com";

/** Reads the configuration from `env`; relative paths are resolved against `cwd`. */
export function readConfig(env: NodeJS.ProcessEnv, cwd: string): DemoConfig {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const outputDir = resolveDir(get("DEMO_OUTPUT_DIR") ?? ".hamilton-ts", cwd);
  const notes: string[] = [];
  const failLlm = isOn("DEMO_FAIL_LLM", get("DEMO_FAIL_LLM"), "set it to 1 to make the local LLM fail, or unset it");

  let traces: TraceDestination;
  const traceloopKey = get("TRACELOOP_API_KEY");
  const otlpEndpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (traceloopKey) {
    traces = {
      kind: "traceloop",
      apiKey: traceloopKey,
      baseUrl: httpUrl("TRACELOOP_BASE_URL", get("TRACELOOP_BASE_URL") ?? TRACELOOP_DEFAULT_BASE_URL),
    };
  } else if (otlpEndpoint) {
    const endpoint = httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", otlpEndpoint);
    traces = { kind: "otlp", endpoint, tracesUrl: `${endpoint}/v1/traces` }; // httpUrl strips the trailing slash
  } else {
    traces = { kind: "file", path: join(outputDir, "traces.jsonl") };
  }

  let llm: LlmChoice;
  if (get("OPENAI_API_KEY")) {
    llm = { kind: "openai", baseURL: httpUrl("OPENAI_BASE_URL", get("OPENAI_BASE_URL") ?? OPENAI_DEFAULT_BASE_URL) };
    if (failLlm) notes.push("DEMO_FAIL_LLM only affects the local LLM server; ignored because OPENAI_API_KEY is set.");
  } else {
    llm = { kind: "local", fail: failLlm };
    if (get("OPENAI_BASE_URL"))
      notes.push("OPENAI_BASE_URL is ignored without OPENAI_API_KEY: using the local LLM server.");
  }

  let tracker: TrackerDestination;
  const apiUrl = get("HAMILTON_API_URL");
  if (apiUrl) {
    const username = get("HAMILTON_USERNAME");
    if (!username) {
      throw new DemoConfigError(
        "HAMILTON_API_URL is set but HAMILTON_USERNAME is not: set HAMILTON_USERNAME to the e-mail you use in the Hamilton UI " +
          "(or unset HAMILTON_API_URL to record runs in a local file).",
      );
    }
    const projectText = get("HAMILTON_PROJECT_ID");
    const projectId = Number(projectText);
    if (!projectText || !Number.isSafeInteger(projectId) || projectId <= 0) {
      throw new DemoConfigError(
        `HAMILTON_API_URL is set but HAMILTON_PROJECT_ID is ${projectText === undefined ? "not" : JSON.stringify(projectText)}: ` +
          "set it to the numeric id of a project you created in the Hamilton UI (the number in the project's URL).",
      );
    }
    const api = httpUrl("HAMILTON_API_URL", apiUrl);
    tracker = {
      kind: "hamilton-ui",
      apiUrl: api,
      apiKey: get("HAMILTON_API_KEY"),
      username,
      projectId,
      uiUrl: httpUrl("HAMILTON_UI_URL", get("HAMILTON_UI_URL") ?? api),
    };
  } else {
    tracker = {
      kind: "file",
      dir: outputDir,
      projectId: LOCAL_PROJECT_ID,
      username: get("HAMILTON_USERNAME") ?? localUser(),
    };
  }

  const recordContent = (get("TRACELOOP_TRACE_CONTENT") ?? "true").toLowerCase() !== "false";
  let cache = isOn("DEMO_CACHE", get("DEMO_CACHE") ?? "on", "set it to off to run every node, or unset it");
  if (cache && llm.kind === "local" && llm.fail) {
    // A cached answer would hide the failure the user asked to see.
    cache = false;
    notes.push("DEMO_FAIL_LLM runs every node without the cache, so the failing LLM call is made.");
  }
  const workersText = get("DEMO_WORKERS");
  const workers = workersText === undefined ? undefined : Number(workersText);
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1 || workers > 16)) {
    throw new DemoConfigError(
      `DEMO_WORKERS is ${JSON.stringify(workersText)}: set it to a number of worker processes from 1 to 16 (e.g. 2), or unset it to run in one process.`,
    );
  }
  return {
    outputDir,
    traces,
    llm,
    tracker,
    model: get("DEMO_MODEL") ?? DEFAULT_MODEL,
    recordContent,
    notes,
    cache,
    workers,
  };
}

/** The login name, for the local store's runs ("demo" when the system cannot say). */
function localUser(): string {
  try {
    return userInfo().username || "demo";
  } catch {
    return "demo";
  }
}

function resolveDir(dir: string, cwd: string): string {
  return resolve(cwd, dir); // an absolute dir stays as it is
}

/** `1`, `true`, `yes`, `on` (any case) turn a switch on; unset, `0`, `false`, `no`, `off` leave it off. */
function isOn(name: string, value: string | undefined, hint: string): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new DemoConfigError(`${name} is ${JSON.stringify(value)}: ${hint}.`);
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DemoConfigError(
      `${name} is ${JSON.stringify(value)}, which is not a URL: use e.g. http://localhost:4318.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DemoConfigError(`${name} is ${JSON.stringify(value)}: only http:// and https:// URLs work here.`);
  }
  return value.replace(/\/+$/, "");
}
