import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UiError } from "./errors.js";
import { acquireStoreLock, lockPath, readLock, SERVER_FOLDER } from "./store-lock.js";

function store(): string {
  return mkdtempSync(join(tmpdir(), "hamilton-lock-"));
}

/** The pid of a process that has exited (a child that ran and ended). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
}

function writeLock(dir: string, holder: object): void {
  mkdirSync(join(dir, SERVER_FOLDER), { recursive: true });
  writeFileSync(lockPath(dir), JSON.stringify(holder));
}

describe("the store lock", () => {
  it("refuses a second holder while the first lives, naming its pid, host and URL; free again once released", async () => {
    const dir = store();
    const lock = await acquireStoreLock(dir);
    await lock.setUrl("http://127.0.0.1:9999");
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, host: hostname(), url: "http://127.0.0.1:9999" });
    const error = await acquireStoreLock(dir).catch((e: unknown) => e);
    expect(UiError.isInstance(error) && error.code).toBe("STORE_LOCKED");
    expect((error as Error).message).toContain(`pid ${process.pid} on host ${hostname()}`);
    expect((error as Error).message).toContain("serving http://127.0.0.1:9999");
    await lock.release();
    expect(await readLock(dir)).toBeUndefined();
    const again = await acquireStoreLock(dir);
    await again.release();
  });

  it("takes over a lock left by a process of this host that died, and only one of two takers wins", async () => {
    const dir = store();
    writeLock(dir, { pid: deadPid(), host: hostname(), since: 1, url: "http://127.0.0.1:1" });
    const results = await Promise.allSettled([acquireStoreLock(dir), acquireStoreLock(dir)]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(UiError.isInstance(lost[0]!.reason) && lost[0]!.reason.code).toBe("STORE_LOCKED");
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, url: undefined });
  });

  it("never takes over another host's lock, and says how to remove it", async () => {
    const dir = store();
    writeLock(dir, { pid: deadPid(), host: "elsewhere.example", since: 1 });
    const error = await acquireStoreLock(dir).catch((e: unknown) => e);
    expect(UiError.isInstance(error) && error.code).toBe("STORE_LOCKED");
    expect((error as Error).message).toContain("host elsewhere.example");
    expect((error as Error).message).toContain(`delete ${lockPath(dir)}`);
  });

  it("does not remove a lock that another process took after this one's", async () => {
    const dir = store();
    const lock = await acquireStoreLock(dir);
    writeLock(dir, { pid: process.pid + 1, host: hostname(), since: 2 });
    await lock.release();
    expect(await readLock(dir)).toMatchObject({ pid: process.pid + 1 });
  });
});
