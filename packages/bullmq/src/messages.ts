/**
 * Reading what arrives from Redis on the coordinator: a reply-channel signal and a job's outcome
 * are checked for shape and types before anything is done with them. Anyone who can reach Redis
 * can publish on the reply channel (its name is in every job), so a message is untrusted input:
 * a malformed one is refused here with a reason, never half-used.
 *
 * @module
 */
import type { Outcome, Signal, WireError, WireResult } from "./protocol.js";

/** A checked value, or why it was refused. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

const refuse = (why: string): { ok: false; why: string } => ({ ok: false, why });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const optionalText = (value: unknown): boolean => value === undefined || value === null || typeof value === "string";

/** Parses `text` as a JSON object, or says why it is not one. */
function parseObject(text: string): Checked<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse("it is not JSON");
  }
  return isRecord(value) ? { ok: true, value } : refuse("it is not an object");
}

/** Shows a refused message in a warning: its start, as JSON text. */
export function excerpt(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** Parses a reply-channel message: `{ kind: "done" | "requeued", jobId: string, outcome?: string }`. */
export function parseSignal(text: string): Checked<Signal> {
  const parsed = parseObject(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (typeof value.jobId !== "string" || value.jobId === "") return refuse("its jobId is not a non-empty string");
  if (value.kind === "requeued") return { ok: true, value: { kind: "requeued", jobId: value.jobId } };
  if (value.kind !== "done") return refuse(`its kind is not "done" or "requeued"`);
  if (value.outcome === undefined) return { ok: true, value: { kind: "done", jobId: value.jobId } };
  if (typeof value.outcome !== "string") return refuse("its outcome is not a string");
  return { ok: true, value: { kind: "done", jobId: value.jobId, outcome: value.outcome } };
}

function checkWireError(value: unknown): WireError | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.name !== "string" || typeof value.message !== "string") return undefined;
  if (!optionalText(value.code) || !optionalText(value.stack)) return undefined;
  if (!optionalText(value.nodeName) || !optionalText(value.taskId)) return undefined;
  let cause: WireError["cause"];
  if (value.cause !== undefined && value.cause !== null) {
    const c = value.cause;
    if (!isRecord(c) || typeof c.name !== "string" || typeof c.message !== "string" || !optionalText(c.stack)) {
      return undefined;
    }
    cause = { name: c.name, message: c.message, stack: (c.stack as string | null) ?? undefined };
  }
  const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    code: text(value.code),
    name: value.name,
    message: value.message,
    stack: text(value.stack),
    nodeName: text(value.nodeName),
    taskId: text(value.taskId),
    cause,
  };
}

/**
 * Parses a job's outcome (left under its result key) for a job of `items` tasks: a `done` outcome
 * has one well-formed result per task.
 */
export function parseOutcome(text: string, items: number): Checked<Outcome> {
  const parsed = parseObject(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (typeof value.worker !== "string") return refuse("its worker is not a string");
  if (value.kind === "failed") {
    if (typeof value.message !== "string") return refuse("its message is not a string");
    return { ok: true, value: { kind: "failed", worker: value.worker, message: value.message } };
  }
  if (value.kind !== "done") return refuse(`its kind is not "done" or "failed"`);
  if (!Array.isArray(value.results)) return refuse("its results are not an array");
  if (value.results.length !== items) {
    return refuse(`it has ${value.results.length} results for the job's ${items} tasks`);
  }
  const results: WireResult[] = [];
  for (const [i, r] of (value.results as unknown[]).entries()) {
    if (!isRecord(r)) return refuse(`its result ${i} is not an object`);
    if (r.ok === true && typeof r.value === "string") results.push({ ok: true, value: r.value });
    else if (r.ok === false) {
      const error = checkWireError(r.error);
      if (error === undefined) return refuse(`its result ${i} has a malformed error`);
      results.push({ ok: false, error });
    } else return refuse(`its result ${i} is neither { ok: true, value: string } nor { ok: false, error }`);
  }
  return { ok: true, value: { kind: "done", worker: value.worker, results } };
}
