/**
 * Child processes of the bench's sections: a free loopback port, a process started and awaited
 * until it prints its ready line, and a stop that waits for the exit.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Starts `command` and resolves once its output includes `ready` (rejects when it exits first). */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let isReady = false;
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (!isReady) reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`));
    });
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (output += t));
    child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      output += t;
      if (!isReady && output.includes(ready)) {
        isReady = true;
        resolve(child);
      }
    });
  });
}

/** Ends `child` with SIGTERM and waits for it to exit (at once when it already has). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
