/**
 * Runs the demo's real start command in a child process, as a user would, within a time budget
 * that scales with how busy the machine is (measured once per test file, when it loads this module).
 */
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, timeBudget } from "@hamilton-ts/testing";

/** The demo package's folder. */
export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The machine now: what a `node -e ""` spawn costs against a quiet machine's, times
 * `TEST_TIME_FACTOR`. Under load, the demo's start (tsx loading the workspace's sources and the
 * OpenTelemetry and Traceloop SDKs) slows by about as much as a spawn does.
 */
export const budget = await timeBudget();

/**
 * One demo run on a quiet machine, ms, with room to spare (it takes 2–4 s; the budget is measured
 * once, and the other packages' tests — each UI server running PostgreSQL in WASM — can slow the
 * machine several times over afterwards).
 */
const QUIET_DEMO_RUN_MS = 20_000;

/** How long one demo run may take now before it is killed, ms. */
export const DEMO_RUN_MS = budget.ms(QUIET_DEMO_RUN_MS);

/**
 * A test's timeout for `runs` demo runs one after another, plus `quietExtraMs` (a quiet machine's
 * time for the rest of the test: servers, a browser), all scaled by {@link budget}.
 */
export function demoTestTimeout(runs: number, quietExtraMs = 5_000): number {
  return runs * DEMO_RUN_MS + budget.ms(quietExtraMs);
}

/** What a demo run printed, and how it ended. */
export interface DemoRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables that would change the demo's mode: never inherited from the test's environment. */
const MODE_VARIABLES = [
  "DEMO_WORKERS",
  "TRACELOOP_API_KEY",
  "TRACELOOP_BASE_URL",
  "TRACELOOP_HEADERS",
  "TRACELOOP_TRACE_CONTENT",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "HAMILTON_API_URL",
  "HAMILTON_API_KEY",
  "HAMILTON_USERNAME",
  "HAMILTON_PROJECT_ID",
  "HAMILTON_UI_URL",
  "DEMO_OUTPUT_DIR",
  "DEMO_FAIL_LLM",
  "DEMO_MODEL",
  "FORCE_COLOR",
];

/**
 * Runs `tsx --conditions=@hamilton-ts/source src/main.ts` (the `start` script) in the demo's folder
 * with `env` added to a clean copy of this process's environment. `onStdout` sees output as it
 * comes (to send a signal at the right moment, say). A run still going after `killAfterMs`
 * (default {@link DEMO_RUN_MS}) is killed, and the promise rejects with what it printed.
 */
export async function runDemo(
  env: Record<string, string>,
  options: { onStdout?: (text: string, child: ChildProcess) => void; killAfterMs?: number } = {},
): Promise<DemoRun> {
  const base = { ...process.env };
  for (const name of MODE_VARIABLES) delete base[name];
  const killAfterMs = options.killAfterMs ?? DEMO_RUN_MS;
  const result = await runProcess({
    command: join(DEMO_DIR, "node_modules", ".bin", "tsx"),
    args: ["--conditions=@hamilton-ts/source", "src/main.ts"],
    cwd: DEMO_DIR,
    env: { ...base, NO_COLOR: "1", ...env },
    onStdout: options.onStdout,
    killAfterMs,
  });
  if (result.killedAfterTimeout)
    throw new Error(
      `the demo did not end within ${killAfterMs} ms (a quiet machine's time × ${budget.factor.toFixed(1)}, ` +
        `node -e "" took ${Math.round(budget.spawnMs)} ms; TEST_TIME_FACTOR scales it further).\n` +
        `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  return { code: result.code, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Sends `signal` to the demo itself: the node process running `src/main.ts` under `tsx`, as a
 * terminal's Ctrl-C reaches it. Signalling the `tsx` parent instead is not the same under load:
 * `tsx` relays the signal and, if the child has not confirmed it within 30 ms, kills the child with
 * SIGKILL and exits 130 on its own, so the demo never gets to stop cleanly. Falls back to the
 * parent when no such child is found (not Linux, say).
 */
export function signalDemo(child: ChildProcess, signal: NodeJS.Signals): void {
  const parent = child.pid;
  const targets: number[] = [];
  if (parent !== undefined) {
    let entries: string[] = [];
    try {
      entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
    } catch {
      // No /proc: fall back below.
    }
    for (const name of entries) {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === parent && readFileSync(`/proc/${name}/cmdline`, "utf8").includes("src/main.ts"))
          targets.push(Number(name));
      } catch {
        // The process ended meanwhile.
      }
    }
  }
  if (targets.length === 0) {
    child.kill(signal);
    return;
  }
  for (const pid of targets) process.kill(pid, signal);
}
