/**
 * Secret redaction, one rule for every adapter (the tracker's summaries and templates, the
 * tracer's recorded values, error messages and warnings): keys that look like secrets, and
 * secret-looking text (known key formats, values after secret names, URL passwords) inside
 * strings, error messages and node sources.
 *
 * Every function here takes time linear in its input: text is read by one forward scan, and
 * each look back or ahead from a position is bounded by a small constant (or consumes what it
 * reads). No regular expression runs over unbounded text.
 */
import { headOf } from "./internal/head-of.js";

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

/** Secret words that also count at the end of a glued lowercase word (`dbpassword`, `accesstoken`). */
const GLUED_SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "apikey",
  "credential",
  "credentials",
  "privatekey",
  "secretkey",
];

const SECRET_PAIRS = new Set(["api key", "private key", "access key", "secret key", "auth token"]);

/** A word after a secret word that makes the key a measure of it, not the secret (`tokenCount`). */
const MEASURE_WORDS = new Set(["count", "counts", "length", "limit", "usage", "total", "size", "num", "number"]);

const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 4096;
/** Longer keys are not cached: the cache must stay small whatever keys it is asked about. */
const KEY_CACHE_MAX_KEY = 256;

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * The key's words, lowercased: split at every character that is not an ASCII letter or digit, at
 * a lowercase letter or digit followed by a capital (`apiKey`), and before the last capital of a
 * run followed by a lowercase letter (`APIKey` → `api`, `key`). One pass, no regular expression.
 */
function splitWords(key: string): string[] {
  const words: string[] = [];
  let start = -1;
  let prev = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!(isLower(c) || isUpper(c) || isDigit(c))) {
      if (start >= 0) words.push(key.slice(start, i).toLowerCase());
      start = -1;
    } else if (start < 0) {
      start = i;
    } else if (isUpper(c) && (isLower(prev) || isDigit(prev) || (isUpper(prev) && isLower(key.charCodeAt(i + 1))))) {
      words.push(key.slice(start, i).toLowerCase());
      start = i;
    }
    prev = c;
  }
  if (start >= 0) words.push(key.slice(start).toLowerCase());
  return words;
}

function isSecretWord(word: string): boolean {
  if (SECRET_WORDS.has(word)) return true;
  for (const suffix of GLUED_SUFFIXES) {
    if (word.length > suffix.length && word.endsWith(suffix)) return true;
  }
  return false;
}

function computeIsSecretKey(key: string): boolean {
  const words = splitWords(key);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    if (isSecretWord(word) && !(next !== undefined && MEASURE_WORDS.has(next))) return true;
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
 * `secret key` or `auth token`, or a lowercase word glued together ends with one of these
 * (`dbpassword`, `clientsecret`, `accesstoken`, `openaiapikey`). So `apiKey`, `OPENAI_API_KEY`,
 * `x-api-key`, `accessToken` and `Authorization` match; `maxTokens`, `total_tokens`, `tokenCount`,
 * `maxTokenLength` and `passwordLength` (measures of a secret — token counts are common in LLM
 * code — a secret word followed by `count`, `length`, `limit`, `usage`, `total`, `size` or
 * `number`) do not. Linear in the key's length.
 */
export function isSecretKey(key: string): boolean {
  if (key.length > KEY_CACHE_MAX_KEY) return computeIsSecretKey(key);
  let hit = keyCache.get(key);
  if (hit === undefined) {
    hit = computeIsSecretKey(key);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, hit);
  }
  return hit;
}

// ---------------------------------------------------------------------------------------------
// The text scanner.

const C_TAB = 9;
const C_LF = 10;
const C_SPACE = 32;
const C_DQUOTE = 34;
const C_SQUOTE = 39;
const C_MINUS = 45;
const C_SLASH = 47;
const C_COLON = 58;
const C_EQUALS = 61;
const C_GT = 62;
const C_AT = 64;
const C_BACKSLASH = 92;
const C_BACKTICK = 96;

