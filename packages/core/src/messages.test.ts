import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import { type HamiltonError, MissingInputsError } from "./errors.js";
import { configWhen, configWhenIn, configWhenNot, configWhenNotIn } from "./modifiers.js";

const missing = async (run: () => Promise<unknown>): Promise<MissingInputsError> => {
  const error = await run().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MissingInputsError);
  return error as MissingInputsError;
};

describe("did you mean", () => {
  it("suggests the node a misspelt dependency was meant to be", async () => {
    const dr = new Builder()
      .withModules({
        llmClient: () => ({ ask: (q: string) => q }),
        spendMean: () => 3,
        answer: ({ llmClinet }: { llmClinet: { ask(q: string): string } }) => llmClinet.ask("?"),
        report: ({ spend_mean }: { spend_mean: number }) => spend_mean,
      })
      .build();
    const one = await missing(() => dr.execute(["answer"] as never));
    expect(one.message).toContain('"llmClinet" (needed by "answer"; did you mean "llmClient"?)');
    expect(one.missing[0]!.didYouMean).toEqual(["llmClient"]);
    const python = await missing(() => dr.execute(["report"] as never));
    expect(python.message).toContain('did you mean "spendMean"?');
  });

  it("stays quiet for short names, where every name is close", async () => {
    const dr = new Builder().withModules({ a: () => 1, xy: () => 2, sum: ({ b }: { b: number }) => b }).build();
    const error = await missing(() => dr.execute(["sum"] as never));
    expect(error.message).not.toMatch(/did you mean/);
  });

  it("suggests outputs case- and _-insensitively", async () => {
    const dr = new Builder().withModules({ spendMean: () => 1 }).build();
    const error = await dr.execute(["spend_mean"] as never).catch((e: unknown) => e);
    expect((error as HamiltonError).code).toBe("UNKNOWN_OUTPUTS");
    expect((error as Error).message).toContain('"spend_mean" (did you mean "spendMean"?)');
    const short = await dr.execute(["x"] as never).catch((e: unknown) => e);
    expect((short as Error).message).not.toMatch(/did you mean/);
  });
});

describe("config variants", () => {
  const variants = {
    rawText__txt: configWhen({ format: "txt" }, ({ path }: { path: string }) => `txt:${path}`),
    rawText__md: configWhen({ format: ["md", "markdown"] }, ({ path }: { path: string }) => `md:${path}`),
    summary: ({ rawText }: { rawText: string }) => rawText.toUpperCase(),
  };

  it("name the variants and their conditions when none matches the config", async () => {
    const dr = new Builder().withModules(variants).withConfig({ format: "pdf" }).build();
    const error = await missing(() => dr.execute(["summary"] as never, { inputs: { path: "a" } }));
    expect(error.message).toContain(
      '"rawText" (needed by "summary"; it is a node whose configWhen variants all decline the config: ' +
        '"rawText__txt" (when format = "txt"), "rawText__md" (when format in ["md", "markdown"]). ' +
        'Set the config so that one matches, or pass "rawText" as an input)',
    );
    // The value may still come as an input.
    expect(await dr.execute(["summary"] as never, { inputs: { rawText: "given" } })).toEqual({ summary: "GIVEN" });
  });

  it("support Hamilton's when_not, when_in and when_not_in", async () => {
    const mod = {
      model__small: configWhenNotIn({ quality: ["best", "max"] }, () => "small"),
      model__big: configWhenIn({ quality: ["best", "max"] }, () => "big"),
      cache__disk: configWhenNot({ env: "test" }, () => "disk"),
      cache__memory: configWhen({ env: "test" }, () => "memory"),
      both: ({ model, cache }: { model: string; cache: string }) => `${model}+${cache}`,
    };
    const run = (config: Record<string, unknown>) =>
      new Builder().withModules(mod).withConfig(config).build().execute(["both"]);
    expect(await run({ quality: "best", env: "test" })).toEqual({ both: "big+memory" });
    expect(await run({ quality: "fast", env: "prod" })).toEqual({ both: "small+disk" });
    expect(await run({ quality: "max" })).toEqual({ both: "big+disk" }); // an absent key differs from any value
  });

  it("check their arguments", () => {
    expect(() => configWhenIn({ quality: "best" } as never, () => 1)).toThrow(
      /the value of "quality" must be an array of values.*use configWhen/,
    );
    expect(() => configWhenNot((() => true) as never, () => 1)).toThrow(
      /configWhenNot\(conditions, fn\): conditions must be an object/,
    );
    expect(() => configWhenNotIn({ a: [1] }, 42 as never)).toThrow(/expects a function/);
  });
});

describe("Driver.visualize", () => {
  it("draws the whole dataflow without any inputs", () => {
    const dr = new Builder()
      .withModules({
        item: parallelize(({ urls }: { urls: string[] }) => urls),
        page: ({ item }: { item: string }) => item,
        pages: collect(({ page }: { page: string[] }) => page),
        count: ({ pages }: { pages: string[] }) => pages.length,
        unrelated: ({ other }: { other: number }) => other,
      })
      .build();
    const mermaid = dr.visualize();
    for (const line of [
      'n_urls(["urls"]):::input',
      'n_other(["other"]):::input',
      'n_item[/"item"/]:::expand',
      'n_page["page"]:::perItem',
      'n_pages[\\"pages"\\]:::collect',
      'n_count["count"]',
      'n_unrelated["unrelated"]',
      "n_urls --> n_item",
      "n_pages --> n_count",
      "n_other --> n_unrelated",
    ]) {
      expect(mermaid).toContain(line);
    }
    const dot = dr.visualize({ format: "dot" });
    expect(dot).toMatch(/^digraph hamilton \{/);
    expect(dot).toContain('"pages" -> "count";');
    expect(() => dr.visualize({ format: "svg" as never })).toThrow(/visualize: format must be "mermaid" or "dot"/);
  });
});
