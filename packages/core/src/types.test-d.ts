/**
 * Type tests: checked by `tsc -p tsconfig.test.json` (part of `pnpm test`). Each
 * `@ts-expect-error` is a case that must NOT compile; tsc fails if it does.
 */
import { expectTypeOf } from "vitest";
import { Builder } from "./driver.js";
import { configWhen, node, tag } from "./modifiers.js";
import type { NodeContext } from "./modifiers.js";

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

void config;
void outputs;
void unknownNames;
void inputsAndOverrides;
void wiring;
void modifiers;
