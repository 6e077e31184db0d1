/**
 * LLM calls counted and priced, per node run and per run, from a run's node runs and the spans of
 * its trace. Pure (no I/O): the server puts the figures in `GET /api/runs/:runId`, and the page
 * computes them itself when an answer carries none.
 *
 * A call is a leaf LLM span: a span with `gen_ai.*`/`llm.*` token usage or model attributes that
 * has no LLM span below it (a framework's span around the client's span is not counted again). It
 * belongs to the node run whose span is its nearest node-run ancestor. Tokens come from
 * `gen_ai.usage.input_tokens`/`output_tokens` (what Traceloop's OpenAI instrumentation writes),
 * their older spellings `gen_ai.usage.prompt_tokens`/`completion_tokens`, or OpenLLMetry's
 * `llm.usage.prompt_tokens`/`completion_tokens`; the model from `gen_ai.response.model`, else
 * `gen_ai.request.model` (then `llm.response.model`, `llm.request.model`).
 */
import { DEFAULT_PRICES, type PriceTable, priceOf } from "./price-table.js";

/** The LLM calls of a node run or a run. */
export interface LlmUsage {
  /** Leaf LLM spans. */
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD; `null` when a call with tokens has a model the price table does not price (see `unpricedModels`). */
  readonly costUsd: number | null;
  /** The models without a price (`"(no model recorded)"` for a call that names none), when any. */
  readonly unpricedModels?: readonly string[];
}

/** What of a span the count reads (a `SpanView` of the read API fits). */
export interface UsageSpan {
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** What of a node run the count reads (a `NodeRunRecord` fits). */
export interface UsageNodeRun {
  readonly spanId?: string | undefined;
}

/** The figures of a run: its total, and one per node run in the order given. */
export interface RunLlmUsage {
  /** Every leaf LLM call in the trace (also those under no node run's span). */
  readonly run: LlmUsage;
  /** One per node run, in the order of the `nodeRuns` given. */
  readonly nodeRuns: readonly LlmUsage[];
}

/** The model a call is priced by when it names none. */
export const NO_MODEL = "(no model recorded)";

const INPUT_KEYS = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens"];
const OUTPUT_KEYS = ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens"];
const MODEL_KEYS = ["gen_ai.response.model", "gen_ai.request.model", "llm.response.model", "llm.request.model"];
const TOTAL_KEYS = ["gen_ai.usage.total_tokens", "llm.usage.total_tokens"];

/**
 * Every attribute key that can make a span an LLM call ({@link isLlmCallSpan}): the index reads
 * only these spans' attributes when it counts calls.
 */
export const LLM_CALL_KEYS: readonly string[] = [...INPUT_KEYS, ...OUTPUT_KEYS, ...TOTAL_KEYS, ...MODEL_KEYS];

function tokens(attributes: Readonly<Record<string, unknown>>, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = attributes[k];
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) return n;
  }
  return undefined;
}

