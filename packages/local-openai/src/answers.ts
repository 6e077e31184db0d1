import { hashString, messageText } from "./tokens.js";
import type { ChatCompletionRequest } from "./types.js";

/**
 * A canned answer and the words that select it: the prompt must contain one word of every group.
 * A word ending with `*` matches any word it starts (`center*` matches `centering`).
 */
interface Topic {
  readonly when: readonly (readonly string[])[];
  readonly answer: string;
}

const TOPICS: readonly Topic[] = [
  {
    when: [
      ["center*", "centre*"],
      ["div*", "css", "html", "element*", "text", "image"],
    ],
    answer:
      "To center a `<div>` horizontally and vertically, make its parent a flex container:\n\n" +
      "```css\n.parent {\n  display: flex;\n  justify-content: center;\n  align-items: center;\n  min-height: 100vh;\n}\n```\n\n" +
      "With CSS Grid it is a one-liner: `display: grid; place-items: center;`. " +
      "For horizontal centering only, give the `<div>` a width and `margin: 0 auto;`.",
  },
  {
    when: [["meaning"], ["life", "universe", "everything"]],
    answer:
      "According to The Hitchhiker's Guide to the Galaxy, it is 42. A more useful answer: meaning is " +
      "something you make, through the people you care about, the work you find worthwhile, and " +
      "the curiosity that keeps you asking questions like this one.",
  },
  {
    when: [["moon"], ["first", "walk*", "land*"]],
    answer:
      "Neil Armstrong was the first person to walk on the Moon, on 20 July 1969, during NASA's " +
      "Apollo 11 mission. Buzz Aldrin followed him about twenty minutes later, while Michael " +
      "Collins orbited above in the command module.",
  },
  {
    when: [["capital"], ["france"]],
    answer: "The capital of France is Paris, which is also its largest city.",
  },
  {
    when: [["haiku*"]],
    answer: "Functions name their needs,\nthe graph draws itself in light —\nspans bloom, one by one.",
  },
  {
    when: [["joke*"]],
    answer: "Why do programmers prefer dark mode? Because light attracts bugs.",
  },
  {
    when: [["dataflow*", "hamilton", "dag", "dags"]],
    answer:
      "A dataflow written the Hamilton way is a set of plain functions: each function's name is the " +
      "value it produces, and its parameters name the values it needs. The framework builds the " +
      "graph from those names, runs only what the requested outputs depend on, and can trace every " +
      "step, which makes pipelines easy to test, reuse and observe.",
  },
  {
    when: [["opentelemetry", "otel", "tracing", "trace", "traces", "span", "spans"]],
    answer:
      "OpenTelemetry is a vendor-neutral standard for traces, metrics and logs. A trace is a tree of " +
      "spans: each span times one operation and records attributes about it, and any backend that " +
      "speaks OTLP can show you where the time went and what failed.",
  },
  {
    when: [["hello", "hi", "hey"]],
    answer: "Hello! I'm a local stand-in for an OpenAI model. How can I help you today?",
  },
  {
    when: [["weather"]],
    answer:
      "I can't look up live weather from here, but a quick check of your local weather service " +
      "will tell you whether to bring an umbrella.",
  },
];

/** Generic replies for prompts no topic matches; one is picked by a hash of the prompt. */
const FALLBACKS: readonly ((topic: string) => string)[] = [
  (t) =>
    `Here is a short take on "${t}": start with the simplest approach that works, check it against a concrete example, then refine it where the results fall short.`,
  (t) =>
    `Good question. For "${t}", the key is to break the problem into small steps, make each one easy to verify, and keep what you learn along the way.`,
  (t) =>
    `In short: "${t}" depends on your constraints. Write down what must be true at the end, try the most direct route first, and measure before you optimise.`,
];

/** The text of the last user message of a request (`""` when there is none). */
export function lastUserMessage(request: ChatCompletionRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role === "user") return messageText(message);
  }
  return "";
}

function hasWord(words: readonly string[], wanted: string): boolean {
  if (!wanted.endsWith("*")) return words.includes(wanted);
  const prefix = wanted.slice(0, -1);
  return words.some((w) => w.startsWith(prefix));
}

function matches(topic: Topic, words: readonly string[]): boolean {
  return topic.when.every((group) => group.some((wanted) => hasWord(words, wanted)));
}

/**
 * The server's default answer: a deterministic canned reply chosen from the last user message —
 * a real short answer for a few well-known questions (centering a `<div>`, the first person on the
 * Moon, the meaning of life, …), a generic but plausible reply otherwise. With
 * `response_format: { type: "json_object" }` the reply is wrapped as `{"answer": "..."}`.
 */
export function defaultAnswer(request: ChatCompletionRequest): string {
  const prompt = lastUserMessage(request);
  const words = prompt.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const topic = TOPICS.find((t) => matches(t, words));
  let answer: string;
  if (topic) {
    answer = topic.answer;
  } else {
    const short = prompt.trim().replace(/\s+/g, " ");
    const quoted = short.length > 60 ? `${short.slice(0, 57)}...` : short || "your question";
    answer = FALLBACKS[hashString(prompt) % FALLBACKS.length]!(quoted);
  }
  return request.response_format?.type === "json_object" ? JSON.stringify({ answer }) : answer;
}