// Character classes of ASCII codes, as bit flags (codes >= 128 are in none of them).
const WORD = 1; // [A-Za-z0-9_]: JavaScript's \w, for word boundaries
const NAME = 2; // [A-Za-z0-9_$-]: a secret's name
const KEY_CHARS = 4; // [A-Za-z0-9_-]: the body of `sk-…` and `AIza…` keys
const BEARER_CHARS = 8; // [A-Za-z0-9._~+/=-]: an RFC 6750 bearer token
const BASE64 = 16; // [A-Za-z0-9+/]
const VALUE_STOP = 32; // ends an unquoted value: whitespace and "'`&;,)]}<>
const URL_STOP = 64; // ends a URL's authority: whitespace / ? # "'`<>
const SCHEME = 128; // [A-Za-z0-9+.-]: a URL scheme
const ALNUM = 256; // [A-Za-z0-9]
const ALNUM_DASH = 512; // [A-Za-z0-9-]: the body of Slack tokens

const CLASSES = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alnum = /[A-Za-z0-9]/.test(ch);
  let flags = 0;
  if (alnum || ch === "_") flags |= WORD | KEY_CHARS;
  if (alnum || ch === "_" || ch === "$" || ch === "-") flags |= NAME;
  if (ch === "-") flags |= KEY_CHARS;
  if (alnum || "._~+/=-".includes(ch)) flags |= BEARER_CHARS;
  if (alnum || ch === "+" || ch === "/") flags |= BASE64;
  const space = c === C_SPACE || (c >= C_TAB && c <= 13);
  if (space || "\"'`&;,)]}<>".includes(ch)) flags |= VALUE_STOP;
  if (space || "/?#\"'`<>".includes(ch)) flags |= URL_STOP;
  if (alnum || "+.-".includes(ch)) flags |= SCHEME;
  if (alnum) flags |= ALNUM | ALNUM_DASH;
  if (ch === "-") flags |= ALNUM_DASH;
  CLASSES[c] = flags;
}

const has = (c: number, flag: number): boolean => c < 128 && (CLASSES[c]! & flag) !== 0;
const isHorizontalSpace = (c: number): boolean => c === C_SPACE || c === C_TAB;
const isQuote = (c: number): boolean => c === C_DQUOTE || c === C_SQUOTE || c === C_BACKTICK;

/** Longest secret name looked at before a `:` or `=` (a longer run is judged by its end). */
const MAX_NAME = 128;
/** Most spaces skipped between a name, its separator and its value. */
const MAX_GAP = 16;
/** Longest `Basic` credential recognised without a header name before it. */
const MAX_BASIC = 1024;
/** HTTP authentication schemes whose credentials follow the scheme word after a secret name. */
const AUTH_SCHEMES = new Set(["basic", "bearer", "digest", "token", "negotiate", "ntlm", "apikey", "hoba", "mutual"]);

// The current match of a rule: it replaces text[matchStart, stop) with matchText; the rule
// returns `stop` (or -1 for no match). Set only by the rule functions, read right after them.
let matchStart = 0;
let matchText = REDACTED;

function matched(start: number, stop: number): number {
  matchStart = start;
  matchText = REDACTED;
  return stop;
}

/** The end of the run of `flag` characters at `from`, not beyond `end`. */
function runEnd(text: string, from: number, end: number, flag: number): number {
  let k = from;
  while (k < end && has(text.charCodeAt(k), flag)) k++;
  return k;
}

/** A run of `flag` characters at `from` of at least `min` characters, redacted from `start`. */
function keyRun(text: string, start: number, from: number, end: number, flag: number, min: number): number {
  const stop = runEnd(text, from, end, flag);
  return stop - from >= min ? matched(start, stop) : -1;
}

/** Past 1..MAX_GAP spaces or tabs at `from`; -1 when there is none. */
function pastGap(text: string, from: number, end: number): number {
  let k = from;
  while (k < end && k - from < MAX_GAP && isHorizontalSpace(text.charCodeAt(k))) k++;
  return k > from ? k : -1;
}

/** Whether the character at `at` is one of `chars` (false past the end of the text). */
function oneOf(text: string, at: number, chars: string): boolean {
  return at < text.length && chars.includes(text.charAt(at));
}

/**
 * Known credential formats starting at `i` (a word boundary): OpenAI/Anthropic-style `sk-` keys,
 * GitHub tokens, AWS access key ids, Slack tokens, Google API keys, `Bearer <token>`, and
 * `Basic <base64>` that looks like encoded credentials.
 */
