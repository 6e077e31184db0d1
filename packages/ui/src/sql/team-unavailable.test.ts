import { describe, expect, it } from "vitest";
import { UiError } from "../errors.js";
import type { Database } from "./database.js";
import { databaseTarget, guardedDatabase, isDatabaseUnavailable, unavailableError } from "./team-unavailable.js";

const withCode = (code: string, message = "failed") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it("is true for a database that cannot be reached: refused or reset sockets, shutdown, connection SQLSTATEs, pg's ended clients", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P03", "08006", "08001", "53300"]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(
      true,
    );
    // Wrapped (a migration's error keeps the driver's as its cause).
    expect(isDatabaseUnavailable(new Error("Migration 3 failed", { cause: withCode("ECONNREFUSED") }))).toBe(true);
    expect(isDatabaseUnavailable(new UiError("DATABASE_UNAVAILABLE", "down"))).toBe(true);
  });

  it("is false for every other failure: bad SQL, constraint violations, other UiErrors, non-errors", () => {
    for (const code of ["42601", "23505", "22P02", "28P01"])
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
    expect(isDatabaseUnavailable(new UiError("INVALID_OPTION", "Connection terminated"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("syntax error at or near"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
  });
});

describe("databaseTarget and unavailableError", () => {
  it("names host, port and database, never user or password, also in the driver's own words", () => {
    const target = databaseTarget("postgres://ui:s3cr%40t-pw@db.example:6543/hamilton");
    expect(target.address).toBe("db.example:6543/hamilton");
    const error = unavailableError(target, new Error('password authentication failed (sent "s3cr@t-pw")'), "at start");
    expect(error.code).toBe("DATABASE_UNAVAILABLE");
    expect(error.message).toContain("db.example:6543/hamilton");
    expect(error.message).toContain("at start");
    expect(error.message).not.toContain("s3cr@t-pw");
    expect(error.message).not.toContain("ui:");
  });

  it("defaults the port, reads a socket folder from ?host=, and refuses another scheme without echoing the URL", () => {
    expect(databaseTarget("postgresql://db/app").address).toBe("db:5432/app");
    expect(databaseTarget("postgres:///app?host=/var/run/postgresql").address).toBe("/var/run/postgresql:5432/app");
    for (const url of ["mysql://u:pw-secret@h/db", "not a url pw-secret"]) {
      const error = (() => {
        try {
          databaseTarget(url);
        } catch (e) {
          return e as UiError;
        }
      })();
      expect(error?.code).toBe("INVALID_OPTION");
      expect(error?.message).not.toContain("pw-secret");
    }
  });
});

describe("guardedDatabase", () => {
  it("turns a failure to reach the database into DATABASE_UNAVAILABLE and lets other failures through unchanged", async () => {
    const failing = (error: Error): Database => ({
      backend: "postgres",
      query: async () => {
        throw error;
      },
      transaction: async () => {
        throw error;
      },
      exclusive: async () => {
        throw error;
      },
      close: async () => undefined,
    });
    const target = databaseTarget("postgres://u:pw@127.0.0.1:5999/db");
    const down = guardedDatabase(failing(withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5999")), target);
    for (const attempt of [
      () => down.query("SELECT 1"),
      () => down.transaction([]),
      () => down.exclusive(1n, async () => 1),
    ]) {
      const error = (await attempt().then(
        () => undefined,
        (e: unknown) => e,
      )) as UiError;
      expect(error.code).toBe("DATABASE_UNAVAILABLE");
      expect(error.message).toContain("127.0.0.1:5999/db");
      expect(error.message).toContain("while serving");
    }
    const syntax = withCode("42601", "syntax error");
    await expect(guardedDatabase(failing(syntax), target).query("SELEC 1")).rejects.toBe(syntax);
  });
});
