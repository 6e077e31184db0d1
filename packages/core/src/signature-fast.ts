/**
 * The fast path of the signature reader (`signature.ts`), at the start of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`): the parameter list of the common node
 * shapes — `({ a, b }) =>`, `async ({ a, b = 1 }, ctx) =>`, `function f({ a: local, b = "x" }) {}`,
 * `(_, ctx) =>` — read by a small scanner over the characters, without acorn.
 *
 * It answers only when the text is one of those shapes and is sure of the answer; on anything
 * else (a comment, a nested pattern, a computed or quoted key, a rest element, a template
 * literal, brackets or a regular expression in a default, a non-ASCII name, a parameter list it
 * would reject) it returns `undefined` and acorn's tokenizer reads the function as before. Both
 * paths give the same answer on every shape the fast one accepts (`signature-fast.test.ts`).
 *
 * Why: a cold start reads every node function once, and acorn's per-call set-up (options, keyword
 * regular expressions, a parser object) cost more than the reading itself.
 */
import type { DependencyDecl, Signature } from "./signature.js";

enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  BANG = 33,
  DQUOTE = 34,
  DOLLAR = 36,
  PERCENT = 37,
  AMP = 38,
  SQUOTE = 39,
  LPAREN = 40,
  RPAREN = 41,
  STAR = 42,
  PLUS = 43,
  COMMA = 44,
  MINUS = 45,
  DOT = 46,
  ZERO = 48,
  NINE = 57,
  COLON = 58,
  EQ = 61,
  GT = 62,
  UPPER_A = 65,
  UPPER_Z = 90,
  BACKSLASH = 92,
  UNDERSCORE = 95,
  LOWER_A = 97,
  LOWER_Z = 122,
  LBRACE = 123,
  PIPE = 124,
  RBRACE = 125,
}

/** Thrown (and caught at once) when the text is not a shape this reader is sure of. */
const BAIL = Symbol("bail");

function isIdentStart(c: number): boolean {
  return (
    (c >= C.LOWER_A && c <= C.LOWER_Z) || (c >= C.UPPER_A && c <= C.UPPER_Z) || c === C.UNDERSCORE || c === C.DOLLAR
  );
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= C.ZERO && c <= C.NINE);
}

/** Characters a simple default value may hold besides names, numbers and quoted strings. */
function isPlainOperator(c: number): boolean {
  return (
    c === C.DOT ||
    c === C.MINUS ||
    c === C.PLUS ||
    c === C.STAR ||
    c === C.BANG ||
    c === C.PERCENT ||
    c === C.AMP ||
    c === C.PIPE
  );
}

/** A cursor over the source's character codes; every method bails on what it does not expect. */
class Scanner {
  readonly #s: string;
  #i = 0;

  constructor(source: string) {
    this.#s = source;
  }

  /** The code at the cursor, after ASCII whitespace; -1 at the end. */
  peek(): number {
    const s = this.#s;
    let i = this.#i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === C.SPACE || c === C.LF || c === C.TAB || c === C.CR) i++;
      else {
        this.#i = i;
        return Number.isNaN(c) ? -1 : c;
      }
    }
  }

  /** Consumes `code` (after whitespace), or bails. */
  expect(code: number): void {
    if (this.peek() !== code) throw BAIL;
    this.#i++;
  }

  /** Consumes `code` if it is next; says whether it was. */
  eat(code: number): boolean {
    if (this.peek() !== code) return false;
    this.#i++;
    return true;
  }

  /** An ASCII identifier (after whitespace), or bails. A `\` escape or a non-ASCII letter bails too. */
  identifier(): string {
    const s = this.#s;
    if (!isIdentStart(this.peek())) throw BAIL;
    const start = this.#i;
    let i = start + 1;
    while (isIdentPart(s.charCodeAt(i))) i++;
    const c = s.charCodeAt(i);
    if (c === C.BACKSLASH || c > 127) throw BAIL;
    this.#i = i;
    return s.slice(start, i);
  }

  /** True when an identifier starts at the cursor (after whitespace). */
  atIdentifier(): boolean {
    return isIdentStart(this.peek());
  }

  /** Consumes `word` when it is next as a whole word followed by whitespace or `(`/`*`. */
  keyword(word: string): boolean {
    this.peek();
    const s = this.#s;
    const i = this.#i;
    if (!s.startsWith(word, i)) return false;
    const after = s.charCodeAt(i + word.length);
    if (after !== C.SPACE && after !== C.TAB && after !== C.LF && after !== C.CR && after !== C.LPAREN) {
      if (!(word === "function" && after === C.STAR)) return false;
    }
    this.#i = i + word.length;
    return true;
  }

  /**
   * Skips a simple default value — names, numbers, `'`/`"` strings without line breaks, and the
   * operators `. - + * ! % & |` — up to the `,` or `}` that ends it (not consumed). Anything else
   * (brackets, a template, a `/`, `=`, `?`, `<`, `>`) bails.
   */
  simpleValue(): void {
    const s = this.#s;
    let any = false;
    for (;;) {
      const c = this.peek();
      if (c === C.COMMA || c === C.RBRACE) {
        if (!any) throw BAIL;
        return;
      }
      any = true;
      if (isIdentPart(c)) {
        let i = this.#i + 1;
        while (isIdentPart(s.charCodeAt(i))) i++;
        const next = s.charCodeAt(i);
        if (next === C.BACKSLASH || next > 127) throw BAIL;
        this.#i = i;
      } else if (c === C.DQUOTE || c === C.SQUOTE) {
        let i = this.#i + 1;
        for (;;) {
          const d = s.charCodeAt(i);
          if (Number.isNaN(d) || d === C.LF || d === C.CR || d === 0x2028 || d === 0x2029) throw BAIL;
          if (d === C.BACKSLASH) i += 2;
          else if (d === c) break;
          else i++;
        }
        this.#i = i + 1;
      } else if (isPlainOperator(c)) {
        this.#i++;
      } else throw BAIL;
    }
  }
}

