/**
 * A node run's entry in its node's history (`GET /api/nodes/history`), written with the row by
 * `ingest.ts` and, for rows stored before, by migration 7. Only types of `@hamilton-ts/store` are
 * imported here: the migrations read these limits without loading the store package.
 */
import type { NodeRunRecord } from "@hamilton-ts/store";

/** The longest error message a history entry keeps, in characters (the node run has it whole). */
export const HISTORY_ERROR_CHARS = 200;
/**
 * The most UTF-8 bytes of an entry: it is held in a B-tree index (`node_runs_by_dag`), whose rows
 * PostgreSQL limits to about 2,700 bytes. Past this, the entry keeps only its miss reason's kind
 * and no LLM figures.
 */
export const HISTORY_ENTRY_BYTES = 2400;

/**
 * A node run as an entry of its node's history (`GET /api/nodes/history`), as JSON text: kept with
 * the row at write time, so a history of 10,000 node runs is read and answered as text, never
 * built per row. The error message is cut to {@link HISTORY_ERROR_CHARS} characters, and an entry
 * still over {@link HISTORY_ENTRY_BYTES} keeps its miss reason's kind only and no LLM figures (the
 * node run's page has them all), so that it fits its index. Migration 7 wrote the same keys, in
 * this order, with the same cuts, for older rows.
 */
export function historyEntry(node: NodeRunRecord): string {
  const message = node.error?.message;
  const entry = {
    runId: node.runId,
    taskId: node.taskId ?? null,
    attempt: node.attempt,
    startTime: Math.round(node.startTime),
    durationMs: node.durationMs ?? null,
    status: node.status,
    cache: node.cache ?? null,
    cacheFromRun: node.cacheFromRun ?? null,
    cacheMissReason: node.cacheMissReason ?? null,
    error:
      message === undefined || message.length <= HISTORY_ERROR_CHARS
        ? (message ?? null)
        : `${message.slice(0, HISTORY_ERROR_CHARS)}…`,
    llm: (node as { readonly llm?: unknown }).llm ?? null,
  };
  const text = JSON.stringify(entry);
  if (Buffer.byteLength(text, "utf8") <= HISTORY_ENTRY_BYTES) return text;
  const reason = entry.cacheMissReason;
  return JSON.stringify({ ...entry, cacheMissReason: reason === null ? null : { kind: reason.kind }, llm: null });
}
