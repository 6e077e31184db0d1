import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UiError } from "./errors.js";
import { DEFAULT_PRICES, loadPrices, parsePrices, PRICES_DATE, priceOf } from "./prices.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hamilton-ts-ui-prices-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function thrown(f: () => unknown): UiError {
  try {
    f();
  } catch (error) {
    if (UiError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a UiError");
}

describe("priceOf", () => {
  it("takes an exact name first, then the longest prefix ending in *", () => {
    expect(priceOf("gpt-4o-mini")).toEqual({ input: 0.15, output: 0.6 });
    // A dated snapshot of gpt-4o-mini: its own prefix, not gpt-4o*'s.
    expect(priceOf("gpt-4o-mini-2024-07-18")).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf("gpt-4o-2024-08-06")).toEqual({ input: 2.5, output: 10 });
    // An exact entry beats every prefix.
    expect(priceOf("gpt-4o-2024-05-13")).toEqual({ input: 5, output: 15 });
    expect(priceOf("claude-3-5-haiku-20241022")).toEqual({ input: 0.8, output: 4 });
    expect(priceOf("gemini-2.5-flash-lite")).toEqual({ input: 0.1, output: 0.4 });
    expect(priceOf("gemini-2.5-flash-001")).toEqual({ input: 0.3, output: 2.5 });
  });

  it("tries a provider-prefixed name without its prefix, and prices no unknown model", () => {
    expect(priceOf("models/gemini-1.5-pro-002")).toEqual({ input: 1.25, output: 5 });
    expect(priceOf("my-local-llama")).toBeUndefined();
    expect(priceOf("gpt-4")).toEqual({ input: 30, output: 60 });
    // `gpt-4` is exact only: a later gpt-4 snapshot is not guessed.
    expect(priceOf("gpt-4-0125-preview")).toBeUndefined();
  });

  it("ships a dated table", () => {
    expect(PRICES_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(DEFAULT_PRICES).length).toBeGreaterThan(20);
  });
});

describe("parsePrices and loadPrices", () => {
  it("extends and overrides the shipped table with the user's file", async () => {
    const path = join(dir, "prices.json");
    await writeFile(
      path,
      JSON.stringify({ "gpt-4o-mini*": { input: 1, output: 2 }, "my-llama*": { input: 0, output: 0.5 } }),
    );
    const table = await loadPrices(path);
    expect(priceOf("gpt-4o-mini-2024-07-18", table)).toEqual({ input: 1, output: 2 });
    expect(priceOf("my-llama-3b", table)).toEqual({ input: 0, output: 0.5 });
    expect(priceOf("claude-3-haiku-20240307", table)).toEqual({ input: 0.25, output: 1.25 });
  });

  it("says which file and entry is wrong, and how to write it", async () => {
    const missing = await loadPrices(join(dir, "nope.json")).catch((e: unknown) => e as UiError);
    expect(missing.code).toBe("INVALID_OPTION");
    expect(missing.message).toContain("nope.json could not be read (ENOENT)");
    expect(missing.message).toContain('"input": 0.5');

    expect(thrown(() => parsePrices("{", "p.json")).message).toMatch(/^The price table p\.json is not JSON \(/);
    expect(thrown(() => parsePrices("[]", "p.json")).message).toContain("p.json is an array");
    expect(thrown(() => parsePrices('{ "m": 3 }', "p.json")).message).toContain(
      'p.json gives "m" 3, not an { input, output } object',
    );
    expect(thrown(() => parsePrices('{ "m": { "input": -1, "output": 1 } }', "p.json")).message).toContain(
      'gives "m" input -1: it must be a number ≥ 0 (USD per 1M input tokens)',
    );
    expect(thrown(() => parsePrices('{ "m": { "input": 1 } }', "p.json")).message).toContain(
      'gives "m" output no value',
    );
    expect(thrown(() => parsePrices('{ "m": { "input": "1", "output": 1 } }', "p.json")).message).toContain(
      'gives "m" input "1"',
    );
    expect(thrown(() => parsePrices('{ " ": { "input": 1, "output": 1 } }', "p.json")).message).toContain(
      "empty model name",
    );
  });
});
