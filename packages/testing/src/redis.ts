/** A real redis-server for a test file: on a free loopback port, no persistence; stopped by `stop()`. */
import { freePort } from "./free-port.js";
import { startReadyProcess } from "./ready-process.js";

/** A running redis-server (see {@link startRedis}). */
export interface RedisServer {
  /** The loopback port it listens on. */
  readonly port: number;
  /** SIGTERM: Redis exits; resolves once it has. */
  stop(): Promise<void>;
  /** SIGKILL: Redis dies at once, as on a crash. */
  kill(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port, without persistence, and resolves once it
 * accepts connections. Stop it in an `afterAll`.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const server = await startReadyProcess({
    command: "redis-server",
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    ready: "Ready to accept connections",
    installHint: "install it: scripts/system-deps.sh (apt-get install redis-server)",
  });
  return {
    port,
    stop: async () => void (await server.stop("SIGTERM")),
    kill: async () => void (await server.kill()),
  };
}
