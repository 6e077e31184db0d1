/**
 * Type tests: checked by `tsc -p tsconfig.test.json` (part of `pnpm test`). Each
 * `@ts-expect-error` is a case that must NOT compile; tsc fails if it does.
 */
import { expectTypeOf } from "vitest";
import { Builder } from "./builder.js";
import { collect, extractFields, inject, parallelize, parameterize, source, value } from "./bindings.js";
import { checkOutput } from "./check-output.js";
import { cache, configWhen, configWhenIn, configWhenNot, configWhenNotIn, node, tag } from "./modifiers.js";
import { subdag } from "./subdag.js";
import type { NodeContext } from "./modifiers.js";
// @ts-expect-error The builder's state is internal: the package does not export its type.
import type { BuilderState } from "./index.js";

interface Client {
  complete(prompt: string): Promise<string>;
}

const dataflow = {
  llmClient: (): Client => ({ complete: async (p) => p }),
  universalTruth: async ({ llmClient, model = "gpt-4o-mini" }: { llmClient: Client; model?: string }) =>
    llmClient.complete(model),
  wordCount: ({ universalTruth }: { universalTruth: string }) => universalTruth.split(" ").length,
  report: ({ wordCount, title }: { wordCount: number; title: string }) => ({ title, wordCount }),
  withContext: (_: unknown, ctx: NodeContext) => ctx.runId,
  _helper: () => "not a node",
  VERSION: "1.0",
};

const dr = new Builder().withModules(dataflow).build();

// Outputs are typed, promises unwrapped, and only the requested keys come back.
async function outputs() {
  const out = await dr.execute(["universalTruth", "report"], { inputs: { title: "t" } });
  expectTypeOf(out).toEqualTypeOf<{ universalTruth: string; report: { title: string; wordCount: number } }>();
  const one = await dr.execute(["wordCount"]);
  expectTypeOf(one).toEqualTypeOf<{ wordCount: number }>();
  // External inputs can be requested too, with their types.
  const input = await dr.execute(["title", "model"]);
  expectTypeOf(input).toEqualTypeOf<{ title: string; model: string }>();
  const ctx = await dr.execute(["withContext"]);
  expectTypeOf(ctx.withContext).toBeString();
}

// Unknown names, `_` helpers and non-function exports are not accepted.
async function unknownNames() {
  // @ts-expect-error — misspelt output
  await dr.execute(["univrsalTruth"]);
  // @ts-expect-error — `_` exports are not nodes
  await dr.execute(["_helper"]);
  // @ts-expect-error — non-function exports are not nodes
  await dr.execute(["VERSION"]);
}

// Inputs and overrides are typed.
async function inputsAndOverrides() {
  await dr.execute(["report"], { inputs: { title: "ok", model: "o3" } });
  // @ts-expect-error — title is a string
  await dr.execute(["report"], { inputs: { title: 42 } });
  await dr.execute(["report"], { overrides: { wordCount: 3 }, inputs: { title: "x" } });
  // @ts-expect-error — wordCount is a number
  await dr.execute(["report"], { overrides: { wordCount: "three" } });
}

// A producer whose output does not fit its consumer's parameter is a compile error.
function wiring() {
  new Builder().withModules({
    count: () => 3,
    label: ({ count }: { count: number }) => `n=${count}`,
  });
  new Builder().withModules(
    // @ts-expect-error — `count` produces a string but `label` needs a number
    {
      count: () => "three",
      label: ({ count }: { count: number }) => `n=${count}`,
    },
  );
  // Across modules and across withModules calls, too.
  new Builder()
    .withModules({ count: async () => "three" })
    // @ts-expect-error — `count` produces a string but `doubled` needs a number
    .withModules({ doubled: ({ count }: { count: number }) => count * 2 });
  // An optional parameter accepts the producer's type.
  new Builder().withModules({ model: () => "o3", answer: ({ model = "x" }: { model?: string }) => model });
}

// Modifiers keep the types: configWhen variants lose their suffix, node() and tag() keep the function's.
void configForms;
async function modifiers() {
  const d = new Builder()
    .withModules({
      model__fast: configWhen({ q: "fast" }, () => "gpt-4o-mini" as const),
      model__best: configWhen({ q: "best" }, () => "gpt-4o" as const),
      summary: node(["model"], (deps: { model: string }) => deps.model.length),
      tagged: tag({ owner: "me" }, ({ summary }: { summary: number }) => summary > 3),
    })
    .build();
  const out = await d.execute(["model", "summary", "tagged"]);
  expectTypeOf(out).toEqualTypeOf<{ model: "gpt-4o-mini" | "gpt-4o"; summary: number; tagged: boolean }>();
  // @ts-expect-error — the variant names are not nodes
  await d.execute(["model__fast"]);
}

// Hamilton's other config forms type like configWhen: the suffix is stripped, the in-forms take arrays.
async function configForms() {
  const d = new Builder()
    .withModules({
      cache__disk: configWhenNot({ env: "test" }, () => "disk" as const),
      cache__memory: configWhenIn({ env: ["test", "ci"] }, () => "memory" as const),
      limit__small: configWhenNotIn({ env: ["prod"] }, () => 1),
    })
    .build();
  const out = await d.execute(["cache", "limit"]);
  expectTypeOf(out).toEqualTypeOf<{ cache: "disk" | "memory"; limit: 1 }>();
  // @ts-expect-error — configWhenIn takes arrays of values
  configWhenIn({ env: "test" }, () => 1);
}

