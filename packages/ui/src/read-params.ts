/**
 * The read API's query parameters, read strictly: each bad one is an {@link HttpError} 400 that
 * names the parameter, says what was wrong and what is expected. An empty value counts as not
 * given (the page sends `?project=&dag=` for "any").
 */
import { HttpError } from "./http-error.js";

/** The statuses a run or node run can have in the read API. */
export const STATUSES = ["RUNNING", "SUCCESS", "FAILURE"] as const;

/** The one value of a parameter given at most once; undefined when missing or empty. */
export function single(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) {
    throw new HttpError(400, `${name} is given ${all.length} times; give it once.`);
  }
  const value = all[0];
  return value === undefined || value === "" ? undefined : value;
}

/** A whole-number parameter within `[min, max]`, or its default. */
export function wholeParam(
  query: URLSearchParams,
  name: string,
  range: { readonly min: number; readonly max: number; readonly fallback: number },
): number {
  const text = single(query, name);
  if (text === undefined) return range.fallback;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new HttpError(
      400,
      `${name}=${JSON.stringify(text.slice(0, 100))}: expected a whole number from ${range.min.toLocaleString("en-US")} to ${range.max.toLocaleString("en-US")}.`,
    );
  }
  return value;
}

/** A time in milliseconds since the epoch (a number ≥ 0), or undefined. */
export function timeParam(query: URLSearchParams, name: string): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || value > 8.64e15) {
    throw new HttpError(
      400,
      `${name}=${JSON.stringify(text.slice(0, 100))}: expected a start time in milliseconds since the epoch (a number from 0, e.g. ${name}=${Date.UTC(2026, 0, 1)}).`,
    );
  }
  return value;
}

/** `status=`: one of {@link STATUSES}, or undefined. */
export function statusParam(query: URLSearchParams): string | undefined {
  const text = single(query, "status");
  if (text === undefined) return undefined;
  if (!(STATUSES as readonly string[]).includes(text)) {
    throw new HttpError(400, `status=${JSON.stringify(text.slice(0, 100))}: expected one of ${STATUSES.join(", ")}.`);
  }
  return text;
}

/** `tag=key:value`, repeatable: each split at its first colon (the value may hold colons). */
export function tagParams(query: URLSearchParams): [string, string][] {
  const tags: [string, string][] = [];
  for (const text of query.getAll("tag")) {
    const colon = text.indexOf(":");
    if (colon <= 0) {
      throw new HttpError(
        400,
        `tag=${JSON.stringify(text.slice(0, 100))}: expected key:value (split at the first colon, the key not empty), e.g. tag=team:search.`,
      );
    }
    tags.push([text.slice(0, colon), text.slice(colon + 1)]);
  }
  return tags;
}

/** A free-text parameter of at most `max` characters, or undefined. */
export function textParam(query: URLSearchParams, name: string, max = 1000): string | undefined {
  const text = single(query, name);
  if (text !== undefined && text.length > max) {
    throw new HttpError(400, `${name} is ${text.length} characters long; expected at most ${max}.`);
  }
  return text;
}
