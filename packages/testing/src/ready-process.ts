/**
 * A child process a test waits on until it says it is ready: a server, a worker, a script. The
 * test waits on the child's own signal (a line it prints, or an IPC message), never on time, so it
 * holds on a busy machine; a child that dies first fails the wait with what it printed.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** What to start, and how it says it is ready. */
export interface ReadyProcessOptions {
  /** The executable (`process.execPath` for a Node script, `redis-server`, a `.bin/tsx`, ...). */
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The ready signal: a text (or pattern) the child prints on stdout — output so far is matched,
   * so it may arrive in pieces — or a function that accepts the IPC message that means ready (the
   * child then gets an IPC channel: `process.send({ ready: true })`).
   */
  readonly ready: string | RegExp | ((message: unknown) => boolean);
  /** Shown in the failure messages (default: the command's name). */
  readonly name?: string;
  /** A hint added when the command cannot be started at all (how to install it, say). */
  readonly installHint?: string;
}

/** How a child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process that said it was ready. */
export interface ReadyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far, stdout and stderr interleaved as they came (for failure messages). */
  output(): string;
  /** What it printed on stdout so far. */
  stdout(): string;
  /** What it printed on stderr so far. */
  stderr(): string;
  /** Resolves when it has exited (at once if it already has). */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (default SIGTERM) unless it has exited, and resolves once it has. */
  stop(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** SIGKILL, at once, as on a crash; resolves once it has exited. */
  kill(): Promise<ProcessExit>;
}

/** The error a child that could not start, or exited before it was ready, is rejected with. */
export class ProcessNotReadyError extends Error {
  override readonly name = "ProcessNotReadyError";
  constructor(
    message: string,
    /** How it ended (`undefined`: it never started). */
    readonly exit: ProcessExit | undefined,
    /** Everything it printed. */
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * Starts `options.command` and resolves once it signals ready. Rejects with a
 * {@link ProcessNotReadyError} carrying its stderr when it exits first, or when it cannot be
 * started at all (with `installHint`). The caller stops it (`stop()`/`kill()`), in an `afterAll`.
 */
export function startReadyProcess(options: ReadyProcessOptions): Promise<ReadyProcess> {
  const name = options.name ?? options.command.split("/").pop() ?? options.command;
  const ipc = typeof options.ready === "function";
  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let stdout = "";
  let stderr = "";
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
    // A child that never started emits "error" and no "close" when it had no streams yet.
    child.on("error", () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  const end = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
    return exited;
  };
  const handle: ReadyProcess = {
    child,
    pid: child.pid ?? 0,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: (signal = "SIGTERM") => end(signal),
    kill: () => end("SIGKILL"),
  };
  return new Promise<ReadyProcess>((resolve, reject) => {
    let settled = false;
    const ready = () => {
      if (settled) return;
      settled = true;
      resolve(handle);
    };
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      stdout += text;
      const { ready: signal } = options;
      if (typeof signal === "string" ? stdout.includes(signal) : signal instanceof RegExp && signal.test(stdout))
        ready();
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      stderr += text;
    });
    if (ipc) {
      const accepts = options.ready as (message: unknown) => boolean;
      child.on("message", (message) => {
        if (accepts(message)) ready();
      });
    }
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      const hint = options.installHint ? `; ${options.installHint}` : "";
      reject(new ProcessNotReadyError(`${name} could not be started (${error.message})${hint}`, undefined, out));
    });
    void exited.then((exit) => {
      if (settled) return;
      settled = true;
      const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const said = stderr.trim() || out.trim() || "(it printed nothing)";
      reject(new ProcessNotReadyError(`${name} ${how} before it was ready:\n${said}`, exit, out));
    });
  });
}
