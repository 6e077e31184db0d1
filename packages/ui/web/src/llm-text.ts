/**
 * The LLM calls of a run and of its node runs as the page shows them: the read API's `llm` figures
 * when its answer has them, else counted and priced here from the run's trace with the table
 * shipped with the package (`src/llm-usage.ts`), and their text. No DOM: `run.ts` and
 * `node-detail.ts` draw it, `llm-text.test.ts` runs it under Node.
 */
import { type LlmUsage, runLlmUsage } from "../../src/llm-usage.js";
import { formatNumber } from "./format.js";
import type { NodeRun, RunDetail, Span } from "./types.js";

/** The LLM figures of a run page. */
export interface PageLlmUsage {
  readonly run: LlmUsage;
  readonly byNodeRun: ReadonlyMap<NodeRun, LlmUsage>;
}

/** True for an `llm` figure of the read API (`{ calls, inputTokens, outputTokens, costUsd }`). */
export function isLlmUsage(v: unknown): v is LlmUsage {
  if (typeof v !== "object" || v === null) return false;
  const u = v as Record<string, unknown>;
  return (
    typeof u.calls === "number" &&
    typeof u.inputTokens === "number" &&
    typeof u.outputTokens === "number" &&
    (typeof u.costUsd === "number" || u.costUsd === null)
  );
}

/**
 * The run's and each node run's LLM figures: the answer's own (`run.llm`, each node run's `llm`)
 * when it has them, else from `spans` (undefined while the trace is not loaded).
 */
export function pageLlmUsage(detail: RunDetail, spans: readonly Span[] | undefined): PageLlmUsage | undefined {
  const fromServer = (detail.run as { llm?: unknown }).llm;
  if (isLlmUsage(fromServer)) {
    const byNodeRun = new Map<NodeRun, LlmUsage>();
    for (const r of detail.nodeRuns) {
      const u = (r as { llm?: unknown }).llm;
      if (isLlmUsage(u)) byNodeRun.set(r, u);
    }
    return { run: fromServer, byNodeRun };
  }
  if (spans === undefined) return undefined;
  const usage = runLlmUsage(detail.nodeRuns, spans);
  const byNodeRun = new Map<NodeRun, LlmUsage>();
  detail.nodeRuns.forEach((r, i) => {
    const u = usage.nodeRuns[i];
    if (u !== undefined && u.calls > 0) byNodeRun.set(r, u);
  });
  return { run: usage.run, byNodeRun };
}

/** Dollars: `$0.00` for none, cents for a dollar and more, else two significant digits (`$0.000084`). */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0.00";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const decimals = Math.min(12, Math.max(2, Math.ceil(-Math.log10(usd)) + 1));
  return `$${usd.toFixed(decimals)}`;
}

/** A usage's cost: dollars, or why it is unknown (`cost unknown: no price for m1, m2`). */
export function costText(usage: LlmUsage): string {
  if (usage.costUsd !== null) return formatUsd(usage.costUsd);
  const models = usage.unpricedModels ?? [];
  return models.length > 0 ? `cost unknown: no price for ${models.join(", ")}` : "cost unknown";
}

/** `2 LLM calls · 1,200 input + 300 output tokens · $0.00036`. */
export function usageText(usage: LlmUsage): string {
  return `${formatNumber(usage.calls)} LLM call${usage.calls === 1 ? "" : "s"} · ${formatNumber(usage.inputTokens)} input + ${formatNumber(usage.outputTokens)} output tokens · ${costText(usage)}`;
}

/** The short form for a waterfall row: `LLM ×2 · $0.00036`. */
export function usageTag(usage: LlmUsage): string {
  return `LLM ×${formatNumber(usage.calls)} · ${usage.costUsd === null ? "cost unknown" : formatUsd(usage.costUsd)}`;
}
