/**
 * Team-mode test helpers: a fresh database per test on a test file's PostgreSQL cluster, two
 * replicas (`openTeamStore` twice) behind a minimal HTTP harness of the tracking protocol that
 * sends each request to one of them (new runs to the first, updates to the second, reads to each in
 * turn), and stopping and starting the cluster in place.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PostgresServer } from "@hamilton-ts/testing";
import pg from "pg";
import { HttpError } from "../src/http-error.js";
import { isDatabaseUnavailable, openTeamStore, type TeamStore } from "../src/sql/team.js";
import { TrackingProtocol } from "../src/tracking.js";

const run = promisify(execFile);
let databases = 0;

/** A new empty database on the cluster; its URL. */
export async function freshDatabase(server: PostgresServer): Promise<string> {
  const name = `team_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

/** Two replicas on one database, closed by `close()`. */
export interface Replicas {
  readonly url: string;
  readonly a: TeamStore;
  readonly b: TeamStore;
  close(): Promise<void>;
}

/** Opens two replicas at once on a fresh database (they migrate it together). */
export async function openReplicas(server: PostgresServer, poolSize?: number): Promise<Replicas> {
  const url = await freshDatabase(server);
  const [a, b] = await Promise.all([openTeamStore(url, { poolSize }), openTeamStore(url, { poolSize })]);
  return { url, a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** The tracking protocol of two replicas on 127.0.0.1 (see the module's description). */
export interface ProtocolHarness {
  readonly url: string;
  /** Requests each replica answered. */
  readonly answered: [number, number];
  /** Resolves at the next 503 answer (the database could not be reached). */
  nextUnavailable(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `/api/v1/…` through the replicas' protocols, in the server's JSON shapes and statuses:
 * `split` sends POSTs to the first, PUTs to the second and GETs to each in turn; `alternate` sends
 * each request to the next replica in turn, as a round-robin load balancer does.
 */
export async function protocolHarness(
  replicas: readonly TeamStore[],
  route: "split" | "alternate" = "split",
): Promise<ProtocolHarness> {
  const protocols = replicas.map((r) => new TrackingProtocol(r.ids, r.runs));
  const answered: [number, number] = [0, 0];
  let reads = 0;
  let requests = 0;
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const method = req.method ?? "GET";
      const replica =
        route === "alternate" ? requests++ % 2 : method === "POST" ? 0 : method === "PUT" ? 1 : reads++ % 2;
      answered[replica as 0 | 1]++;
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      protocols[replica]!.handle({
        method,
        path: url.pathname.slice("/api/v1".length),
        query: url.searchParams,
        user: typeof req.headers["x-api-user"] === "string" ? req.headers["x-api-user"] : undefined,
        body: async () => JSON.parse(Buffer.concat(chunks).toString("utf8")),
      }).then(
        (answer) => (answer === undefined ? reply(404, { error: "no route" }) : reply(answer.status, answer.body)),
        (error: unknown) => {
          if (error instanceof HttpError) reply(error.status, { detail: error.message });
          else if (!isDatabaseUnavailable(error)) reply(500, { detail: String(error) });
          else {
            reply(503, { detail: String(error) });
            for (const wake of waiters.splice(0)) wake();
          }
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered,
    nextUnavailable: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `pg_ctl` on the cluster (as the `postgres` user when root, as `startPostgres` does). */
async function pgCtl(server: PostgresServer, args: readonly string[]): Promise<void> {
  const command = join(server.binDir, "pg_ctl");
  const full = ["-D", join(server.dir, "data"), ...args];
  if (process.getuid?.() === 0) await run("runuser", ["-u", "postgres", "--", command, ...full]);
  else await run(command, full);
}

/** Stops the cluster (fast shutdown: connections are cut), keeping its data. */
export function stopCluster(server: PostgresServer): Promise<void> {
  return pgCtl(server, ["-m", "fast", "-w", "stop"]);
}

/** Starts the cluster again on its port; resolves once it accepts connections. */
export function startCluster(server: PostgresServer): Promise<void> {
  const options = `-p ${server.port} -k ${server.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  return pgCtl(server, ["-l", join(server.dir, "server.log"), "-w", "-o", options, "start"]);
}
