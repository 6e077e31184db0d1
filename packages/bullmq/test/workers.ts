/** Worker child processes for the tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Output so far (stderr included), for failure messages. */
  output(): string;
  /** SIGTERM: the worker closes (finishing what it holds) and exits. */
  stop(): Promise<void>;
  /** SIGKILL, at once. */
  kill(): Promise<void>;
}

/**
 * Starts `test/worker.ts` in a child process (through Vite, as vitest loads the coordinator: the
 * graph version hashes the nodes' sources, so both sides must load the same transform); resolves
 * once it is taking tasks (or, for another `entry`, once it prints "ready ").
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  entry = "/test/worker.ts",
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join("test", "worker.mjs"), entry], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      if (out.includes("ready ")) resolve();
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (out += text));
    child.on("exit", (code) => reject(new Error(`the worker exited with ${code} before it was ready:\n${out}`)));
  });
  return {
    child,
    pid: child.pid!,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
