/**
 * Used by the graph's lazy node sources (`node-sources.ts`).
 *
 * Owns {@link originalSource}: from a function's place in the compiled script V8 runs
 * (`source-location.ts`) to the text the user wrote — TypeScript with its comments and types —
 * with its file and 1-based line, through the script's source map (inline as tsx and Vite write
 * it, or a `.js.map` file next to it as `tsc` and esbuild write it), read with Node's own
 * `module.SourceMap`. A source map maps points, not ranges, and compilers map a function's start
 * loosely (`tsc` maps `export function` from the space before it, an async arrow's first mapping
 * may be its variable), so the first and last tokens of the compiled text are matched against
 * the original's tokens near the mapped points, and the span must balance its brackets. Code that
 * names no source map is its own source. Each call reads a map or a file once
 * ({@link SourceCache}).
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FunctionPlace } from "./source-location.js";
import { lineStarts, tokenize, type SourceToken } from "./source-tokens.js";

/** A function's source as found: its text, where it is, and whether it is the original. */
export interface FoundSource {
  /** The function's own text (what `toString` covers), in the original language when found. */
  readonly text: string;
  /** The file, relative to the working directory (absolute outside it). */
  readonly file: string | undefined;
  /** The 1-based line the function starts on in {@link file}. */
  readonly line: number | undefined;
  /** True for the original text (or code that ran untransformed); false for compiled text only. */
  readonly mapped: boolean;
}

interface LoadedMap {
  readonly map: SourceMap;
  readonly sources: readonly string[];
  readonly contents: readonly (string | null | undefined)[];
  /** What `sources` are relative to: the map's own URL, or the script's for an inline map. */
  readonly base: string;
  readonly sourceRoot: string;
  /** The original files read so far, by their entry in `sources`. */
  readonly files: Map<string, OriginalFile | undefined>;
}

interface OriginalFile {
  readonly path: string;
  readonly text: string;
  /** Offsets of each line's start. */
  readonly lines: readonly number[];
  readonly tokens: readonly SourceToken[];
}

/** What one batch has read: maps by script (`undefined`: not readable), display paths. */
export class SourceCache {
  readonly maps = new Map<object, LoadedMap | undefined>();
  readonly paths = new Map<string, string>();

  displayPath(path: string): string {
    let shown = this.paths.get(path);
    if (shown === undefined) {
      shown = displayPath(path);
      this.paths.set(path, shown);
    }
    return shown;
  }
}

/** Where a script's resource is on disk, or undefined (eval'd code, `node:` internals). */
function pathOf(url: string): string | undefined {
  if (url.startsWith("file:")) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? url : undefined;
}

/** A path as the records show it: relative to the working directory, absolute outside it. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel.split("\\").join("/");
}

/** The 0-based line holding `offset`. */
function lineOf(lines: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The function's original source, file and line; its compiled text with `mapped: false` when
 * the script names a source map that cannot be read or does not cover the function.
 */
export function originalSource(place: FunctionPlace, cache: SourceCache): FoundSource {
  const { script } = place;
  const compiled = script.text.slice(place.start, place.end);
  const lines = script.lineStarts;
  const scriptPath = pathOf(script.url);
  const ownLine = lineOf(lines, place.start);
  const own = {
    text: compiled,
    file: scriptPath === undefined ? undefined : cache.displayPath(scriptPath),
    line: scriptPath === undefined ? undefined : script.startLine + ownLine + 1,
  };
  if (script.sourceMapURL === "") return { ...own, mapped: scriptPath !== undefined };
  let loaded = cache.maps.get(script);
  if (!cache.maps.has(script)) {
    loaded = loadMap(script.url, script.sourceMapURL);
    cache.maps.set(script, loaded);
  }
  const found = loaded === undefined ? undefined : mapSpan(compiled, place, lines, loaded, cache);
  return found ?? { ...own, mapped: false };
}

function loadMap(scriptUrl: string, sourceMapURL: string): LoadedMap | undefined {
  try {
    let json: string;
    let base: string;
    if (sourceMapURL.startsWith("data:")) {
      const comma = sourceMapURL.indexOf(",");
      const body = sourceMapURL.slice(comma + 1);
      json = /;base64$/i.test(sourceMapURL.slice(0, comma))
        ? Buffer.from(body, "base64").toString("utf8")
        : decodeURIComponent(body);
      base = scriptBase(scriptUrl);
    } else {
      base = new URL(sourceMapURL, scriptBase(scriptUrl)).href;
      const path = pathOf(base);
      if (path === undefined) return undefined;
      json = readFileSync(path, "utf8");
    }
    const payload = JSON.parse(json) as {
      sources?: string[];
      sourcesContent?: (string | null)[];
      sourceRoot?: string;
    };
    return {
      map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]),
      sources: payload.sources ?? [],
      contents: payload.sourcesContent ?? [],
      base,
      sourceRoot: payload.sourceRoot ?? "",
      files: new Map(),
    };
  } catch {
    return undefined;
  }
}

/** A script URL as a base for relative URLs (a bare path becomes a file URL). */
function scriptBase(url: string): string {
  return url.startsWith("/") ? pathToFileURL(url).href : url;
}

interface Entry {
  readonly generatedLine: number;
  readonly generatedColumn: number;
  readonly originalSource?: string;
  readonly originalLine?: number;
  readonly originalColumn?: number;
}

/**
 * The original point a compiled offset maps to (the nearest mapping at or before it, moved by the
 * distance on the same line), and the mapping's own point (`entry`), or undefined.
 */
