/**
 * HTTP reads of the `store/…` figures: one timed GET (client time: request to the body read),
 * the median of several, and waiting for a server's index to catch up (`GET /api/store`'s
 * `catchingUp`).
 */
import { median } from "./measure.js";

/** One answer: status, parsed body (or the text when not JSON), and its time in ms. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly ms: number;
}

/** A timed GET. */
export async function get(url: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - started;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, ms };
}

/** The outcome of timing a read: its times, or why it could not be timed. */
export type Timed =
  | { readonly ok: true; readonly firstMs: number; readonly medianMs: number; readonly last: Answer }
  | { readonly ok: false; readonly why: string };

/**
 * `requests` GETs of `path` (after one untimed request to `/api/v1/health`: the client's own
 * warm-up); `check` says what is wrong with an answer, or undefined. A non-200 answer or a failed
 * check stops the figure with why.
 */
export async function timeReads(
  base: string,
  path: string,
  requests: number,
  check: (body: unknown) => string | undefined,
): Promise<Timed> {
  await (await fetch(`${base}/api/v1/health`)).text();
  const times: number[] = [];
  let last: Answer | undefined;
  for (let i = 0; i < requests; i++) {
    last = await get(`${base}${path}`);
    if (last.status !== 200) return { ok: false, why: `GET ${path.split("?")[0]} answered ${last.status}` };
    const wrong = check(last.body);
    if (wrong !== undefined) return { ok: false, why: `GET ${path.split("?")[0]}: ${wrong}` };
    times.push(last.ms);
  }
  return { ok: true, firstMs: times[0]!, medianMs: median(times), last: last! };
}

/** True when `GET /api/store` no longer says `catchingUp: true` (a server without the field is caught up). */
export async function caughtUp(base: string): Promise<boolean> {
  const answer = await get(`${base}/api/store`);
  if (answer.status !== 200)
    throw new Error(`bench: GET /api/store answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return (answer.body as { catchingUp?: unknown }).catchingUp !== true;
}

/** Waits until the server's index caught up; resolves with `performance.now()` then. */
export async function waitCaughtUp(base: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await caughtUp(base)) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`bench: the server at ${base} still says catchingUp after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The `runs` of a `GET /api/runs` answer, or why there are none. */
export function runsOf(body: unknown): { runs: readonly Record<string, unknown>[] } | { why: string } {
  const runs = (body as { runs?: unknown } | undefined)?.runs;
  return Array.isArray(runs) ? { runs } : { why: "the answer has no runs array" };
}
