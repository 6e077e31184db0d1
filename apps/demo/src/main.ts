/**
 * `pnpm --filter demo start`: runs the LLM dataflow of `dataflow.ts` with both adapters at once —
 * OpenTelemetry (through Traceloop's SDK) and the Hamilton-UI-style tracker — and shows what each
 * recorded. Without keys it runs offline: a local OpenAI-compatible server, traces in a JSON-lines
 * file, tracker records in a local store.
 */
import { readConfig, DemoConfigError } from "./config.js";
import type { DemoConfig } from "./config.js";
import { startTelemetry } from "./telemetry.js";
import { createStyle, formatDuration, wantsColor } from "./style.js";

const style = createStyle(wantsColor(process.stdout, process.env));
const print = (...lines: string[]): void => {
  for (const line of lines) process.stdout.write(`${line}\n`);
};
const fail = (message: string): void => {
  process.stderr.write(`\n${style.red(style.bold("✗"))} ${message}\n`);
};

let config: DemoConfig;
try {
  config = readConfig(process.env, process.cwd());
} catch (error) {
  if (!(error instanceof DemoConfigError)) throw error;
  fail(`Configuration: ${error.message}`);
  process.exit(2);
}

// Traceloop owns the global tracer provider: it must be registered before anything else asks
// for a tracer, so it starts before the rest of the demo is even loaded.
const telemetry = startTelemetry(config.traces);
const { run } = await import("./run.js");

// Ctrl-C (or SIGTERM) aborts the run; everything recorded so far is still flushed. A second one exits at once.
const abort = new AbortController();
let interrupted: NodeJS.Signals | undefined;
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted) process.exit(signal === "SIGINT" ? 130 : 143);
  interrupted = signal;
  process.stderr.write(
    `\n${style.yellow(`${signal}: stopping the run and flushing traces and records… (again to quit at once)`)}\n`,
  );
  abort.abort(new Error(`interrupted by ${signal}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const started = performance.now();
let code: number;
// DEMO_WORKERS: Redis and worker processes for the fan-out (see distributed.ts).
const { startDistributed, DistributedSetupError } = await import("./distributed.js");
let distributed: Awaited<ReturnType<typeof startDistributed>> | undefined;
try {
  if (config.workers !== undefined) distributed = await startDistributed(config.workers);
  code = await run({ config, telemetry, style, print, fail, signal: abort.signal, distributed });
} catch (error) {
  if (error instanceof DistributedSetupError) fail(error.message);
  else fail(`The demo itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  code = error instanceof DistributedSetupError ? 2 : 1;
} finally {
  await distributed?.stop();
}
if (interrupted) code = interrupted === "SIGINT" ? 130 : 143;
print(style.dim(`\nDone in ${formatDuration(performance.now() - started)}, exit code ${code}.`));
// Everything is flushed and closed by now; exit even if a library left a timer or socket open.
process.exit(code);
