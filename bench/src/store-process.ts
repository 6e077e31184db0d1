/**
 * A `hamilton-ts-ui` server in a child process (`store-server.ts`) for the `store/…` figures: its
 * URL once it listens, its resident memory (`/proc/<pid>/status`), and a clean stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** A running server child. */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** `performance.now()` when the process was spawned. */
  readonly spawnedAt: number;
  /** Its output so far (for error messages). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after `graceMs`) and resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Resident memory of a process, MB: now (`VmRSS`) and its peak (`VmHWM`). */
export async function residentMemory(pid: number): Promise<{ rssMB: number; peakMB: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMB: kb("VmRSS") / 1024, peakMB: kb("VmHWM") / 1024 };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts `startUi(options)` in a child process; resolves once it printed `ready <url>`. */
export function startServerProcess(options: Record<string, unknown>): Promise<ServerProcess> {
  const script = fileURLToPath(new URL("./store-server.js", import.meta.url));
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    let ready = false;
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (!ready)
        reject(
          new Error(`bench: the store server exited (${code ?? signal}) before it listened:\n${output.slice(-3000)}`),
        );
    });
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (output += t));
    child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      output += t;
      const m = /^ready (\S+)$/m.exec(output);
      if (!ready && m !== null) {
        ready = true;
        resolve({
          url: m[1]!,
          pid: child.pid!,
          spawnedAt,
          output: () => output,
          async stop(graceMs = 30_000) {
            const done = exited(child);
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
            await done;
            clearTimeout(timer);
          },
        });
      }
    });
  });
}
