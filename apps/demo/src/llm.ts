/**
 * The LLM the dataflow talks to: the real OpenAI API (with `OPENAI_API_KEY`), or a local
 * OpenAI-compatible server on 127.0.0.1 that the real `openai` client is pointed at.
 */
import { startLocalOpenAI } from "@hamilton-ts/local-openai";
import type { ChatCompletionRequest, InjectedFailure } from "@hamilton-ts/local-openai";
import type { LlmChoice } from "./config.js";
import { UNIVERSAL_TRUTH_PROMPT } from "./prompts.js";

/** A running LLM endpoint. */
export interface LlmEndpoint {
  /** The base URL for the `openai` client (ends with `/v1` for the local server). */
  readonly baseURL: string;
  /** One line saying which LLM answers. */
  readonly description: string;
  /** Stops the local server; nothing to do for the real API. */
  close(): Promise<void>;
}

/** The error the local server answers the seed's request with when `DEMO_FAIL_LLM` is on. */
export const SIMULATED_FAILURE: InjectedFailure = {
  status: 500,
  message: "The server had an error while processing your request. (Simulated by DEMO_FAIL_LLM.)",
};

/** Starts the local server when the configuration asks for it. */
export async function startLlm(choice: LlmChoice): Promise<LlmEndpoint> {
  if (choice.kind === "openai") {
    return { baseURL: choice.baseURL, description: `OpenAI API at ${choice.baseURL}`, close: async () => {} };
  }
  const server = await startLocalOpenAI({
    failWith: choice.fail ? (request) => (isUniversalTruthRequest(request) ? SIMULATED_FAILURE : undefined) : undefined,
  });
  const failing = choice.fail ? " that fails the universalTruth request (DEMO_FAIL_LLM)" : "";
  return {
    baseURL: server.baseURL,
    description: `local OpenAI-compatible server at ${server.baseURL}${failing}: no OPENAI_API_KEY set, so no network and no cost`,
    close: () => server.close(),
  };
}

function isUniversalTruthRequest(request: ChatCompletionRequest): boolean {
  return request.messages.some((m) => m.role === "user" && m.content === UNIVERSAL_TRUTH_PROMPT);
}
