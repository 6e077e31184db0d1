/** Runs the demo's real start command in a child process, as a user would. */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The demo package's folder. */
export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

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
 * comes (to send a signal at the right moment, say).
 */
export function runDemo(
  env: Record<string, string>,
  options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void; timeoutMs?: number } = {},
): Promise<DemoRun> {
  const base = { ...process.env };
  for (const name of MODE_VARIABLES) delete base[name];
  const child = spawn(
    join(DEMO_DIR, "node_modules", ".bin", "tsx"),
    ["--conditions=@hamilton-ts/source", "src/main.ts"],
    {
      cwd: DEMO_DIR,
      env: { ...base, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Sends `signal` to the demo itself: the node process running `src/main.ts` under `tsx`, as a
 * terminal's Ctrl-C reaches it. Signalling the `tsx` parent instead is not the same under load:
 * `tsx` relays the signal and, if the child has not confirmed it within 30 ms, kills the child with
 * SIGKILL and exits 130 on its own, so the demo never gets to stop cleanly. Falls back to the
 * parent when no such child is found (not Linux, say).
 */
export function signalDemo(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
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
