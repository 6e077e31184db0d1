/**
 * The prompts the demo's LLM nodes send. Kept apart from the nodes so the local server's failure
 * switch (`DEMO_FAIL_LLM`) can recognise the seed's request without importing the dataflow.
 */

/** The seed example's system prompt (Hamilton's OpenLLMetry example, spelling fixed). */
export const ORACLE_SYSTEM_PROMPT = "You are a benevolent all-knowing being";

/** The seed example's question, asked by the `universalTruth` node. */
export const UNIVERSAL_TRUTH_PROMPT = "Please center my HTML <div> tag";

/** Asked by the `haiku` node. */
export const HAIKU_PROMPT = "Write a haiku about functions that trace themselves";

/** Asked by the `joke` node, which streams its answer. */
export const JOKE_PROMPT = "Tell me a joke about programmers";

/** The follow-up questions the `followUpQuestion` fan-out asks, one LLM call each. */
export const FOLLOW_UP_QUESTIONS: readonly string[] = [
  "Who was the first person to walk on the moon?",
  "What is the capital of France?",
  "What is the meaning of life?",
];
