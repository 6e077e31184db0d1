/**
 * Secret redaction, one rule for every adapter (the tracker's summaries and templates, the
 * tracer's recorded values): keys that look like secrets, and secret-looking text (known key
 * formats, `password = "..."` literals) inside strings, error messages and node sources.
 */

/** What replaces a redacted value inside text. */
export const REDACTED = "[REDACTED]";

const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "authorization",
  "apikey",
  "credential",
  "credentials",
  "cookie",
]);

const SECRET_PAIRS = new Set(["api key", "private key", "access key", "secret key", "auth token"]);

/** A word after a secret word that makes the key a measure of it, not the secret (`tokenCount`). */
const MEASURE_WORDS = new Set(["count", "counts", "length", "limit", "usage", "total", "size", "num", "number"]);

const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 4096;

function splitWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function computeIsSecretKey(key: string): boolean {
  const words = splitWords(key);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    if (SECRET_WORDS.has(word) && !(next !== undefined && MEASURE_WORDS.has(next))) return true;
    if (next !== undefined && SECRET_PAIRS.has(`${word} ${next}`)) return true;
  }
  return false;
}

/**
 * True when a key (an input, config or object key, a node name) looks like it holds a secret.
 *
 * The key is split into words (camelCase, snake_case, kebab-case, spaces) and matches when a word
 * is `password`, `passwd`, `passphrase`, `secret(s)`, `token`, `authorization`, `apikey`,
 * `credential(s)` or `cookie`, or two words read `api key`, `private key`, `access key`,
 * `secret key` or `auth token`. So `apiKey`, `OPENAI_API_KEY`, `x-api-key`, `accessToken` and
 * `Authorization` match; `maxTokens`, `total_tokens`, `tokenCount` and `passwordLength` (measures
 * of a secret — token counts are common in LLM code — a secret word followed by `count`, `length`,
 * `limit`, `usage`, `total`, `size` or `number`) do not.
 */
export function isSecretKey(key: string): boolean {
  let hit = keyCache.get(key);
  if (hit === undefined) {
    hit = computeIsSecretKey(key);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, hit);
  }
  return hit;
}

// Well-known credential formats: OpenAI/Anthropic-style keys, bearer tokens, GitHub tokens,
// AWS access key ids, Slack tokens, Google API keys.
const TOKEN_FORMATS =
  /\b(?:sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,})|\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g;

const SECRET_NAME = String.raw`[A-Za-z0-9_$-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|authorization|credential|private[_-]?key|access[_-]?key)[A-Za-z0-9_$-]*`;

// `apiKey: "..."`, `"password": '...'`, `token = \`...\`` — a quoted literal after a secret name.
const QUOTED_ASSIGNMENT = new RegExp(String.raw`(${SECRET_NAME}["']?\s*[:=]\s*)(["'\`])(?:(?!\2)[^\\\n]|\\.)*\2`, "gi");
// `password=hunter2` (query strings, env lines, log messages) — unquoted, after `=` only.
const UNQUOTED_ASSIGNMENT = new RegExp(String.raw`(${SECRET_NAME}=)([^\s"'\`&;,)]+)`, "gi");

const QUICK_CHECK = /sk-|gh[pousr]_|github_pat_|AKIA|xox|AIza|bearer|pass|secret|token|key|auth|credential/i;

/**
 * Replaces secret-looking parts of a text with `[REDACTED]`: well-known key formats (`sk-...`,
 * `Bearer ...`, GitHub, AWS, Slack and Google keys) and literals assigned to secret-looking names
 * (`apiKey: "..."`, `password=...`). Used on string previews, error messages, stacks and node
 * sources. Text without any trigger word is returned as is, cheaply.
 */
export function redactText(text: string): string {
  if (!QUICK_CHECK.test(text)) return text;
  return text
    .replace(TOKEN_FORMATS, REDACTED)
    .replace(QUOTED_ASSIGNMENT, (_m, name: string, quote: string) => `${name}${quote}${REDACTED}${quote}`)
    .replace(UNQUOTED_ASSIGNMENT, (_m, name: string) => `${name}${REDACTED}`);
}
