/** Terminal colours, or none: one place decides, so piped output and `NO_COLOR` stay plain. */

/** Wraps text in an ANSI style, or returns it unchanged when colours are off. */
export type Paint = (text: string) => string;

/** The few styles the demo's output uses. */
export interface Style {
  readonly enabled: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly green: Paint;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
  readonly magenta: Paint;
}

/**
 * Colours on when `stream` is a terminal and neither `NO_COLOR` (https://no-color.org) nor
 * `TERM=dumb` is set; `FORCE_COLOR` (non-empty, not `0`) forces them on.
 */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** The demo's styles, as ANSI escapes when `enabled`, as no-ops otherwise. */
export function createStyle(enabled: boolean): Style {
  const paint = (open: number, close: number): Paint =>
    enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
  return {
    enabled,
    bold: paint(1, 22),
    dim: paint(2, 22),
    green: paint(32, 39),
    red: paint(31, 39),
    yellow: paint(33, 39),
    cyan: paint(36, 39),
    magenta: paint(35, 39),
  };
}

/** A duration for people: `0.4 ms`, `87 ms`, `1.24 s`. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The visible width of a string (ANSI escapes excluded). */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI sequences it removes.
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}
