/**
 * Used by stage 2 (`drafts`) of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link readSignature}: what a node function's parameter list says — the dependency names
 * of its destructured first parameter (which are optional), and whether it takes the run
 * context — read from its source, once per function. The common shapes go through a small
 * scanner (`signature-fast.ts`), everything else through acorn's tokenizer.
 */
import { tokenizer, tokTypes, type Token, type TokenType } from "acorn";
import { readSignatureFast } from "./signature-fast.js";

/** One dependency read from a function's destructured parameter. */
export interface DependencyDecl {
  readonly name: string;
  /** True when the destructuring gives it a default value. */
  readonly optional: boolean;
}

/** What a function's parameter list says about the node it defines. */
export type Signature =
  | {
      readonly ok: true;
      readonly dependencies: readonly DependencyDecl[];
      /** True when the function declares a second parameter (the run context). */
      readonly usesContext: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/** What is known of one function: its source, and its signature once read. One map for both. */
class Known {
  signature: Signature | undefined = undefined;
  constructor(readonly source: string) {}
}

const known = new WeakMap<Function, Known>();

function knownOf(fn: Function): Known {
  let entry = known.get(fn);
  if (entry === undefined) {
    entry = new Known(Function.prototype.toString.call(fn));
    known.set(fn, entry);
  }
  return entry;
}

/** A function's source text, read once per function (the signature reader and the node's record share it). */
export function sourceOf(fn: Function): string {
  return knownOf(fn).source;
}

/**
 * Reads a node function's dependencies from its single destructured object parameter: the common
 * shapes with a small scanner (`signature-fast.ts`), anything else with acorn's tokenizer, where
 * strings, template literals, regular expressions and nested brackets in default values are
 * understood. Reading stops at the end of the parameter list, so a long body costs nothing.
 * Cached per function object.
 */
export function readSignature(fn: Function): Signature {
  const entry = knownOf(fn);
  return (entry.signature ??= parse(fn, entry.source));
}

/**
 * A function's source and signature together, from one look-up of the per-function cache (the
 * common node, a function without modifiers, needs both).
 */
export function readFunction(fn: Function): { readonly source: string; readonly signature: Signature } {
  const entry = knownOf(fn);
  entry.signature ??= parse(fn, entry.source);
  return entry as { readonly source: string; readonly signature: Signature };
}

const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

class Unsupported extends Error {}

/** The text or value of a name, keyword, string or number token. */
function tokenText(token: Token): string {
  return String((token as Token & { value?: unknown }).value);
}

function fail(reason: string): never {
  throw new Unsupported(reason);
}

const OPEN = new Set<TokenType>([tokTypes.parenL, tokTypes.bracketL, tokTypes.braceL, tokTypes.dollarBraceL]);
const CLOSE = new Set<TokenType>([tokTypes.parenR, tokTypes.bracketR, tokTypes.braceR]);

/** A cursor over the function's tokens. */
class Tokens {
  readonly #iterator: Iterator<Token>;
  constructor(source: string) {
    this.#iterator = tokenizer(source, { ecmaVersion: "latest" })[Symbol.iterator]();
  }
  next(): Token {
    const step = this.#iterator.next();
    if (step.done === true || step.value.type === tokTypes.eof) fail("its parameter list could not be read");
    return step.value;
  }
}

function parse(fn: Function, source: string): Signature {
  // A native function's source ends with `}`: most arrows' do not, and skip the regular expression.
  if (fn.name.startsWith("bound ") || (source.endsWith("}") && NATIVE.test(source))) {
    return { ok: false, reason: "it is a native or bound function, whose parameters cannot be read" };
  }
  return readSignatureFast(source) ?? readWithAcorn(source);
}

/**
 * The full reader: acorn's tokenizer over the source, for every shape the fast path
 * (`signature-fast.ts`) is not sure of. Exported for the tests that compare the two paths.
 */
export function readWithAcorn(source: string): Signature {
  try {
    return readHead(new Tokens(source));
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, reason: error.message };
    // acorn's own syntax errors: source text this reader does not understand.
    return { ok: false, reason: "its parameter list could not be read" };
  }
}

/** Skips to the parameter list: `function name(`, `async (`, `name(` (methods), or `x =>`. */
function readHead(tokens: Tokens): Signature {
  let previous: Token | undefined;
  let depth = 0;
  for (let first = true; ; first = false) {
    const token = tokens.next();
    if (first && token.type === tokTypes._class) fail("it is a class, not a function");
    if (depth === 0 && token.type === tokTypes.arrow && previous?.type === tokTypes.name) {
      return single(tokenText(previous));
    }
    if (depth === 0 && token.type === tokTypes.parenL) return readParams(tokens);
    if (token.type === tokTypes.bracketL) depth++;
    else if (token.type === tokTypes.bracketR) depth--;
    previous = token;
  }
}

