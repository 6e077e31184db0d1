/**
 * The demo's text output, as pure functions of what happened: the header, the results, the
 * trace tree, where traces and records went, the DAG, and a failure message.
 */
import { relative, isAbsolute } from "node:path";
import { HamiltonError } from "@hamilton-ts/core";
import type { Style } from "./style.js";

/** A path as a user wants to read it: relative to `cwd` when it is inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** A heading line. */
export function heading(text: string, style: Style): string {
  return `\n${style.bold(text)}`;
}

/** Aligned `label  value` rows, indented by two spaces. */
export function rows(entries: readonly (readonly [string, string])[], style: Style): string[] {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `  ${style.dim(label.padEnd(width))}  ${value}`);
}

/** A block of text, every line indented. */
export function indent(text: string, by = "    "): string[] {
  return text.split("\n").map((line) => (line ? by + line : line));
}

/**
 * A readable sentence for an error that ended the run: which node failed and why, or that the
 * run was interrupted, without a stack trace (the tracker and the trace keep those).
 */
export function describeFailure(error: unknown): string {
  if (HamiltonError.isInstance(error)) {
    const e = error as HamiltonError & { nodeName?: string; taskId?: string; cause?: unknown };
    if (e.code === "NODE_FAILED" && e.nodeName) {
      const task = e.taskId ? ` (task ${e.taskId})` : "";
      return `node "${e.nodeName}"${task} failed: ${messageOf(e.cause)}`;
    }
    if (e.code === "ABORTED") return "the run was interrupted before it finished.";
    return e.message;
  }
  return messageOf(error);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Where `pnpm --filter demo ui` serves the demo's store (`hamilton-ts-ui`'s default address). */
export const LOCAL_UI_URL = "http://127.0.0.1:8241";

/** The command that serves the demo's store in `hamilton-ts-ui`. */
export const UI_COMMAND = "pnpm --filter demo ui";

/** Where the run just made went, for {@link openRunRows}. */
export type RunLocation =
  | {
      readonly kind: "file";
      readonly runId: string;
      /** The store the run was written to. */
      readonly dir: string;
      /** The store `pnpm --filter demo ui` serves (`.hamilton-ts` in the demo's folder). */
      readonly uiDir: string;
    }
  | {
      readonly kind: "hamilton-ui";
      /** The run's page there, when the run was created. */
      readonly runUrl: string | undefined;
    };

/**
 * How to open the run just made, as report rows: for the local store, the command that serves it
 * (with `--dir` when the run went to another store than the one the command serves by default)
 * and the run's page, `http://127.0.0.1:8241/runs/<runId>`; for a Hamilton UI, the run's page
 * there (none when the run was not created).
 */
export function openRunRows(location: RunLocation): [string, string][] {
  if (location.kind === "hamilton-ui") return location.runUrl === undefined ? [] : [["open it", location.runUrl]];
  const command = location.dir === location.uiDir ? UI_COMMAND : `${UI_COMMAND} --dir ${quoteArg(location.dir)}`;
  return [
    ["open it", command],
    ["then", `${LOCAL_UI_URL}/runs/${encodeURIComponent(location.runId)}`],
  ];
}

/** A shell argument, quoted when it holds anything but plain path characters. */
function quoteArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
