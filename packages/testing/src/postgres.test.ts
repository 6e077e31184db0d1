import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "./postgres.js";

const run = promisify(execFile);

/** Runs one statement with psql, as a client of the URL would. */
async function psql(server: PostgresServer, sql: string): Promise<string> {
  const { stdout } = await run(join(server.binDir, "psql"), [server.url, "-X", "-A", "-t", "-c", sql]);
  return stdout.trim();
}

describe("startPostgres", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());

  it("serves its connection URL on 127.0.0.1: a client creates a table and reads it back", async () => {
    expect(server.url).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
    expect(await psql(server, "select 1")).toBe("1");
    await psql(server, "create table runs (id text primary key, status text not null)");
    await psql(server, "insert into runs values ('r1', 'SUCCESS')");
    expect(await psql(server, "select status from runs where id = 'r1'")).toBe("SUCCESS");
    expect(await psql(server, "show listen_addresses")).toBe("127.0.0.1");
    expect(Number((await psql(server, "show server_version_num")).slice(0, 2))).toBeGreaterThanOrEqual(15);
  });

  it("stop() stops the server and removes its folder; a second stop() is harmless", async () => {
    const other = await startPostgres();
    expect(other.port).not.toBe(server.port);
    expect(await psql(other, "select 2")).toBe("2");
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(psql(other, "select 1")).rejects.toThrow(/connection|refused/i);
    await other.stop();
  }, 120_000);
});