function knownFormat(text: string, i: number, end: number): number {
  switch (text.charCodeAt(i)) {
    case 115: // s
      return text.startsWith("sk-", i) ? keyRun(text, i, i + 3, end, KEY_CHARS, 16) : -1;
    case 103: // g
      if (text.startsWith("github_pat_", i)) return keyRun(text, i, i + 11, end, WORD, 20);
      if (text.charCodeAt(i + 1) === 104 && oneOf(text, i + 2, "pousr") && text.charCodeAt(i + 3) === 95) {
        return keyRun(text, i, i + 4, end, ALNUM, 20);
      }
      return -1;
    case 65: // A
      if (text.startsWith("AKIA", i)) {
        let k = i + 4;
        while (k < end && k < i + 20 && (isUpper(text.charCodeAt(k)) || isDigit(text.charCodeAt(k)))) k++;
        return k === i + 20 ? matched(i, k) : -1;
      }
      return text.startsWith("AIza", i) ? keyRun(text, i, i + 4, end, KEY_CHARS, 30) : -1;
    case 120: // x
      return text.startsWith("xox", i) && oneOf(text, i + 3, "abprs") && text.charCodeAt(i + 4) === C_MINUS
        ? keyRun(text, i, i + 5, end, ALNUM_DASH, 10)
        : -1;
    case 66: // B
      if (text.startsWith("Bearer", i)) {
        const from = pastGap(text, i + 6, end);
        return from < 0 ? -1 : keyRun(text, i, from, end, BEARER_CHARS, 8);
      }
      if (text.startsWith("Basic", i)) {
        const from = pastGap(text, i + 5, end);
        return from < 0 ? -1 : basicCredentials(text, i, from, end);
      }
      return -1;
    default:
      return -1;
  }
}

/**
 * `Basic <base64>` without a header name: redacted when the word after `Basic` looks like encoded
 * credentials, not prose — 12 to 1,024 base64 characters (plus `=` padding) with capitals,
 * lowercase letters and a digit, `+`, `/` or padding, ending at a word boundary.
 */
function basicCredentials(text: string, start: number, from: number, end: number): number {
  let upper = false;
  let lower = false;
  let other = false;
  let k = from;
  const limit = Math.min(end, from + MAX_BASIC + 1);
  for (; k < limit; k++) {
    const c = text.charCodeAt(k);
    if (!has(c, BASE64)) break;
    if (isUpper(c)) upper = true;
    else if (isLower(c)) lower = true;
    else other = true;
  }
  const length = k - from;
  if (length < 12 || length > MAX_BASIC) return -1;
  let stop = k;
  while (stop < end && stop < k + 2 && text.charCodeAt(stop) === C_EQUALS) stop++;
  if (stop > k) other = true;
  if (stop < end && has(text.charCodeAt(stop), WORD)) return -1;
  return upper && lower && other ? matched(start, stop) : -1;
}

