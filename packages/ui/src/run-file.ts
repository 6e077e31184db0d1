/**
 * Whether the store has a run's file, without reading the store: the run page's route answers
 * 404 for an unknown run this way, so a large store costs the page nothing before its script
 * loads (the page reads the run itself from `/api/runs/<runId>`).
 */
import type { Dirent } from "node:fs";
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { RUN_EXTENSION, RUNS_FOLDER, toFileName } from "@hamilton-ts/store";

/** True when some project of the store at `dir` has `runs/<runId>.jsonl` (the store layout's name for it). */
export async function hasRunFile(dir: string, runId: string): Promise<boolean> {
  let projects: Dirent[];
  try {
    projects = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  const name = `${toFileName(runId)}${RUN_EXTENSION}`;
  const found = await Promise.all(
    projects
      .filter((p) => p.isDirectory() && !p.name.startsWith("."))
      .map((p) =>
        access(join(dir, p.name, RUNS_FOLDER, name)).then(
          () => true,
          () => false,
        ),
      ),
  );
  return found.includes(true);
}