/** `x => ...`: one plain identifier. */
function single(name: string): Signature {
  if (name.startsWith("_")) return { ok: true, dependencies: [], usesContext: false };
  return fail(notDestructured(name));
}

function notDestructured(name: string): string {
  return (
    `its first parameter is \`${name}\`, not a destructured object, so its dependencies ` +
    `cannot be read (write ({ a, b }) => ..., or name it _${name} if it needs none)`
  );
}

/** Reads `(first, second)` after the opening parenthesis. */
function readParams(tokens: Tokens): Signature {
  let token = tokens.next();
  if (token.type === tokTypes.parenR) return { ok: true, dependencies: [], usesContext: false };
  let dependencies: DependencyDecl[] = [];
  if (token.type === tokTypes.braceL) {
    dependencies = readObjectPattern(tokens);
  } else if (token.type === tokTypes.name) {
    const name = tokenText(token);
    if (!name.startsWith("_")) fail(notDestructured(name));
  } else if (token.type === tokTypes.ellipsis) {
    fail("its parameters are a rest element (...args), which names no dependencies");
  } else {
    fail("its first parameter is not a destructured object ({ a, b })");
  }
  // After the first parameter: an optional default, then `,` or `)`.
  let params = 1;
  token = tokens.next();
  for (;;) {
    if (token.type === tokTypes.parenR) break;
    if (token.type === tokTypes.eq) {
      token = skipExpression(tokens);
      continue;
    }
    if (token.type !== tokTypes.comma) fail("its parameter list could not be read");
    token = tokens.next();
    if (token.type === tokTypes.parenR) break; // trailing comma
    params++;
    token = skipExpression(tokens, token);
  }
  if (params > 2) fail(`it has ${params} parameters; a node takes (dependencies, context)`);
  return { ok: true, dependencies, usesContext: params === 2 };
}

/** Reads the properties of `{ ... }` after its opening brace. */
function readObjectPattern(tokens: Tokens): DependencyDecl[] {
  const dependencies: DependencyDecl[] = [];
  const seen = new Set<string>(); // a wide fan-in destructures thousands of names
  for (;;) {
    let token = tokens.next();
    if (token.type === tokTypes.braceR) return dependencies;
    if (token.type === tokTypes.ellipsis) {
      fail("its destructured parameter has a rest element (...rest), which names no dependency");
    }
    if (token.type === tokTypes.bracketL) {
      fail("its destructured parameter has a computed key ([key]), which names no dependency");
    }
    let name: string;
    if (token.type === tokTypes.name || token.type.keyword !== undefined) name = tokenText(token);
    else if (token.type === tokTypes.string || token.type === tokTypes.num) name = tokenText(token);
    else fail("its destructured parameter has a key that is not a name");
    let optional = false;
    token = tokens.next();
    if (token.type === tokTypes.colon) {
      // `key: local`, `key: { nested }`, `key: local = default`: the key names the dependency.
      token = tokens.next();
      const end = skipUntilSeparator(tokens, token);
      optional = end.sawDefault;
      token = end.token;
    } else if (token.type === tokTypes.eq) {
      optional = true;
      token = skipExpression(tokens);
    }
    if (!seen.has(name)) {
      seen.add(name);
      dependencies.push({ name, optional });
    }
    if (token.type === tokTypes.braceR) return dependencies;
    if (token.type !== tokTypes.comma) fail("its destructured parameter could not be read");
  }
}

/**
 * Skips one expression (or pattern) up to the `,`, `)` or `}` that ends it at this nesting level,
 * and returns that token; notes whether a top-level `=` (a default) was seen.
 */
function skipUntilSeparator(tokens: Tokens, start: Token): { token: Token; sawDefault: boolean } {
  let depth = 0;
  let sawDefault = false;
  for (let token = start; ; token = tokens.next()) {
    if (OPEN.has(token.type)) depth++;
    else if (CLOSE.has(token.type)) {
      if (depth === 0) return { token, sawDefault };
      depth--;
    } else if (depth === 0) {
      if (token.type === tokTypes.comma) return { token, sawDefault };
      if (token.type === tokTypes.eq) sawDefault = true;
    }
  }
}

function skipExpression(tokens: Tokens, start?: Token): Token {
  return skipUntilSeparator(tokens, start ?? tokens.next()).token;
}
