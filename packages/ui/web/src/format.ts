/** Formatting of times, durations and statuses for the page. */
import type { Status } from "./types.js";

/** A status as a word: `running`, `success`, `failure`, or the status lower-cased. */
export function statusWord(status: Status | undefined): string {
  if (status === undefined) return "not run";
  return status.toLowerCase().replace(/_/g, " ");
}

/** The CSS class of a status colour. */
export function statusClass(status: Status | undefined): string {
  switch (status) {
    case "SUCCESS":
      return "s-success";
    case "FAILURE":
      return "s-failure";
    case "RUNNING":
      return "s-running";
    default:
      return "s-pending";
  }
}

/** A duration in ms as `850 ms`, `2.40 s`, `3 min 12 s`, `1 h 4 min` (the terminal's words too). */
export { durationText as formatDuration } from "../../src/compare-runs.js";

/** A time in ms since the epoch as local date and time. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A number for people: integers with separators, others with up to 4 significant digits. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return n.toExponential(3);
  return String(Number(n.toPrecision(4)));
}

/** Up to `max` characters of a text, with `…` when cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A graph version for display: a hash (hex, as hamilton-ts makes them) cut to `length` characters;
 * any other version (`hamilton-ui-7`, a run reported over the protocol) whole.
 */
export function shortVersion(version: string, length: number): string {
  return /^[0-9a-f]{16,}$/i.test(version) ? version.slice(0, length) : version;
}