// Config values are inputs, typed from the config.
async function config() {
  const d = new Builder()
    .withModules({ greeting: ({ name, excited }: { name: string; excited: boolean }) => (excited ? `${name}!` : name) })
    .withConfig({ excited: true })
    .build();
  const out = await d.execute(["greeting", "excited"], { inputs: { name: "ada" } });
  expectTypeOf(out).toEqualTypeOf<{ greeting: string; excited: boolean }>();
  new Builder()
    .withConfig({ excited: "yes" })
    // @ts-expect-error — config `excited` is a string but `greeting` needs a boolean
    .withModules({ greeting: ({ excited }: { excited: boolean }) => excited });
}

// extractFields: one typed node per field.
async function fields() {
  const d = new Builder()
    .withModules({
      stats: extractFields(["mean", "label"], ({ xs }: { xs: number[] }) => ({
        mean: xs[0] ?? 0,
        label: "x",
        extra: true,
      })),
      doubled: ({ mean }: { mean: number }) => mean * 2,
    })
    .build();
  const out = await d.execute(["mean", "label", "doubled"]);
  expectTypeOf(out).toEqualTypeOf<{ mean: number; label: string; doubled: number }>();
  // @ts-expect-error — "extra" was not extracted
  await d.execute(["extra"]);
  new Builder().withModules(
    // @ts-expect-error — field `label` is a string, `shout` needs a number
    { stats: extractFields(["label"], () => ({ label: "x" })), shout: ({ label }: { label: number }) => label },
  );
}

// parameterize and inject: variant names are nodes; sources are dependencies, checked like any other.
async function bindings() {
  const d = new Builder()
    .withModules({
      userName: () => "Bob",
      greet: parameterize(
        { helloAlice: { name: value("Alice") }, helloUser: { name: source("userName") } },
        ({ name, word = "Hello" }: { name: string; word?: string }) => `${word}, ${name}`,
      ),
      loud: inject({ text: source("helloUser") }, ({ text }: { text: string }) => text.toUpperCase()),
    })
    .build();
  const out = await d.execute(["helloAlice", "helloUser", "loud"]);
  expectTypeOf(out).toEqualTypeOf<{ helloAlice: string; helloUser: string; loud: string }>();
  // @ts-expect-error — the parameterized export itself is not a node
  await d.execute(["greet"]);
  // @ts-expect-error — `count` (a number) is bound to `text`, which needs a string
  new Builder().withModules({
    count: () => 3,
    loud: inject({ text: source("count") }, ({ text }: { text: string }) => text.toUpperCase()),
  });
}

// parallelize / collect: per-item consumers see one item; collect sees arrays.
async function fanOut() {
  const d = new Builder()
    .withModules({
      url: parallelize(({ urls }: { urls: string[] }) => urls),
      size: ({ url }: { url: string }) => url.length,
      sizes: collect(({ size }: { size: number[] }) => size),
    })
    .build();
  const out = await d.execute(["sizes"], { inputs: { urls: ["a"] } });
  expectTypeOf(out).toEqualTypeOf<{ sizes: number[] }>();
  // @ts-expect-error — items are strings, not numbers
  new Builder().withModules({
    url: parallelize(({ urls }: { urls: string[] }) => urls),
    size: ({ url }: { url: number }) => url,
  });
  // @ts-expect-error — per-item `size` values are numbers
  new Builder().withModules({
    url: parallelize(({ urls }: { urls: string[] }) => urls),
    size: ({ url }: { url: string }) => url.length,
    sizes: collect(({ size }: { size: string[] }) => size),
  });
}

// checkOutput keeps the function's type; subdag nodes are namespaced.
async function checksAndSubdags() {
  const inner = {
    words: ({ text }: { text: string }) => text.split(" "),
    count: ({ words }: { words: string[] }) => words.length,
  };
  const d = new Builder()
    .withModules({
      checked: checkOutput(
        (n: number) => n > 0,
        () => 5,
      ),
      article: subdag([inner], { inputs: { text: value("a b") } }, ({ count }: { count: number }) => count > 1),
      other: subdag([inner], { namespace: "ns", inputs: { text: value("c") } }),
    })
    .build();
  const out = await d.execute(["checked", "article", "article.count", "ns.words"]);
  expectTypeOf(out).toEqualTypeOf<{
    checked: number;
    article: boolean;
    "article.count": number;
    "ns.words": string[];
  }>();
  // @ts-expect-error — a subdag without a final function is not a node itself
  await d.execute(["other"]);
}

void fields;
void bindings;
void fanOut;
void checksAndSubdags;
void config;
void outputs;
void unknownNames;
void inputsAndOverrides;
void wiring;
void modifiers;

// The builder's constructor takes no state: everything goes through the checked with* methods.
// @ts-expect-error
new Builder({ modules: [], maxConcurrency: 0 });
expectTypeOf<BuilderState>().toBeAny();

// Caching keeps every type: withCache returns the same builder, cache(...) the same function.
{
  const cached = new Builder()
    .withModules({ ...dataflow, llmClient: cache({ behavior: "ignore" }, dataflow.llmClient) })
    .withCache({ nodes: { wordCount: "recompute" } })
    .build();
  expectTypeOf(cached.execute(["wordCount"], { inputs: {} })).resolves.toEqualTypeOf<{ wordCount: number }>();
  expectTypeOf(cache({ behavior: "recompute" }, dataflow.wordCount)).toEqualTypeOf(dataflow.wordCount);
  // @ts-expect-error Not one of Hamilton's four behaviours.
  cache({ behavior: "sometimes" }, dataflow.wordCount);
  // @ts-expect-error Nor by name.
  new Builder().withCache({ nodes: { wordCount: "never" } });
}
