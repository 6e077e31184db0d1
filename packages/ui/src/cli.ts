/**
 * The `hamilton-ts-ui` command: serve the store (the default), print it (`runs`, `show <runId>`,
 * `compare <runId> <runId> […]`), and maintain it (`migrate`, `prune`, `reindex`). {@link main} takes its arguments, output and stop signal
 * as parameters, so it runs in tests.
 */
import { parseArgs } from "node:util";
import { DEFAULT_STORE_DIR } from "@hamilton-ts/store";
import { migrateCommand, parseDuration, pruneDatabase, pruneIndex, pruneThrough, reindexCommand } from "./cli-admin.js";
import { httpClient, indexClient, type ReadClient, runningServer, teamClient } from "./cli-read.js";
import { UiError } from "./errors.js";
import { loadPrices } from "./prices.js";
import { formatComparison } from "./compare-print.js";
import { compareIdsProblem, compareRuns, MAX_COMPARE_RUNS } from "./compare-runs.js";
import { formatRun, formatRuns } from "./print.js";
import type { RunDetail, RunSummary, TraceDetail } from "./read-api.js";
import { startUi } from "./server.js";
import { SchemaTooNewError } from "./sql/migrations.js";

/** Where {@link main} writes and what stops the server. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted to stop the server (the bin aborts it on SIGINT and SIGTERM). */
  readonly signal: AbortSignal;
}

export const USAGE = `Usage:
  hamilton-ts-ui [--dir ${DEFAULT_STORE_DIR}] [--port 8241] [--host 127.0.0.1] [--api-key KEY]
                 [--database-url postgres://…] [--retain-days N] [--prices prices.json]
      serve the store (embedded index), or a team's PostgreSQL database with --database-url;
      --retain-days deletes finished runs older than N days, every hour; --prices adds LLM
      prices (USD per 1M tokens: { "<model>": { "input": 0.15, "output": 0.6 } }) to the shipped table
  hamilton-ts-ui runs [--dir ${DEFAULT_STORE_DIR} | --database-url URL] [--project P] [--limit 100]
                      [--q TEXT] [--tag key:value …] [--since 7d | 12h | 2026-01-31] [--json]
      the runs, newest first, as the page lists them: --q finds text in the DAG name, node names,
      errors and tag values; every --tag must hold; --since keeps those that started since then
  hamilton-ts-ui compare <runId> <runId> [… up to ${MAX_COMPARE_RUNS}] [--dir ${DEFAULT_STORE_DIR} | --database-url URL] [--json]
      what changed between runs, their parameters and node runs side by side, as the compare page
  hamilton-ts-ui show <runId> [--dir ${DEFAULT_STORE_DIR} | --database-url URL]
      a run's node runs and its trace
  hamilton-ts-ui prune --older-than 30d [--project P] [--dir ${DEFAULT_STORE_DIR} | --database-url URL]
      delete finished runs that started longer ago than that (s, m, h, d, w), with their node
      runs, spans and files; prints how many
  hamilton-ts-ui migrate --database-url URL
      bring a team database's schema up to date (a server also does it at start)
  hamilton-ts-ui reindex [--dir ${DEFAULT_STORE_DIR}]
      rebuild the store's embedded index from its files (no server may be running on it)

runs, show and prune ask the server serving the store when one runs (its address is in the
store's lock), else open the store's index themselves. The API key also comes from HAMILTON_TS_UI_API_KEY,
the database URL from HAMILTON_TS_UI_DATABASE_URL.
`;