/** A lowercase-insensitive `word` at `at` (ASCII letters only). */
function wordAt(text: string, at: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) {
    if ((text.charCodeAt(at + j) | 0x20) !== word.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * Whether text[start, stop) contains a fragment every secret name contains (`pass`, `secret`,
 * `token`, `auth`, `key`, `cred`, `cookie`), case-insensitively: a cheap filter before
 * {@link isSecretKey}.
 */
function mayNameSecret(text: string, start: number, stop: number): boolean {
  for (let j = start; j + 3 <= stop; j++) {
    switch (text.charCodeAt(j) | 0x20) {
      case 112: // p
        if (wordAt(text, j, "pass")) return true;
        break;
      case 115: // s
        if (wordAt(text, j, "secret")) return true;
        break;
      case 116: // t
        if (wordAt(text, j, "token")) return true;
        break;
      case 97: // a
        if (wordAt(text, j, "auth")) return true;
        break;
      case 107: // k
        if (wordAt(text, j, "key")) return true;
        break;
      case 99: // c
        if (wordAt(text, j, "cred") || wordAt(text, j, "cookie")) return true;
        break;
    }
  }
  return false;
}

/**
 * The password of a URL's userinfo (`scheme://user:password@host`), at the `:` of `://`. In an
 * open-ended window, a userinfo cut by the window's end is redacted from its `:` on.
 */
function urlPassword(text: string, i: number, end: number, openEnd: boolean): number {
  let p = i - 1;
  while (p >= 0 && i - p <= 32 && has(text.charCodeAt(p), SCHEME)) p--;
  if (p === i - 1) return -1;
  let colon = -1;
  let at = -1;
  let k = i + 3;
  for (; k < end; k++) {
    const c = text.charCodeAt(k);
    if (has(c, URL_STOP)) break;
    if (c === C_AT) at = k;
    else if (c === C_COLON && colon < 0 && at < 0) colon = k;
  }
  if (colon < 0) return -1;
  if (at > colon + 1) return matched(colon + 1, at);
  if (at < 0 && openEnd && k === end && end > colon + 1) return matched(colon + 1, end);
  return -1;
}

/**
 * A quoted value at `open` (the opening quote): its content is redacted up to the closing quote,
 * or — unterminated — up to the end of the line (`"` and `'`) or of the text. `escaped`: the
 * quotes are backslash-escaped (`\"…\"`, JSON inside a JSON string).
 */
function quotedValue(text: string, open: number, end: number, escaped: boolean): number {
  const from = escaped ? open + 1 : open;
  const quote = text.charCodeAt(from);
  let k = from + 1;
  while (k < end) {
    const c = text.charCodeAt(k);
    if (c === C_BACKSLASH) {
      if (escaped && text.charCodeAt(k + 1) === quote) break;
      k += 2;
      continue;
    }
    if ((c === quote && !escaped) || (c === C_LF && quote !== C_BACKTICK)) break;
    k++;
  }
  return matched(from + 1, Math.min(k, end));
}

/**
 * At a `:` or `=`: when a secret name precedes it (`password: …`, `"apiKey": "…"`, `token=…`,
 * `Authorization: Basic …`), the value after it. Also the password of a URL at `://`.
 */
function afterSeparator(text: string, i: number, end: number, openEnd: boolean): number {
  const sep = text.charCodeAt(i);
  if (sep === C_COLON && text.charCodeAt(i + 1) === C_SLASH && text.charCodeAt(i + 2) === C_SLASH) {
    return urlPassword(text, i, end, openEnd);
  }
  if (sep === C_EQUALS) {
    const next = text.charCodeAt(i + 1);
    if (next === C_EQUALS || next === C_GT) return -1; // `==`, `=>`: code, not an assignment
  }
  // Back over spaces, an optional (escaped) closing quote, and the name.
  let p = i - 1;
  while (p >= 0 && i - 1 - p < MAX_GAP && isHorizontalSpace(text.charCodeAt(p))) p--;
  if (p >= 0 && isQuote(text.charCodeAt(p))) {
    p--;
    if (p >= 0 && text.charCodeAt(p) === C_BACKSLASH) p--;
  }
  const nameEnd = p + 1;
  while (p >= 0 && nameEnd - p <= MAX_NAME && has(text.charCodeAt(p), NAME)) p--;
  const nameStart = p + 1;
  if (nameStart === nameEnd || !mayNameSecret(text, nameStart, nameEnd)) return -1;
  if (!isSecretKey(text.slice(nameStart, nameEnd))) return -1;

  // Forward over spaces to the value.
  let v = i + 1;
  while (v < end && v - (i + 1) < MAX_GAP && isHorizontalSpace(text.charCodeAt(v))) v++;
  if (v >= end) return -1;
  const first = text.charCodeAt(v);
  if (isQuote(first)) return quotedValue(text, v, end, false);
  if (first === C_BACKSLASH && isQuote(text.charCodeAt(v + 1))) return quotedValue(text, v, end, true);
  // `const token = load()` is code: an unquoted value after `=` counts only right after it.
  if (sep === C_EQUALS && v > i + 1) return -1;
  // `Authorization: Basic <credentials>`: the scheme and its credentials.
  let w = v;
  while (w < end && w - v <= 16 && (isLower(text.charCodeAt(w)) || isUpper(text.charCodeAt(w)))) w++;
  if (w > v && AUTH_SCHEMES.has(text.slice(v, w).toLowerCase())) {
    const from = pastGap(text, w, end);
    if (from >= 0) {
      const credentials = stopAtValueEnd(text, from, end);
      if (credentials > from) return matched(v, credentials);
    }
  }
  const stop = stopAtValueEnd(text, v, end);
  return stop > v ? matched(v, stop) : -1;
}

/** The end of an unquoted value at `from`: the first whitespace, quote or one of `&;,)]}<>`. */
function stopAtValueEnd(text: string, from: number, end: number): number {
  let k = from;
  while (k < end && !has(text.charCodeAt(k), VALUE_STOP)) k++;
  return k;
}

/** Characters that can start a known credential format: s g A x B. */
const FORMAT_START = new Uint8Array(128);
for (const ch of "sgAxB") FORMAT_START[ch.charCodeAt(0)] = 1;

/**
 * Redacts text[0, end). `openEnd`: the text goes on after `end` (a window cut from a longer
 * text), so a value that reaches `end` unterminated is redacted rather than left alone.
 */
function scan(text: string, end: number, openEnd: boolean): string {
  let out: string | undefined;
  let copied = 0;
  let i = 0;
  let prevWord = false;
  while (i < end) {
    const c = text.charCodeAt(i);
    let stop = -1;
    if (c === C_COLON || c === C_EQUALS) stop = afterSeparator(text, i, end, openEnd);
    else if (!prevWord && c < 128 && FORMAT_START[c] === 1) stop = knownFormat(text, i, end);
    if (stop < 0) {
      prevWord = has(c, WORD);
      i++;
      continue;
    }
    out = (out ?? "") + text.slice(copied, matchStart) + matchText;
    copied = stop;
    i = stop;
    prevWord = i > 0 && has(text.charCodeAt(i - 1), WORD);
  }
  if (out === undefined) return end === text.length ? text : text.slice(0, end);
  return copied >= end ? out : out + text.slice(copied, end);
}

/**
 * A trigger any redactable text contains, case-insensitively: a literal alternation (no
 * quantifier over the text), so checking costs one linear pass with no backtracking.
 */
const QUICK_CHECK =
  /sk-|gh[pousr]_|github_pat_|AKIA|xox|AIza|bearer|basic|pass|secret|token|key|auth|cred|cookie|:\/\//i;

/**
 * Replaces secret-looking parts of a text with `[REDACTED]`:
 *
 * - well-known key formats: `sk-…` (OpenAI, Anthropic), GitHub (`ghp_…`, `github_pat_…`), AWS
 *   access key ids (`AKIA…`), Slack (`xox…-`), Google (`AIza…`), `Bearer <token>`, and
 *   `Basic <base64>` that looks like encoded credentials;
 * - the value after a secret name ({@link isSecretKey}) and `:` or `=`: a quoted literal
 *   (`apiKey: "…"`, `"password": '…'`, `token = \`…\``), or an unquoted value up to the first
 *   space, quote or `&;,)]}<>` (`password=hunter2`, `password: hunter2`, `x-api-key: abc`) — after
 *   `=` only when it follows at once (`const token = load()` is code); after an HTTP
 *   authentication scheme, the credentials too (`Authorization: Basic …` →
 *   `Authorization: [REDACTED]`);
 * - the password of a URL (`postgres://admin:[REDACTED]@db:5432`).
 *
 * Used on string previews, error messages, stacks, warnings and node sources. Linear in the
 * text's length; text without any trigger word is returned as is, cheaply. Where only the head
 * of a text is kept, {@link redactHead} reads no more than that head.
 */
export function redactText(text: string): string {
  if (!QUICK_CHECK.test(text)) return text;
  return scan(text, text.length, false);
}

/** Characters read past the cut by {@link redactHead}: more than any name, gap and separator. */
const HEAD_MARGIN = 256;

/**
 * The first `maxLength` characters of a text, redacted, reading at most `maxLength` + 256 of them
 * (so a huge text costs what a short one does). Redacting before cutting means a secret that
 * straddles the cut is still caught; a quoted value or URL password that runs past what is read
 * is redacted to the end. `truncated` says whether anything was cut.
 *
 * @throws RangeError when `maxLength` is not a non-negative integer.
 */
export function redactHead(text: string, maxLength: number): { readonly text: string; readonly truncated: boolean } {
  if (!(Number.isInteger(maxLength) && maxLength >= 0)) {
    throw new RangeError(
      `redactHead(text, maxLength): maxLength must be a non-negative integer, got ${String(maxLength)}.`,
    );
  }
  const window = Math.min(text.length, maxLength + HEAD_MARGIN);
  const head = window === text.length ? text : text.slice(0, window);
  const redacted = QUICK_CHECK.test(head) ? scan(head, head.length, window < text.length) : head;
  if (text.length <= maxLength && redacted.length <= maxLength) return { text: redacted, truncated: false };
  return { text: headOf(redacted, maxLength), truncated: true };
}
