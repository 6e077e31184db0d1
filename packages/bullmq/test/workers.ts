/** Worker child processes for the tests. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ReadyProcess, startReadyProcess } from "@hamilton-ts/testing";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * A worker child process: `stop()` sends SIGTERM (the worker closes, finishing what it holds, and
 * exits), `kill()` SIGKILL at once; `output()` is what it printed, stderr included.
 */
export type WorkerProcess = ReadyProcess;

/**
 * Starts `test/worker.ts` in a child process (through Vite, as vitest loads the coordinator: the
 * graph version hashes the nodes' sources, so both sides must load the same transform); resolves
 * once it is taking tasks (or, for another `entry`, once it prints "ready ").
 */
export function startWorkerProcess(env: Record<string, string>, entry = "/test/worker.ts"): Promise<WorkerProcess> {
  return startReadyProcess({
    command: process.execPath,
    args: [join("test", "worker.mjs"), entry],
    cwd: packageDir,
    env: { ...process.env, ...env },
    ready: "ready ",
    name: `the worker ${entry}`,
  });
}
