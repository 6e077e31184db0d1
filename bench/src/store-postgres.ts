/**
 * A PostgreSQL cluster for `store/team`: `initdb` into a temporary folder and `pg_ctl start` on a
 * free loopback port (as the `postgres` user when the bench runs as root), with PostgreSQL's
 * defaults otherwise (fsync on, as a team's server runs). The bench runs built JavaScript, so it
 * cannot import `@hamilton-ts/testing` (TypeScript sources): this is the same recipe, kept small.
 * `psql` counts rows afterwards.
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A running cluster. */
export interface Postgres {
  readonly url: string;
  /** Runs one SQL statement with `psql` and returns its unaligned, tuples-only output. */
  psql(sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** The folder holding initdb and pg_ctl (`$PG_BIN_DIR`, else Debian's newest), or undefined. */
export function postgresBinDir(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"));
  if (process.env.PG_BIN_DIR) return has(process.env.PG_BIN_DIR) ? process.env.PG_BIN_DIR : undefined;
  const debian = "/usr/lib/postgresql";
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(debian, v, "bin")).find(has);
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

/** Starts a cluster; resolves once it accepts connections. */
export async function startPostgres(binDir: string): Promise<Postgres> {
  const asRoot = process.getuid?.() === 0;
  const as = (command: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args);
  const dir = mkdtempSync(join(tmpdir(), "hamilton-ts-bench-pg-"));
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, id("-u"), id("-g"));
  }
  const data = join(dir, "data");
  const port = await freePort();
  try {
    await as(join(binDir, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres"]);
    await as(join(binDir, "pg_ctl"), [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      "start",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `bench store/team: PostgreSQL did not start: ${(error as { stderr?: string }).stderr ?? String(error)}`,
    );
  }
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async psql(sql) {
      const { stdout } = await run(join(binDir, "psql"), [url, "-At", "-c", sql]);
      return stdout.trim();
    },
    async stop() {
      try {
        await as(join(binDir, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
