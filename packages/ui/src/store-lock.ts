/**
 * The store directory's lock: one `hamilton-ts-ui` serves a store at a time (two embedded indexes
 * on one directory silently lose committed rows). The lock is a file,
 * `<store>/.hamilton-ts-ui/lock`, made with an exclusive create and holding who holds it: pid,
 * host, start time and the server's URL (so the CLI can ask the running server). A name starting
 * with a dot is one no project folder can take (project folders are encoded ids, never dotted).
 *
 * A lock whose process died on this host is taken over; a lock from another host is never taken
 * over (its process cannot be checked from here): the error says how to remove it.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UiError } from "./errors.js";

/** The server's own folder in the store directory (the lock, the embedded index). */
export const SERVER_FOLDER = ".hamilton-ts-ui";

/** Who holds a store's lock. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holder took the lock (ms since the epoch). */
  readonly since: number;
  /** The holder's address, once it listens (`http://127.0.0.1:8241`). */
  readonly url: string | undefined;
}

/** A lock this process holds. */
export interface StoreLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Records the server's URL in the lock, for the CLI. */
  setUrl(url: string): Promise<void>;
  /** Removes the lock if it is still this process's. */
  release(): Promise<void>;
}

/** The lock file of a store directory. */
export function lockPath(dir: string): string {
  return join(dir, SERVER_FOLDER, "lock");
}

/** Who holds the store's lock, or undefined when nobody does (or the file cannot be read). */
export async function readLock(dir: string): Promise<LockHolder | undefined> {
  try {
    const value = JSON.parse(await readFile(lockPath(dir), "utf8")) as Partial<LockHolder>;
    if (typeof value.pid !== "number" || typeof value.host !== "string") return undefined;
    return {
      pid: value.pid,
      host: value.host,
      since: typeof value.since === "number" ? value.since : 0,
      url: typeof value.url === "string" ? value.url : undefined,
    };
  } catch {
    return undefined;
  }
}

/** True when a process with this pid runs on this host (a permission error means it does). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockedError(dir: string, holder: LockHolder | undefined): UiError {
  const who =
    holder === undefined
      ? "another process (its lock file cannot be read)"
      : `hamilton-ts-ui, pid ${holder.pid} on host ${holder.host}, since ${new Date(holder.since).toISOString()}` +
        (holder.url === undefined ? "" : `, serving ${holder.url}`);
  const remedy =
    holder !== undefined && holder.host !== hostname()
      ? `A lock from another host is never taken over: if that process is gone, delete ${lockPath(dir)}.`
      : "Stop that server, or serve another store (--dir).";
  return new UiError("STORE_LOCKED", `The store ${dir} is in use by ${who}. ${remedy}`);
}

/** How long a takeover guard left by a crashed process blocks others before it is removed. */
const GUARD_STALE_MS = 10_000;

/**
 * Takes the store's lock for this process, or rejects with `UiError` `STORE_LOCKED` naming its
 * holder. A lock left by a dead process of this host is taken over (one taker wins: the takeover
 * runs under a guard folder made with an exclusive `mkdir`).
 */
export async function acquireStoreLock(dir: string): Promise<StoreLock> {
  const folder = join(dir, SERVER_FOLDER);
  await mkdir(folder, { recursive: true });
  const path = lockPath(dir);
  let holder: LockHolder = { pid: process.pid, host: hostname(), since: Date.now(), url: undefined };
  const mine = join(folder, `lock.${process.pid}.${randomUUID()}.tmp`);
  await writeFile(mine, JSON.stringify(holder));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link() fails with EEXIST when the lock exists: an atomic "create with this content".
        await link(mine, path);
        return held(
          path,
          () => holder,
          (next) => (holder = next),
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const current = await readLock(dir);
      if (current === undefined || current.host !== hostname() || alive(current.pid)) {
        if (current === undefined && attempt < 2) continue; // removed between link and read
        throw lockedError(dir, current);
      }
      await takeOver(folder, path, current);
    }
    throw lockedError(dir, await readLock(dir));
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

/** Removes a dead holder's lock, under the guard so two takers cannot remove each other's new lock. */
async function takeOver(folder: string, path: string, dead: LockHolder): Promise<void> {
  const guard = join(folder, "lock.takeover");
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const made = await stat(guard).catch(() => undefined);
    if (made !== undefined && Date.now() - made.mtimeMs > GUARD_STALE_MS)
      await rm(guard, { recursive: true, force: true });
    return; // Another taker is at it: the caller's next attempt sees its lock (or the dead one again).
  }
  try {
    const still = await readLock(join(folder, ".."));
    if (still !== undefined && still.pid === dead.pid && still.host === dead.host && still.since === dead.since) {
      await unlink(path).catch(() => undefined);
    }
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

function held(path: string, get: () => LockHolder, set: (holder: LockHolder) => void): StoreLock {
  return {
    path,
    get holder() {
      return get();
    },
    async setUrl(url) {
      const next = { ...get(), url };
      const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(tmp, JSON.stringify(next));
      await rename(tmp, path);
      set(next);
    },
    async release() {
      const dir = join(path, "..", "..");
      const current = await readLock(dir);
      if (current !== undefined && current.pid === get().pid && current.since === get().since) {
        await unlink(path).catch(() => undefined);
      }
    },
  };
}
