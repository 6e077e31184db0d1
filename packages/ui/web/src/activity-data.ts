/**
 * The activity chart's data from `GET /api/activity`: one column per day (x is the day's index,
 * so each day has the same width and a click maps to one day), runs and failures, p50/p95 run
 * duration, and tokens and cost per day when the server gives them. No DOM: tested under Node.
 */

/** One day of `GET /api/activity` (tokens and cost only when the server adds them). */
export interface ActivityDayAnswer {
  readonly day: string;
  readonly runs: number;
  readonly failures: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Input plus output tokens of the day's LLM calls. */
  readonly tokens?: number | null;
  /** Their cost in USD; null when a model that used tokens has no price. */
  readonly costUsd?: number | null;
  readonly llmCalls?: number;
}

/** The chart's columns, each as long as `days`. */
export interface ActivityChartData {
  readonly days: readonly string[];
  /** 0 … days.length - 1. */
  readonly x: number[];
  readonly runs: number[];
  readonly failures: number[];
  readonly p50Ms: (number | null)[];
  readonly p95Ms: (number | null)[];
  /** Undefined when no day carries the figure. */
  readonly tokens: (number | null)[] | undefined;
  readonly costUsd: (number | null)[] | undefined;
  /** Sums over the range. */
  readonly totalRuns: number;
  readonly totalFailures: number;
  /** Tokens over the range (0 without any). */
  readonly totalTokens: number;
  /** Cost over the range; null when a day's cost is unknown (a model without a price). */
  readonly totalCostUsd: number | null;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Builds the columns from the days (oldest first, as the server sends them; sorted here anyway). */
export function activityChartData(answer: readonly ActivityDayAnswer[]): ActivityChartData {
  const days = [...answer].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const column = (f: (d: ActivityDayAnswer) => unknown) => days.map((d) => num(f(d)));
  // A server that counts tokens gives every day a figure (0 without calls): the LLM chart is drawn
  // only when a day of the range made calls.
  const hasLlm = days.some((d) => (num(d.tokens) ?? 0) > 0 || (num(d.llmCalls) ?? 0) > 0 || (num(d.costUsd) ?? 0) > 0);
  const hasTokens = hasLlm && days.some((d) => num(d.tokens) !== null);
  const hasCost = hasLlm && days.some((d) => num(d.costUsd) !== null);
  const tokenSum = days.reduce((a, d) => a + (num(d.tokens) ?? 0), 0);
  const costUnknown = days.some((d) => d.costUsd === null && (num(d.tokens) ?? 0) > 0);
  const runs = days.map((d) => num(d.runs) ?? 0);
  const failures = days.map((d) => num(d.failures) ?? 0);
  return {
    days: days.map((d) => d.day),
    x: days.map((_, i) => i),
    runs,
    failures,
    p50Ms: column((d) => d.p50Ms),
    p95Ms: column((d) => d.p95Ms),
    tokens: hasTokens ? column((d) => d.tokens) : undefined,
    costUsd: hasCost ? column((d) => d.costUsd) : undefined,
    totalRuns: runs.reduce((a, b) => a + b, 0),
    totalFailures: failures.reduce((a, b) => a + b, 0),
    totalTokens: tokenSum,
    totalCostUsd: costUnknown ? null : days.reduce((a, d) => a + (num(d.costUsd) ?? 0), 0),
  };
}

/** The day under a chart index (uPlot's `cursor.idx`), or undefined outside the range. */
export function dayAt(data: ActivityChartData, index: number | null | undefined): string | undefined {
  if (index === null || index === undefined || !Number.isInteger(index)) return undefined;
  return data.days[index];
}

/** How many days the chart asks for: enough to show the filter's first day, 30 at least, at most 3,660. */
export function activitySpan(from: string, today: number): number {
  if (from === "") return 30;
  const first = Date.parse(`${from}T00:00:00Z`);
  if (!Number.isFinite(first)) return 30;
  const days = Math.floor(today / 86_400_000) - Math.floor(first / 86_400_000) + 1;
  return Math.min(3660, Math.max(30, days));
}