function model(attributes: Readonly<Record<string, unknown>>): string | undefined {
  for (const k of MODEL_KEYS) {
    const v = attributes[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return undefined;
}

/** True for a span of an LLM call: it records token usage or a model under `gen_ai.*` or `llm.*`. */
export function isLlmCallSpan(span: Pick<UsageSpan, "attributes">): boolean {
  const a = span.attributes;
  return (
    tokens(a, INPUT_KEYS) !== undefined ||
    tokens(a, OUTPUT_KEYS) !== undefined ||
    tokens(a, TOTAL_KEYS) !== undefined ||
    model(a) !== undefined
  );
}

/** One call's figures. */
export interface LlmCall {
  readonly spanId: string;
  readonly model: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD; null when its model has no price and it used tokens. */
  readonly costUsd: number | null;
}

/** The figures of one LLM span, priced with `prices`. */
export function llmCall(span: UsageSpan, prices: PriceTable = DEFAULT_PRICES): LlmCall {
  const inputTokens = tokens(span.attributes, INPUT_KEYS) ?? 0;
  const outputTokens = tokens(span.attributes, OUTPUT_KEYS) ?? 0;
  const name = model(span.attributes);
  const price = name === undefined ? undefined : priceOf(name, prices);
  const costUsd =
    inputTokens === 0 && outputTokens === 0
      ? 0
      : price === undefined
        ? null
        : (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
  return { spanId: span.spanId, model: name, inputTokens, outputTokens, costUsd };
}

class Acc {
  calls = 0;
  inputTokens = 0;
  outputTokens = 0;
  cost = 0;
  unpriced: Set<string> | undefined;

  add(call: LlmCall): void {
    this.calls++;
    this.inputTokens += call.inputTokens;
    this.outputTokens += call.outputTokens;
    if (call.costUsd === null) (this.unpriced ??= new Set()).add(call.model ?? NO_MODEL);
    else this.cost += call.costUsd;
  }

  usage(): LlmUsage {
    const base = { calls: this.calls, inputTokens: this.inputTokens, outputTokens: this.outputTokens };
    return this.unpriced === undefined
      ? { ...base, costUsd: this.cost }
      : { ...base, costUsd: null, unpricedModels: [...this.unpriced].sort() };
  }
}

/** No calls. */
export const NO_LLM_USAGE: LlmUsage = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** A leaf LLM call of a trace and the node run it belongs to. */
export interface AttributedCall {
  readonly call: LlmCall;
  /** The index (in the `nodeRuns` given) of the node run whose span is its nearest ancestor, if any. */
  readonly nodeRun: number | undefined;
}

/**
 * The leaf LLM calls of a trace (each span id once), each with the node run it belongs to. A span
 * whose parent chain loops (a broken exporter) is walked once.
 */
export function llmCalls(
  nodeRuns: readonly UsageNodeRun[],
  spans: readonly UsageSpan[],
  prices: PriceTable = DEFAULT_PRICES,
): AttributedCall[] {
  const byId = new Map<string, UsageSpan>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const llmSpans = [...byId.values()].filter(isLlmCallSpan);
  // Every span with an LLM span below it is no leaf.
  const hasLlmBelow = new Set<string>();
  for (const s of llmSpans) {
    const seen = new Set<string>([s.spanId]);
    let parent = s.parentSpanId;
    while (parent !== undefined && !seen.has(parent)) {
      seen.add(parent);
      if (hasLlmBelow.has(parent)) break;
      hasLlmBelow.add(parent);
      parent = byId.get(parent)?.parentSpanId;
    }
  }
  const nodeRunIndex = new Map<string, number>();
  nodeRuns.forEach((r, i) => {
    if (r.spanId !== undefined && !nodeRunIndex.has(r.spanId)) nodeRunIndex.set(r.spanId, i);
  });
  const out: AttributedCall[] = [];
  for (const s of llmSpans) {
    if (hasLlmBelow.has(s.spanId)) continue;
    // The nearest ancestor (or the span itself) that is a node run's span.
    const seen = new Set<string>();
    let at: string | undefined = s.spanId;
    let nodeRun: number | undefined;
    while (at !== undefined && !seen.has(at)) {
      seen.add(at);
      nodeRun = nodeRunIndex.get(at);
      if (nodeRun !== undefined) break;
      at = byId.get(at)?.parentSpanId;
    }
    out.push({ call: llmCall(s, prices), nodeRun });
  }
  return out;
}

/**
 * Counts and prices the leaf LLM calls of a trace, per node run and for the run (see {@link llmCalls}).
 */
export function runLlmUsage(
  nodeRuns: readonly UsageNodeRun[],
  spans: readonly UsageSpan[],
  prices: PriceTable = DEFAULT_PRICES,
): RunLlmUsage {
  const total = new Acc();
  const perNodeRun = new Map<number, Acc>();
  for (const { call, nodeRun } of llmCalls(nodeRuns, spans, prices)) {
    total.add(call);
    if (nodeRun === undefined) continue;
    let acc = perNodeRun.get(nodeRun);
    if (acc === undefined) perNodeRun.set(nodeRun, (acc = new Acc()));
    acc.add(call);
  }
  return {
    run: total.usage(),
    nodeRuns: nodeRuns.map((_, i) => perNodeRun.get(i)?.usage() ?? NO_LLM_USAGE),
  };
}

/** A model's calls and tokens, as the index keeps them per run, node run and day (priced when read). */
export interface ModelTokens {
  /** The model, {@link NO_MODEL} for calls that name none. */
  readonly model: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Calls grouped by model (the index's stored form: prices are applied when read, with the server's table). */
export function tokensByModel(calls: Iterable<LlmCall>): ModelTokens[] {
  const byModel = new Map<string, { model: string; calls: number; inputTokens: number; outputTokens: number }>();
  for (const call of calls) {
    const model = call.model ?? NO_MODEL;
    let row = byModel.get(model);
    if (row === undefined) byModel.set(model, (row = { model, calls: 0, inputTokens: 0, outputTokens: 0 }));
    row.calls++;
    row.inputTokens += call.inputTokens;
    row.outputTokens += call.outputTokens;
  }
  return [...byModel.values()];
}

/**
 * Prices per-model figures into one {@link LlmUsage}, as if each call had been priced alone: a model
 * without a price makes `costUsd` null (and is listed) when it used tokens; {@link NO_MODEL} has none.
 */
export function priceTokens(rows: Iterable<ModelTokens>, prices: PriceTable = DEFAULT_PRICES): LlmUsage {
  const acc = new Acc();
  for (const row of rows) {
    const price = row.model === NO_MODEL ? undefined : priceOf(row.model, prices);
    const used = row.inputTokens > 0 || row.outputTokens > 0;
    acc.calls += row.calls;
    acc.inputTokens += row.inputTokens;
    acc.outputTokens += row.outputTokens;
    if (!used) continue;
    if (price === undefined) (acc.unpriced ??= new Set()).add(row.model);
    else acc.cost += (row.inputTokens * price.input + row.outputTokens * price.output) / 1_000_000;
  }
  return acc.usage();
}
