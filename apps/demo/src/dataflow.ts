/**
 * The demo's dataflow. Every exported function is a node: its name is the value it produces, the
 * names in its destructured parameter are the values it needs.
 *
 * ```text
 * openaiBaseUrl ─► llmClient ─┬─► universalTruth ─► cssSnippet ─┐
 *                             ├─► haiku ─────────────────────────┤
 *                             ├─► joke (streamed) ───────────────┼─► digest
 * followUpQuestions ─► followUpQuestion[i] ─► followUpAnswer[i] ─► followUpAnswers
 * ```
 *
 * The LLM nodes run concurrently once `llmClient` exists, and the follow-up answers fan out, one
 * LLM call per question. Nodes are plain functions: test them by calling them.
 */
import { collect, parallelize } from "@hamilton-ts/core";
import type { NodeContext } from "@hamilton-ts/core";
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import {
  FOLLOW_UP_QUESTIONS,
  HAIKU_PROMPT,
  JOKE_PROMPT,
  ORACLE_SYSTEM_PROMPT,
  UNIVERSAL_TRUTH_PROMPT,
} from "./prompts.js";

/** The model every LLM node uses unless the run gets a `model` input. */
export const DEFAULT_MODEL = "gpt-4o-mini";

/**
 * The API key the client sends when `OPENAI_API_KEY` is not set: the demo's local server accepts
 * any key, and the `openai` client refuses to start without one.
 */
export const LOCAL_API_KEY = "local-demo-key";

/** One question and the model's answer to it. */
export interface FollowUp {
  readonly question: string;
  readonly answer: string;
}

/**
 * The seed's `llmClient`: an `openai` client for `openaiBaseUrl`. The key comes from
 * `OPENAI_API_KEY` (read here, not passed as an input, so trackers that record a run's inputs never
 * see it).
 */
export function llmClient({ openaiBaseUrl }: { openaiBaseUrl: string }): OpenAI {
  return new OpenAI({ baseURL: openaiBaseUrl, apiKey: process.env.OPENAI_API_KEY || LOCAL_API_KEY });
}

/** The seed's `universalTruth`: one chat completion, the oracle's answer to the HTML question. */
export async function universalTruth(
  { llmClient, model = DEFAULT_MODEL }: { llmClient: OpenAI; model?: string },
  ctx?: NodeContext,
): Promise<string> {
  return chat(
    llmClient,
    model,
    [
      { role: "system", content: ORACLE_SYSTEM_PROMPT },
      { role: "user", content: UNIVERSAL_TRUTH_PROMPT },
    ],
    ctx?.signal,
  );
}

/** The CSS code block of the oracle's answer (the whole answer when it has none). Plain code. */
export function cssSnippet({ universalTruth }: { universalTruth: string }): string {
  const block = /```(?:css)?\n([\s\S]*?)```/.exec(universalTruth);
  return (block?.[1] ?? universalTruth).trim();
}

/** A haiku, asked for concurrently with the other LLM nodes. */
export async function haiku(
  { llmClient, model = DEFAULT_MODEL }: { llmClient: OpenAI; model?: string },
  ctx?: NodeContext,
): Promise<string> {
  return chat(llmClient, model, [{ role: "user", content: HAIKU_PROMPT }], ctx?.signal);
}

/** A joke, streamed: the answer arrives chunk by chunk and is joined here. */
export async function joke(
  { llmClient, model = DEFAULT_MODEL }: { llmClient: OpenAI; model?: string },
  ctx?: NodeContext,
): Promise<string> {
  const stream = await llmClient.chat.completions.create(
    { model, stream: true, messages: [{ role: "user", content: JOKE_PROMPT }] },
    { signal: ctx?.signal },
  );
  let text = "";
  // Read the stream to its end: an abandoned stream never ends its OpenTelemetry span.
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  return text.trim();
}

/** The questions the fan-out asks. */
export function followUpQuestions(): string[] {
  return [...FOLLOW_UP_QUESTIONS];
}

/** Fans out: the nodes below run once per question, concurrently. */
export const followUpQuestion = parallelize(
  ({ followUpQuestions }: { followUpQuestions: string[] }) => followUpQuestions,
);

/** One question and its answer (runs once per question, as its own node run and span). */
export async function followUpAnswer(
  {
    llmClient,
    followUpQuestion,
    model = DEFAULT_MODEL,
  }: { llmClient: OpenAI; followUpQuestion: string; model?: string },
  ctx?: NodeContext,
): Promise<FollowUp> {
  const answer = await chat(
    llmClient,
    model,
    [
      { role: "system", content: ORACLE_SYSTEM_PROMPT },
      { role: "user", content: followUpQuestion },
    ],
    ctx?.signal,
  );
  return { question: followUpQuestion, answer };
}

/** Gathers the fan-out: every question with its answer, in question order. */
export const followUpAnswers = collect(
  ({ followUpAnswer }: { followUpAnswer: FollowUp[] }): FollowUp[] => followUpAnswer,
);

/** The join: every answer in one short markdown digest. Plain code, no LLM. */
export function digest({
  cssSnippet,
  haiku,
  joke,
  followUpAnswers,
}: {
  cssSnippet: string;
  haiku: string;
  joke: string;
  followUpAnswers: FollowUp[];
}): string {
  return [
    "## Centering a <div>",
    "```css",
    cssSnippet,
    "```",
    "## A haiku",
    haiku,
    "## A joke",
    joke,
    "## Follow-up questions",
    ...followUpAnswers.map(({ question, answer }) => `- **${question}** ${firstSentence(answer)}`),
  ].join("\n");
}

async function chat(
  client: OpenAI,
  model: string,
  messages: ChatCompletionMessageParam[],
  signal: AbortSignal | undefined,
): Promise<string> {
  const reply = await client.chat.completions.create({ model, messages }, { signal });
  return reply.choices[0]?.message.content ?? "";
}

function firstSentence(text: string): string {
  const end = /[.!?](\s|$)/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}
