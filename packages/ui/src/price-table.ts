/**
 * The LLM price table shipped with the package and its lookup. Pure (no I/O), so the page bundles
 * it too: the run page prices a run's calls itself when the read API's answer carries no `llm`.
 * Reading a user's own table from a file is `prices.ts`.
 */

/** What a model costs, in US dollars per 1,000,000 tokens. */
export interface ModelPrice {
  /** Per 1M input (prompt) tokens. */
  readonly input: number;
  /** Per 1M output (completion) tokens. */
  readonly output: number;
}

/**
 * Model name → price. A key is a model name (matched exactly), or a prefix ending in `*`
 * (`gpt-4o-mini*` also prices `gpt-4o-mini-2024-07-18`); see {@link priceOf}.
 */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** The date the shipped table's prices were taken from the providers' pricing pages. */
export const PRICES_DATE = "2025-11-30";

/**
 * The shipped table: public list prices (standard tier, text tokens, no batch or cache discounts;
 * for Gemini Pro the price of prompts up to 200k tokens) of common OpenAI, Anthropic and Google
 * models, in USD per 1M tokens, as published on openai.com/api/pricing,
 * anthropic.com/pricing and ai.google.dev/gemini-api/docs/pricing on {@link PRICES_DATE}. Prices
 * change: a user's table (`loadPrices`) extends and overrides this one.
 */
export const DEFAULT_PRICES: PriceTable = {
  // OpenAI
  "gpt-5*": { input: 1.25, output: 10 },
  "gpt-5-mini*": { input: 0.25, output: 2 },
  "gpt-5-nano*": { input: 0.05, output: 0.4 },
  "gpt-4.1*": { input: 2, output: 8 },
  "gpt-4.1-mini*": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano*": { input: 0.1, output: 0.4 },
  "gpt-4o*": { input: 2.5, output: 10 },
  "gpt-4o-2024-05-13": { input: 5, output: 15 },
  "gpt-4o-mini*": { input: 0.15, output: 0.6 },
  "gpt-4-turbo*": { input: 10, output: 30 },
  "gpt-4": { input: 30, output: 60 },
  "gpt-4-0613": { input: 30, output: 60 },
  "gpt-3.5-turbo*": { input: 0.5, output: 1.5 },
  "o1*": { input: 15, output: 60 },
  "o1-mini*": { input: 1.1, output: 4.4 },
  "o3*": { input: 2, output: 8 },
  "o3-mini*": { input: 1.1, output: 4.4 },
  "o4-mini*": { input: 1.1, output: 4.4 },
  "text-embedding-3-small": { input: 0.02, output: 0 },
  "text-embedding-3-large": { input: 0.13, output: 0 },
  "text-embedding-ada-002": { input: 0.1, output: 0 },
  // Anthropic
  "claude-opus-4-5*": { input: 5, output: 25 },
  "claude-opus-4-1*": { input: 15, output: 75 },
  "claude-opus-4*": { input: 15, output: 75 },
  "claude-sonnet-4*": { input: 3, output: 15 },
  "claude-haiku-4-5*": { input: 1, output: 5 },
  "claude-3-7-sonnet*": { input: 3, output: 15 },
  "claude-3-5-sonnet*": { input: 3, output: 15 },
  "claude-3-5-haiku*": { input: 0.8, output: 4 },
  "claude-3-opus*": { input: 15, output: 75 },
  "claude-3-haiku*": { input: 0.25, output: 1.25 },
  // Google
  "gemini-2.5-pro*": { input: 1.25, output: 10 },
  "gemini-2.5-flash*": { input: 0.3, output: 2.5 },
  "gemini-2.5-flash-lite*": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash*": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash-lite*": { input: 0.075, output: 0.3 },
  "gemini-1.5-pro*": { input: 1.25, output: 5 },
  "gemini-1.5-flash*": { input: 0.075, output: 0.3 },
};

/**
 * The price of a model: its exact name's entry first, then the longest key ending in `*` whose
 * text before the `*` starts the name; undefined when none matches. A provider's prefix such as
 * `models/` (Gemini) or `openai/` is tried without it when the whole name has no price.
 */
export function priceOf(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  const found = lookup(model, table);
  if (found !== undefined) return found;
  const slash = model.lastIndexOf("/");
  return slash >= 0 ? lookup(model.slice(slash + 1), table) : undefined;
}

function lookup(model: string, table: PriceTable): ModelPrice | undefined {
  if (Object.hasOwn(table, model) && !model.endsWith("*")) return table[model];
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (!key.endsWith("*")) continue;
    const prefix = key.slice(0, -1);
    if (model.startsWith(prefix) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : table[best];
}
