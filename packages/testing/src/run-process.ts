/**
 * A child process run to its end, as a user runs a command: what it printed and how it ended. For
 * tests of whole programs (a CLI, a demo); {@link startReadyProcess} is for servers and workers
 * that keep running.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** What to run. */
export interface RunProcessOptions {
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Sees stdout so far each time more comes: to send a signal at the right moment, say. */
  readonly onStdout?: (stdout: string, child: ChildProcess) => void;
  /**
   * SIGKILL after this long, ms: a bound for a hang (take it from a `timeBudget`), so that the test
   * fails with what the child printed instead of by its own timeout. Default: none.
   */
  readonly killAfterMs?: number;
}

/** What a child printed, and how it ended. */
export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when `killAfterMs` ran out and the child was killed. */
  readonly killedAfterTimeout: boolean;
}

/** Runs `options.command` until it exits (its streams closed); rejects only when it cannot start. */
export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let killedAfterTimeout = false;
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const timer =
    options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          killedAfterTimeout = true;
          child.kill("SIGKILL");
        }, options.killAfterMs);
  return new Promise((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killedAfterTimeout });
    });
  });
}
