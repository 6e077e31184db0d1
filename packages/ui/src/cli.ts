/**
 * The `hamilton-ts-ui` command: serve the store (the default), or print it (`runs`, `show <runId>`).
 * {@link main} takes its arguments, output and stop signal as parameters, so it runs in tests.
 */
import { parseArgs } from "node:util";
import { DEFAULT_STORE_DIR } from "@hamilton-ts/store";
import { UiError } from "./errors.js";
import { formatRun, formatRuns } from "./print.js";
import { getRun, getTrace, listRuns, parseLimit } from "./read-api.js";
import { startUi } from "./server.js";

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
      serve the store (API key also from HAMILTON_TS_UI_API_KEY)
  hamilton-ts-ui runs [--dir ${DEFAULT_STORE_DIR}] [--limit 100]     the runs, newest first
  hamilton-ts-ui show <runId> [--dir ${DEFAULT_STORE_DIR}]           a run's node runs and its trace
`;

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
  const dir = values.dir;
  const [command, ...rest] = positionals;
  try {
    if (command === "runs") {
      io.stdout(formatRuns(await listRuns(dir ?? DEFAULT_STORE_DIR, { limit: parseLimit(values.limit ?? null) })));
      return 0;
    }
    if (command === "show") {
      const runId = rest[0];
      if (runId === undefined)
        throw new UiError(
          "INVALID_OPTION",
          "show: which run? Give its id: hamilton-ts-ui show <runId> (see hamilton-ts-ui runs).",
        );
      const detail = await getRun(dir ?? DEFAULT_STORE_DIR, runId);
      if (detail === undefined)
        throw new UiError(
          "RUN_NOT_FOUND",
          `show: no run ${JSON.stringify(runId)} in ${dir ?? DEFAULT_STORE_DIR}; hamilton-ts-ui runs lists them.`,
        );
      const traceIds = [...new Set(detail.nodeRuns.flatMap((n) => (n.traceId === undefined ? [] : [n.traceId])))];
      const spans = (await Promise.all(traceIds.map((id) => getTrace(dir ?? DEFAULT_STORE_DIR, id)))).flatMap(
        (t) => t.spans,
      );
      io.stdout(formatRun(detail, spans));
      return 0;
    }
    if (command !== undefined)
      throw new UiError("INVALID_OPTION", `unknown command "${command}"; expected runs, show, or none (serve).`);
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || values.port!.trim() === "")) {
      throw new UiError(
        "INVALID_OPTION",
        `--port ${JSON.stringify(values.port)}: expected a whole number from 0 to 65535.`,
      );
    }
    const ui = await startUi({
      ...(dir === undefined ? {} : { dir }),
      ...(port === undefined ? {} : { port }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...((values["api-key"] ?? io.env.HAMILTON_TS_UI_API_KEY)
        ? { apiKey: values["api-key"] ?? io.env.HAMILTON_TS_UI_API_KEY }
        : {}),
    });
    io.stdout(`hamilton-ts-ui: serving ${ui.dir} at ${ui.url}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await ui.close();
    io.stdout("hamilton-ts-ui: closed\n");
    return 0;
  } catch (error) {
    const code = UiError.isInstance(error) ? ` [${error.code}]` : "";
    io.stderr(`hamilton-ts-ui${code}: ${(error as Error).message}\n`);
    return 1;
  }
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
