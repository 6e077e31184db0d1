/**
 * LLM prices: the table shipped with the package (`price-table.ts`) and a user's own table, a JSON
 * file `{ "<model>": { "input": <usd>, "output": <usd> } }` (USD per 1M tokens) that extends and
 * overrides it (`hamilton-ts-ui --prices prices.json`, `startUi({ prices })`).
 */
import { readFile } from "node:fs/promises";
import { UiError } from "./errors.js";
import { DEFAULT_PRICES, type ModelPrice, type PriceTable } from "./price-table.js";

export { DEFAULT_PRICES, type ModelPrice, PRICES_DATE, type PriceTable, priceOf } from "./price-table.js";

const EXAMPLE = '{ "my-model": { "input": 0.5, "output": 1.5 } } (USD per 1M tokens)';

function bad(where: string, what: string): UiError {
  return new UiError("INVALID_OPTION", `The price table ${where} ${what}. Expected a JSON object like ${EXAMPLE}.`);
}

/**
 * Reads a price table from JSON text: an object whose keys are model names (or prefixes ending in
 * `*`) and whose values are `{ input, output }`, finite numbers ≥ 0. `where` names the source in
 * errors (a file path). Throws a `UiError` (`INVALID_OPTION`) that says which entry is wrong.
 */
export function parsePrices(text: string, where: string): PriceTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw bad(where, `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw bad(where, `is ${Array.isArray(parsed) ? "an array" : parsed === null ? "null" : typeof parsed}`);
  }
  const out: Record<string, ModelPrice> = {};
  for (const [model, value] of Object.entries(parsed)) {
    if (model.trim() === "" || model === "*") throw bad(where, `has an empty model name ${JSON.stringify(model)}`);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw bad(where, `gives ${JSON.stringify(model)} ${JSON.stringify(value)}, not an { input, output } object`);
    }
    const price = value as Record<string, unknown>;
    for (const side of ["input", "output"] as const) {
      const n = price[side];
      if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
        throw bad(
          where,
          `gives ${JSON.stringify(model)} ${side} ${n === undefined ? "no value" : JSON.stringify(n)}: it must be a number ≥ 0 (USD per 1M ${side} tokens)`,
        );
      }
    }
    out[model] = { input: price.input as number, output: price.output as number };
  }
  return out;
}

/** A table with `extra`'s entries added to `base`'s, an entry of `extra` replacing `base`'s of the same key. */
export function mergePrices(base: PriceTable, extra: PriceTable): PriceTable {
  return { ...base, ...extra };
}

/**
 * Reads a user's price table from a JSON file and returns the shipped table extended and
 * overridden by it. A missing or unreadable file, a file that is not JSON, or an entry that is not
 * `{ input, output }` with numbers ≥ 0 throws a `UiError` (`INVALID_OPTION`) naming the file and the entry.
 */
export async function loadPrices(path: string, base: PriceTable = DEFAULT_PRICES): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UiError(
      "INVALID_OPTION",
      `The price table ${path} could not be read (${code ?? String(error)}). Pass the path of a JSON file like ${EXAMPLE}.`,
      { cause: error },
    );
  }
  return mergePrices(base, parsePrices(text, path));
}
