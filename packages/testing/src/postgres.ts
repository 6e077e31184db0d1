/**
 * A real PostgreSQL cluster for a test file: `initdb` into a temporary folder, `pg_ctl start` on a
 * free loopback port (its socket in the same folder), trust authentication for the `postgres`
 * user, no fsync (a test cluster need not survive a crash). `stop()` stops it and removes the folder.
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/** A running PostgreSQL cluster (see {@link startPostgres}). */
export interface PostgresServer {
  /** `postgresql://postgres@127.0.0.1:PORT/postgres`: what a client connects to. */
  readonly url: string;
  readonly port: number;
  /** The folder holding the cluster's data, its log and its socket. */
  readonly dir: string;
  /** The folder of the PostgreSQL binaries used (`psql` is there too). */
  readonly binDir: string;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "install PostgreSQL: scripts/system-deps.sh (apt-get install postgresql), or set PG_BIN_DIR to the folder holding initdb and pg_ctl";

/**
 * The folder holding `initdb` and `pg_ctl`: `$PG_BIN_DIR`, else the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian's layout, where they are not on PATH), else
 * `pg_config --bindir`. Throws, saying how to install them, when none has them.
 */
export function postgresBinDir(): string {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"));
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (has(fromEnv)) return fromEnv;
    throw new Error(`PG_BIN_DIR is ${fromEnv}, which holds no initdb and pg_ctl; ${INSTALL_HINT}.`);
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) if (has(join(debian, version, "bin"))) return join(debian, version, "bin");
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (has(dir)) return dir;
  } catch {
    // No pg_config: nothing else to try.
  }
  throw new Error(`PostgreSQL's initdb and pg_ctl were not found; ${INSTALL_HINT}.`);
}

/** Runs a PostgreSQL binary; as the `postgres` user when this process is root (PostgreSQL refuses root). */
async function asPostgres(command: string, args: readonly string[], asRoot: boolean): Promise<void> {
  if (asRoot) await run("runuser", ["-u", "postgres", "--", command, ...args]);
  else await run(command, [...args]);
}

/**
 * Creates and starts a cluster in a new temporary folder, on a free loopback port, and resolves
 * once it accepts connections (`pg_ctl -w`). When running as root, the cluster belongs to the
 * `postgres` user (`runuser`), as PostgreSQL requires. Stop it in an `afterAll`.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "hamilton-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const logText = () => (existsSync(log) ? readFileSync(log, "utf8").trim() : "(no server log)");
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const pgCtl = join(binDir, "pg_ctl");
  try {
    await asPostgres(join(binDir, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], asRoot);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed in ${data}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  try {
    await asPostgres(pgCtl, ["-D", data, "-l", log, "-w", "-o", options, "start"], asRoot);
  } catch (error) {
    const message = `PostgreSQL did not start on port ${port}: ${(error as { stderr?: string }).stderr ?? String(error)}\n${logText()}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(message);
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    binDir,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await asPostgres(pgCtl, ["-D", data, "-m", "fast", "-w", "stop"], asRoot);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })()),
  };
}
