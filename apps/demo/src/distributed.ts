/**
 * The demo's distributed mode (`DEMO_WORKERS=2`): a local redis-server on a free port, worker
 * processes (`worker.ts`) that run the follow-up answers of the fan-out, and the coordinator's
 * `BullMQExecutor`. Every process exports its spans to the same destination and records to the same
 * tracker store, so the run is one trace and one run record.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BullMQExecutor } from "@hamilton-ts/bullmq";
import { readTraceFile } from "@hamilton-ts/ui";
import type { TreeSpan } from "./trace-tree.js";

/** The queue the demo's coordinator and workers share. */
export const DEMO_QUEUE = "hamilton-ts-demo";

/** redis-server is missing, or a worker could not start. */
export class DistributedSetupError extends Error {
  override readonly name = "DistributedSetupError";
}

/** The running distributed setup. */
export interface Distributed {
  readonly executor: BullMQExecutor;
  /** One line saying where the fan-out runs. */
  readonly description: string;
  /** The worker processes' ids. */
  readonly workerPids: readonly number[];
  /** Closes the executor, stops the workers (they flush their spans and records) and Redis. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Starts a child and resolves once its output contains `ready`; rejects with its output if it ends first. */
function startChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: string,
  what: string,
): Promise<ChildProcess> {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new DistributedSetupError(
          error.code === "ENOENT"
            ? `${command} is not on PATH: DEMO_WORKERS needs a Redis server. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or unset DEMO_WORKERS.`
            : `${what} could not start: ${error.message}`,
        ),
      ),
    );
    let isReady = false;
    child.on("exit", (code) => {
      if (!isReady) reject(new DistributedSetupError(`${what} exited (${code}) before it was ready:\n${output}`));
    });
    const onData = (text: string): void => {
      output += text;
      if (!isReady && output.includes(ready)) {
        isReady = true;
        resolve(child);
      }
    };
    child.stdout!.setEncoding("utf8").on("data", onData);
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
  });
}

/** Stops a child with SIGTERM and waits for it to exit. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Starts Redis and `workers` worker processes; the environment is the workers' configuration too. */
export async function startDistributed(workers: number): Promise<Distributed> {
  const port = await freePort();
  const redis = await startChild(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    process.env,
    "Ready to accept connections",
    "redis-server",
  );
  const children: ChildProcess[] = [];
  try {
    const entry = join(dirname(fileURLToPath(import.meta.url)), "worker.ts");
    const env = { ...process.env, DEMO_REDIS_PORT: String(port) };
    // Every start settles before any failure is reported, so the workers that did start are
    // stopped with the rest (none is left running).
    const started = await Promise.allSettled(
      Array.from({ length: workers }, (_, i) =>
        startChild(
          process.execPath,
          ["--conditions=@hamilton-ts/source", "--import", "tsx", entry],
          env,
          "worker ready",
          `worker ${i + 1}`,
        ),
      ),
    );
    for (const s of started) if (s.status === "fulfilled") children.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    await Promise.all([...children.map(stopChild), stopChild(redis)]);
    throw error;
  }
  const executor = new BullMQExecutor({ connection: { host: "127.0.0.1", port }, queueName: DEMO_QUEUE });
  let stopping: Promise<void> | undefined;
  return {
    executor,
    description: `${workers} worker process${workers === 1 ? "" : "es"} (pid ${children.map((c) => c.pid).join(", ")}) through BullMQ on redis-server at 127.0.0.1:${port}`,
    workerPids: children.map((c) => c.pid!),
    stop: () =>
      (stopping ??= (async () => {
        await executor.close();
        await Promise.all(children.map(stopChild));
        await stopChild(redis);
      })()),
  };
}

/**
 * The spans of `traceId` in an OTLP JSON-lines file (the workers' spans, once they have flushed),
 * read by hamilton-ts-ui's reader; a missing file has none.
 */
export async function spansFromFile(path: string, traceId: string): Promise<TreeSpan[]> {
  const { spans } = await readTraceFile(path);
  return spans
    .filter((s) => s.traceId === traceId)
    .map((s) => ({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      startMs: s.startTime,
      durationMs: s.durationMs,
      attributes: s.attributes,
      error: s.status.code === 2,
      statusMessage: s.status.message,
    }));
}
