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
