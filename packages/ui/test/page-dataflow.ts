/**
 * A small demo-like dataflow for the browser tests: an LLM call through the real `openai` client
 * (to a local OpenAI-compatible server), a fan-out, numbers with statistics, and a string that
 * holds HTML.
 */
import { collect, parallelize } from "@hamilton-ts/core";
import OpenAI from "openai";

/** The client, from the run's input. */
export function llm({ openaiBaseUrl }: { openaiBaseUrl: string }): OpenAI {
  return new OpenAI({ baseURL: openaiBaseUrl, apiKey: "local-test-key" });
}

/** Two hundred numbers: a numeric summary with statistics and a histogram. */
export function measurements(): number[] {
  return Array.from({ length: 200 }, (_, i) => (i * 37) % 101);
}

/** A question for the model. */
export function question(): string {
  return "What is the answer to everything?";
}

/** One chat completion: Traceloop's instrumentation makes its span under this node's span. */
export async function answer({ llm, question }: { llm: OpenAI; question: string }): Promise<string> {
  const completion = await llm.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: question }],
  });
  return completion.choices[0]?.message.content ?? "";
}

/** Markup from running code: must be shown as text. */
export function markup(): string {
  return '<img src=x onerror="window.__pwned=1">';
}

/** The items of the fan-out. */
export function words(): string[] {
  return ["alpha", "beta", "gamma"];
}

/** Fans out over the words. */
export const word = parallelize(({ words }: { words: string[] }) => words);

/** Runs once per word. */
export function shout({ word }: { word: string }): string {
  return word.toUpperCase();
}

/** Gathers the fan-out. */
export const shouts = collect(({ shout }: { shout: string[] }): string[] => shout);

/** Everything together. */
export function report({
  answer,
  shouts,
  measurements,
}: {
  answer: string;
  shouts: string[];
  measurements: number[];
}): string {
  return `${answer.length} ${shouts.join(",")} ${measurements.length}`;
}