/**
 * The signature of a common node shape read without acorn, or `undefined` when the text is not
 * one this reader is sure of (then acorn reads it). `source` is `Function.prototype.toString` of a
 * function that is neither native nor bound.
 */
export function readSignatureFast(source: string): Signature | undefined {
  try {
    return read(new Scanner(source));
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  }
}

function read(scan: Scanner): Signature | undefined {
  // The head: `async`? then `function*? name?` or a method name, then `(`; or `_x =>`.
  scan.keyword("async");
  if (scan.keyword("function")) {
    scan.eat(C.STAR);
    if (scan.atIdentifier()) scan.identifier();
  } else if (scan.atIdentifier()) {
    const name = scan.identifier();
    if (scan.eat(C.EQ)) {
      // `_x => ...`: one identifier, which names no dependency when it starts with `_`.
      if (!scan.eat(C.GT) || !name.startsWith("_")) throw BAIL;
      return { ok: true, dependencies: [], usesContext: false };
    }
    // else a method `name(`
  }
  scan.expect(C.LPAREN);
  if (scan.eat(C.RPAREN)) return { ok: true, dependencies: [], usesContext: false };
  let dependencies: DependencyDecl[] = [];
  if (scan.eat(C.LBRACE)) {
    dependencies = objectPattern(scan);
    if (scan.eat(C.EQ)) {
      // Only `= {}` as the whole parameter's default.
      scan.expect(C.LBRACE);
      scan.expect(C.RBRACE);
    }
  } else {
    const name = scan.identifier();
    if (!name.startsWith("_")) throw BAIL;
  }
  if (scan.eat(C.RPAREN)) return { ok: true, dependencies, usesContext: false };
  scan.expect(C.COMMA);
  if (scan.eat(C.RPAREN)) return { ok: true, dependencies, usesContext: false }; // trailing comma
  scan.identifier(); // the context, a plain name
  scan.eat(C.COMMA);
  scan.expect(C.RPAREN);
  return { ok: true, dependencies, usesContext: true };
}

/** `{ a, b = 1, c: local, d: local = "x", }` after its `{`, through its `}`. */
function objectPattern(scan: Scanner): DependencyDecl[] {
  const dependencies: DependencyDecl[] = [];
  let seen: Set<string> | undefined;
  for (;;) {
    if (scan.eat(C.RBRACE)) return dependencies;
    const name = scan.identifier();
    let optional = false;
    if (scan.eat(C.COLON)) {
      scan.identifier();
      if (scan.eat(C.EQ)) {
        optional = true;
        scan.simpleValue();
      }
    } else if (scan.eat(C.EQ)) {
      optional = true;
      scan.simpleValue();
    }
    // Names repeat only as `{ a: x, a: y }`; the first one counts, as in the full reader.
    if (dependencies.length < 8) {
      if (!dependencies.some((d) => d.name === name)) dependencies.push({ name, optional });
    } else {
      if (seen === undefined) seen = new Set(dependencies.map((d) => d.name));
      if (!seen.has(name)) {
        seen.add(name);
        dependencies.push({ name, optional });
      }
    }
    if (scan.eat(C.RBRACE)) return dependencies;
    scan.expect(C.COMMA);
  }
}
