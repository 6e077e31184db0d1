/** Temporary store directories for tests, removed after each test. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { startUi, type UiOptions, type UiServer } from "../src/server.js";

const dirs: string[] = [];
const servers: UiServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh empty directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-"));
  dirs.push(dir);
  return dir;
}

/** `startUi` on a free port over `dir` (a fresh directory by default), caught up, closed after the test. */
export async function serve(options: UiOptions = {}): Promise<UiServer> {
  const ui = await startUi({ port: 0, ...options, dir: options.dir ?? (await tempDir()) });
  servers.push(ui);
  // What the store held at start is served whole (a test reads it at once).
  await ui.caughtUp();
  return ui;
}