function mapPoint(
  loaded: LoadedMap,
  lines: readonly number[],
  offset: number,
): { source: string; line: number; column: number; entry: { line: number; column: number } } | undefined {
  const line = lineOf(lines, offset);
  const column = offset - lines[line]!;
  const entry = loaded.map.findEntry(line, column) as Entry | undefined;
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined)
    return undefined;
  // The nearest mapping at or before the point: on the same line, carry the distance over.
  const ahead = entry.generatedLine === line ? column - entry.generatedColumn : 0;
  const at = { line: entry.originalLine, column: entry.originalColumn };
  return { source: entry.originalSource, line: at.line, column: at.column + ahead, entry: at };
}

function originalFile(loaded: LoadedMap, source: string): OriginalFile | undefined {
  if (loaded.files.has(source)) return loaded.files.get(source);
  const file = readOriginal(loaded, source);
  loaded.files.set(source, file);
  return file;
}

function readOriginal(loaded: LoadedMap, source: string): OriginalFile | undefined {
  const index = loaded.sources.indexOf(source);
  let url: string;
  try {
    const root =
      loaded.sourceRoot === "" || loaded.sourceRoot.endsWith("/") ? loaded.sourceRoot : `${loaded.sourceRoot}/`;
    url = source.startsWith("/") ? pathToFileURL(source).href : new URL(root + source, loaded.base).href;
  } catch {
    return undefined;
  }
  const path = pathOf(url);
  if (path !== undefined) {
    let text = index >= 0 ? loaded.contents[index] : undefined;
    if (typeof text !== "string") {
      try {
        text = readFileSync(path, "utf8");
      } catch {
        text = undefined;
      }
    }
    if (typeof text === "string") return { path, text, lines: lineStarts(text), tokens: tokenize(text) };
  }
  return undefined;
}

/** The index of the first token that ends after `offset`. */
function tokenAt(tokens: readonly SourceToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many tokens around a mapped point are searched for the compiled tokens. */
const WINDOW = 8;

function mapSpan(
  compiled: string,
  place: FunctionPlace,
  lines: readonly number[],
  loaded: LoadedMap,
  cache: SourceCache,
): FoundSource | undefined {
  const compiledTokens = tokenize(compiled);
  const first = compiledTokens[0];
  const last = compiledTokens[compiledTokens.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const from = mapPoint(loaded, lines, place.start + first.start);
  const to = mapPoint(loaded, lines, place.start + last.start);
  if (from === undefined || to === undefined || from.source !== to.source) return undefined;
  const file = originalFile(loaded, from.source);
  if (file === undefined) return undefined;
  const { text, tokens } = file;
  const offsetOf = (p: { line: number; column: number }) => (file.lines[p.line] ?? text.length) + p.column;
  const compiledTexts = compiledTokens.map((t) => compiled.slice(t.start, t.end));
  // The start: between the mapping's own point and a little past the moved point.
  const at = tokenAt(tokens, offsetOf(from));
  const floor = Math.min(at, tokenAt(tokens, offsetOf(from.entry)));
  const startIndex = bestMatch(text, tokens, compiledTexts, at, Math.max(floor, at - REACH), at + WINDOW, 1);
  const endAt = tokenAt(tokens, offsetOf(to));
  const endIndex = bestMatch(
    text,
    tokens,
    compiledTexts,
    endAt,
    Math.max(startIndex, endAt - WINDOW),
    endAt + WINDOW,
    -1,
  );
  if (startIndex >= tokens.length || endIndex >= tokens.length || endIndex < startIndex) return undefined;
  // A minifier may drop the original's last tokens (`{ return x; }` became `x`): close what is open.
  const closedAt = closing(text, tokens, startIndex, endIndex);
  if (closedAt === undefined) return undefined;
  const start = tokens[startIndex]!.start;
  return {
    text: text.slice(start, tokens[closedAt]!.end),
    file: cache.displayPath(file.path),
    line: lineOf(file.lines, start) + 1,
    mapped: true,
  };
}

/** How many tokens before a mapped point the start of a function is searched for. */
const REACH = 64;
/** How many tokens of the compiled text must match the original's to be sure (fewer may). */
const MATCH = 4;

/**
 * The original token in `[from, to]` where the compiled text's first tokens begin (`direction`
 * 1) or its last tokens end (-1): the one matching the most of them in a row, then the nearest
 * to `at`; `at` itself when none matches.
 */
function bestMatch(
  text: string,
  tokens: readonly SourceToken[],
  compiled: readonly string[],
  at: number,
  from: number,
  to: number,
  direction: 1 | -1,
): number {
  const n = compiled.length;
  let best = at;
  let bestScore = 0;
  for (let k = Math.max(0, from); k <= Math.min(tokens.length - 1, to); k++) {
    let score = 0;
    while (score < MATCH && score < n) {
      const i = k + direction * score;
      const t = tokens[i];
      const want = compiled[direction === 1 ? score : n - 1 - score];
      if (t === undefined || text.slice(t.start, t.end) !== want) break;
      score++;
    }
    if (score > bestScore || (score === bestScore && score > 0 && Math.abs(k - at) < Math.abs(best - at))) {
      best = k;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The index of the token that ends the span: `to` when the tokens from `from` open and close their
 * brackets in order, else the token that closes the brackets still open at `to`; undefined when a
 * bracket closes one it did not open.
 */
function closing(text: string, tokens: readonly SourceToken[], from: number, to: number): number | undefined {
  const open: string[] = [];
  for (let k = from; k < tokens.length; k++) {
    if (k > to && open.length === 0) return k - 1;
    const t = tokens[k]!;
    if (t.end - t.start !== 1) continue;
    const c = text[t.start]!;
    if (c === "(" || c === "[" || c === "{") open.push(c);
    else if (c === ")" || c === "]" || c === "}") {
      const o = open.pop();
      if (o === undefined || "([{".indexOf(o) !== ")]}".indexOf(c)) return undefined;
    }
  }
  return open.length === 0 ? tokens.length - 1 : undefined;
}
