/**
 * Used by stage 3 (`graph`) of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link NodeSources}: the source of every function node of one graph — the original text
 * (TypeScript with its comments), its file and line, and the code version hashed from its tokens
 * — found lazily, when the first node's source or version is read (an adapter's template, the
 * graph version, a cache key), for all the graph's functions in one batch: one inspector session
 * (`source-location.ts`), each source map and original file read once (`source-text.ts`). Building
 * a graph costs nothing more. A function's source is kept per function object, so a second driver
 * built from the same modules finds it at once. `Builder.withSourceMaps(false)` keeps the compiled
 * text (`Function.prototype.toString`) and asks nothing of the inspector.
 */
import { locateFunctions } from "./source-location.js";
import { originalSource, SourceCache } from "./source-text.js";
import { codeVersion } from "./source-tokens.js";
import { sourceOf } from "./signature.js";

/** What is known of one function's source. */
export interface NodeSource {
  /** The function's own text: the original when found, else the compiled text. */
  readonly text: string;
  /** The file, relative to the working directory (absolute outside it); undefined when unknown. */
  readonly file: string | undefined;
  /** The 1-based line the function starts on. */
  readonly line: number | undefined;
  /** True for the original text (or code that ran untransformed); false for the compiled text only. */
  readonly mapped: boolean;
  /** The code version: a hash of the text's tokens (comments and whitespace do not count). */
  readonly version: string;
}

/** Sources found through source maps, per function object. */
const mappedSources = new WeakMap<Function, NodeSource>();
/** Sources of `withSourceMaps(false)`: the compiled text. */
const compiledSources = new WeakMap<Function, NodeSource>();

function compiledSource(fn: Function): NodeSource {
  let known = compiledSources.get(fn);
  if (known === undefined) {
    const text = sourceOf(fn);
    known = { text, file: undefined, line: undefined, mapped: false, version: codeVersion(text) };
    compiledSources.set(fn, known);
  }
  return known;
}

/**
 * Finds the sources of these functions in one batch (one inspector session for those not known
 * yet). Parallel to `fns`.
 */
export function findSources(fns: readonly Function[], useSourceMaps: boolean): NodeSource[] {
  if (!useSourceMaps) return fns.map(compiledSource);
  const missing = [...new Set(fns.filter((fn) => !mappedSources.has(fn)))];
  if (missing.length > 0) {
    const places = locateFunctions(missing);
    const cache = new SourceCache();
    missing.forEach((fn, i) => {
      const place = places[i];
      if (place === undefined) {
        mappedSources.set(fn, compiledSource(fn));
        return;
      }
      const found = originalSource(place, cache);
      mappedSources.set(fn, { ...found, version: codeVersion(found.text) });
    });
  }
  return fns.map((fn) => mappedSources.get(fn)!);
}

/**
 * The sources of one graph's function nodes, found together on first read. Nodes register their
 * function while the graph is built ({@link add}) and read their source later ({@link get}).
 */
export class NodeSources {
  readonly #fns: Function[] = [];
  #found: NodeSource[] | undefined;

  constructor(readonly useSourceMaps: boolean) {}

  /** Registers a node's function; returns the index to read its source with. */
  add(fn: Function): number {
    return this.#fns.push(fn) - 1;
  }

  /** The source of the function registered at `index` (the first call finds every source). */
  get(index: number): NodeSource {
    this.#found ??= findSources(this.#fns, this.useSourceMaps);
    return this.#found[index]!;
  }
}