const OPTIONS = {
  dir: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "api-key": { type: "string" },
  "database-url": { type: "string" },
  "retain-days": { type: "string" },
  prices: { type: "string" },
  limit: { type: "string" },
  project: { type: "string" },
  "older-than": { type: "string" },
  q: { type: "string" },
  tag: { type: "string", multiple: true },
  since: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Option = keyof typeof OPTIONS;

/** The options each command takes (`help` everywhere). */
const COMMAND_OPTIONS: Readonly<Record<string, readonly Option[]>> = {
  serve: ["dir", "port", "host", "api-key", "database-url", "retain-days", "prices"],
  runs: ["dir", "database-url", "api-key", "project", "limit", "q", "tag", "since", "json"],
  show: ["dir", "database-url", "api-key"],
  compare: ["dir", "database-url", "api-key", "json"],
  prune: ["dir", "database-url", "api-key", "project", "older-than"],
  migrate: ["database-url"],
  reindex: ["dir"],
};

type Values = ReturnType<typeof parse>["values"];

/** Errors of bad input to `runs` and `compare` (a flag's value, the run ids): exit code 2. */
const badInput = new WeakSet<object>();

function inputError(code: "INVALID_OPTION" | "RUN_NOT_FOUND", message: string): UiError {
  const error = new UiError(code, message);
  badInput.add(error);
  return error;
}

/** Runs the command; resolves to the exit code (the server: once it has closed). */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr(`hamilton-ts-ui: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const [command = "serve", ...rest] = positionals;
  try {
    const allowed = COMMAND_OPTIONS[command];
    if (allowed === undefined) {
      throw new UiError(
        "INVALID_OPTION",
        `unknown command "${command}"; expected runs, show, compare, prune, migrate, reindex, or none (serve).`,
      );
    }
    for (const name of Object.keys(values) as Option[]) {
      if (name !== "help" && !allowed.includes(name)) {
        const takes = allowed.length === 0 ? "no options" : allowed.map((o) => `--${o}`).join(", ");
        throw new UiError(
          "INVALID_OPTION",
          `--${name} is not an option of ${command === "serve" ? "the server" : command}; it takes ${takes}.`,
        );
      }
    }
    const extra = command === "show" ? rest.slice(1) : command === "compare" ? [] : rest;
    if (extra.length > 0) {
      throw new UiError("INVALID_OPTION", `${command}: unexpected argument ${JSON.stringify(extra[0])}.`);
    }
    if (values.dir !== undefined && values["database-url"] !== undefined) {
      throw new UiError(
        "INVALID_OPTION",
        "give --dir (a store and its embedded index) or --database-url (a team database), not both.",
      );
    }
    if (command === "migrate") return await migrate(values, io);
    if (command === "reindex") {
      io.stdout(await reindexCommand(values.dir ?? DEFAULT_STORE_DIR));
      return 0;
    }
    if (command === "serve") return await serve(values, io);
    if (command === "prune") return await prune(values, io);
    if (command === "runs") return await runs(values, io);
    if (command === "compare") return await compare(rest, values, io);
    return await show(rest[0], values, io);
  } catch (error) {
    const code = UiError.isInstance(error) ? ` [${error.code}]` : "";
    io.stderr(`hamilton-ts-ui${code}: ${(error as Error).message}\n`);
    // A database this version must not touch, or cannot reach: 2, as the server exits.
    const refused =
      error instanceof SchemaTooNewError ||
      (UiError.isInstance(error) && error.code === "DATABASE_UNAVAILABLE") ||
      badInput.has(error as object);
    return refused ? 2 : 1;
  }
}

/** `--database-url`, else (unless `--dir` is given) `HAMILTON_TS_UI_DATABASE_URL`. */
function databaseUrl(values: Values, io: CliIo): string | undefined {
  if (values["database-url"] !== undefined) return values["database-url"];
  if (values.dir !== undefined) return undefined;
  return io.env.HAMILTON_TS_UI_DATABASE_URL || undefined;
}

function apiKey(values: Values, io: CliIo): string | undefined {
  return values["api-key"] ?? (io.env.HAMILTON_TS_UI_API_KEY || undefined);
}

async function migrate(values: Values, io: CliIo): Promise<number> {
  const url = databaseUrl(values, io);
  if (url === undefined) {
    throw new UiError(
      "INVALID_OPTION",
      "migrate: which database? Give --database-url postgres://… (or HAMILTON_TS_UI_DATABASE_URL); the embedded index migrates itself when a server starts.",
    );
  }
  io.stdout(await migrateCommand(url));
  return 0;
}

/**
 * The read API for `runs`, `show` and `prune`: a team database, the server holding the store's
 * lock, or (none running) undefined.
 */
async function readClient(values: Values, io: CliIo): Promise<ReadClient | undefined> {
  const url = databaseUrl(values, io);
  if (url !== undefined) return teamClient(url);
  const server = await runningServer(values.dir ?? DEFAULT_STORE_DIR);
  return server === undefined ? undefined : httpClient(server, apiKey(values, io));
}

/**
 * Runs `use` on the running server's (or the database's) read API, else on `fallback` (the store
 * read by this process).
 */
async function withClient<T>(
  values: Values,
  io: CliIo,
  use: (client: ReadClient) => Promise<T>,
  fallback: () => Promise<T>,
): Promise<T> {
  const client = await readClient(values, io);
  if (client === undefined) return fallback();
  try {
    return await use(client);
  } catch (error) {
    // The lock named a server that is gone (fetch could not connect): read the store instead.
    if (error instanceof TypeError && client.where.startsWith("http")) return fallback();
    throw error;
  } finally {
    await client.close();
  }
}

/** `use` on the store's own index, opened by this process and closed after. */
async function onIndex<T>(values: Values, use: (client: ReadClient) => Promise<T>): Promise<T> {
  const client = await indexClient(values.dir ?? DEFAULT_STORE_DIR);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

async function prune(values: Values, io: CliIo): Promise<number> {
  if (values["older-than"] === undefined) {
    throw new UiError("INVALID_OPTION", "prune: how old? Give --older-than, e.g. --older-than 30d (s, m, h, d, w).");
  }
  const request = {
    olderThanMs: parseDuration(values["older-than"], "--older-than"),
    project: values.project,
    now: Date.now(),
  };
  const url = databaseUrl(values, io);
  const dir = values.dir ?? DEFAULT_STORE_DIR;
  const count =
    url !== undefined
      ? await pruneDatabase(url, request)
      : await withClient(
          values,
          io,
          (client) => pruneThrough(client, request),
          () => pruneIndex(dir, request),
        );
  const scope = request.project === undefined ? "" : ` of project ${JSON.stringify(request.project)}`;
  io.stdout(
    `hamilton-ts-ui: pruned ${count} finished run${count === 1 ? "" : "s"}${scope} that started before ${new Date(request.now - request.olderThanMs).toISOString()}.\n`,
  );
  return 0;
}

function checked<T>(reply: { status: number; body: unknown }, what: string): T {
  if (reply.status === 200) return reply.body as T;
  const error = (reply.body as { error?: unknown } | undefined)?.error;
  throw new Error(`${what}: ${reply.status}${typeof error === "string" ? ` ${error}` : ""}`);
}

const SINCE_UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--since`: a duration back from `now` (`7d`, `12h`, `30m`; s, m, h, d, w) or an ISO date or time
 * (`2026-01-31`, `2026-01-31T12:00:00Z`), as the start time in ms.
 */
export function parseSince(text: string, now: number): number {
  const trimmed = text.trim();
  const ago = /^(\d+)([smhdw])$/.exec(trimmed);
  if (ago !== null) {
    const ms = Number(ago[1]) * SINCE_UNITS[ago[2]!]!;
    if (Number.isSafeInteger(ms) && ms > 0 && ms <= now) return now - ms;
  } else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  throw inputError(
    "INVALID_OPTION",
    `--since ${JSON.stringify(text)}: expected a time back from now (a whole number and a unit, s, m, h, d or w: 7d, 12h) or an ISO date (2026-01-31, 2026-01-31T12:00:00Z).`,
  );
}

/** The `GET /api/runs` query of `runs`' flags (the page's list asks the same). */
export function runsQuery(values: Values, now: number): URLSearchParams {
  const query = new URLSearchParams({ limit: values.limit ?? "100" });
  if (values.project !== undefined) query.set("project", values.project);
  if (values.q !== undefined) query.set("q", values.q);
  for (const tag of values.tag ?? []) {
    if (tag.indexOf(":") <= 0) {
      throw inputError(
        "INVALID_OPTION",
        `--tag ${JSON.stringify(tag)}: expected key:value (split at the first colon, the key not empty), e.g. --tag team:search.`,
      );
    }
    query.append("tag", tag);
  }
  if (values.since !== undefined) query.set("from", String(parseSince(values.since, now)));
  return query;
}

async function runs(values: Values, io: CliIo): Promise<number> {
  const query = runsQuery(values, Date.now());
  const read = async (client: ReadClient) =>
    checked<{ runs: RunSummary[]; next?: string | null }>(await client.request("GET", "/api/runs", query), "runs");
  const list = await withClient(values, io, read, () => onIndex(values, read));
  io.stdout(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatRuns(list.runs));
  return 0;
}

async function compare(ids: readonly string[], values: Values, io: CliIo): Promise<number> {
  const problem = compareIdsProblem(ids);
  if (problem !== undefined) {
    throw inputError(
      "INVALID_OPTION",
      `compare: ${problem} Usage: hamilton-ts-ui compare <runId> <runId> [… up to ${MAX_COMPARE_RUNS}] (see hamilton-ts-ui runs).`,
    );
  }
  const where = databaseUrl(values, io) === undefined ? (values.dir ?? DEFAULT_STORE_DIR) : "the database";
  const read = async (client: ReadClient) => {
    const details: RunDetail[] = [];
    for (const id of ids) {
      const reply = await client.request("GET", `/api/runs/${encodeURIComponent(id)}`);
      if (reply.status === 404) {
        throw inputError(
          "RUN_NOT_FOUND",
          `compare: no run ${JSON.stringify(id)} in ${where} (run ${details.length + 1} of ${ids.length}); hamilton-ts-ui runs lists them.`,
        );
      }
      if (reply.status === 400) {
        const error = (reply.body as { error?: unknown } | undefined)?.error;
        throw inputError(
          "INVALID_OPTION",
          `compare: ${typeof error === "string" ? error : `run id ${JSON.stringify(id)} is not allowed.`}`,
        );
      }
      details.push(checked<RunDetail>(reply, "compare"));
    }
    return compareRuns(details);
  };
  const comparison = await withClient(values, io, read, () => onIndex(values, read));
  io.stdout(values.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison));
  return 0;
}

async function show(runId: string | undefined, values: Values, io: CliIo): Promise<number> {
  if (runId === undefined) {
    throw new UiError(
      "INVALID_OPTION",
      "show: which run? Give its id: hamilton-ts-ui show <runId> (see hamilton-ts-ui runs).",
    );
  }
  const where = databaseUrl(values, io) === undefined ? (values.dir ?? DEFAULT_STORE_DIR) : "the database";
  const read = async (client: ReadClient) => {
    const reply = await client.request("GET", `/api/runs/${encodeURIComponent(runId)}`);
    if (reply.status === 404) {
      throw new UiError(
        "RUN_NOT_FOUND",
        `show: no run ${JSON.stringify(runId)} in ${where}; hamilton-ts-ui runs lists them.`,
      );
    }
    const detail = checked<RunDetail>(reply, "show");
    const traceIds = [...new Set(detail.nodeRuns.flatMap((n) => (n.traceId === undefined ? [] : [n.traceId])))];
    const traces = await Promise.all(
      traceIds.map(async (id) => checked<TraceDetail>(await client.request("GET", `/api/traces/${id}`), "show")),
    );
    return formatRun(
      detail,
      traces.flatMap((t) => t.spans),
    );
  };
  io.stdout(await withClient(values, io, read, () => onIndex(values, read)));
  return 0;
}

async function serve(values: Values, io: CliIo): Promise<number> {
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || values.port!.trim() === "")) {
    throw new UiError(
      "INVALID_OPTION",
      `--port ${JSON.stringify(values.port)}: expected a whole number from 0 to 65535.`,
    );
  }
  const retain = values["retain-days"];
  const retainDays = retain === undefined ? undefined : Number(retain);
  if (
    retainDays !== undefined &&
    (!/^\s*\d+\s*$/.test(retain!) || !Number.isSafeInteger(retainDays) || retainDays < 1)
  ) {
    throw new UiError(
      "INVALID_OPTION",
      `--retain-days ${JSON.stringify(retain)}: expected a whole number of days from 1.`,
    );
  }
  const url = databaseUrl(values, io);
  const key = apiKey(values, io);
  const prices = values.prices === undefined ? undefined : await loadPrices(values.prices);
  const ui = await startUi({
    ...(values.dir === undefined ? {} : { dir: values.dir }),
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(key === undefined ? {} : { apiKey: key }),
    ...(url === undefined ? {} : { databaseUrl: url }),
    ...(retainDays === undefined ? {} : { retainDays }),
    ...(prices === undefined ? {} : { prices }),
  });
  io.stdout(`hamilton-ts-ui: serving ${ui.dir} at ${ui.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await ui.close();
  io.stdout("hamilton-ts-ui: closed\n");
  return 0;
}

function parse(args: readonly string[]) {
  return parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
}
