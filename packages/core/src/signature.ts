import { parseExpressionAt, tokenizer, type Node as AcornNode, type Pattern, tokTypes } from "acorn";

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

const cache = new WeakMap<Function, Signature>();

/**
 * Reads a node function's dependencies from its single destructured object parameter, with a real
 * JavaScript parser (acorn): only the parameter list is parsed, however long the body. Cached per
 * function object.
 */
export function readSignature(fn: Function): Signature {
  let signature = cache.get(fn);
  if (signature === undefined) {
    signature = parse(fn);
    cache.set(fn, signature);
  }
  return signature;
}

const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

function parse(fn: Function): Signature {
  const source = Function.prototype.toString.call(fn);
  if (fn.name.startsWith("bound ") || NATIVE.test(source)) {
    return { ok: false, reason: "it is a native or bound function, whose parameters cannot be read" };
  }
  let params: string | undefined;
  try {
    params = parameterText(source);
  } catch {
    params = undefined;
  }
  if (params === undefined) return { ok: false, reason: "its parameter list could not be read" };
  if (params === CLASS) return { ok: false, reason: "it is a class, not a function" };

  let nodes: Pattern[];
  try {
    const arrow = parseExpressionAt(`(${params}) => 0`, 0, { ecmaVersion: "latest" }) as AcornNode & {
      params: Pattern[];
    };
    nodes = arrow.params;
  } catch {
    return { ok: false, reason: "its parameter list could not be parsed" };
  }
  if (nodes.length > 2) {
    return { ok: false, reason: `it has ${nodes.length} parameters; a node takes (dependencies, context)` };
  }
  const usesContext = nodes.length === 2;
  const first = nodes[0];
  if (first === undefined) return { ok: true, dependencies: [], usesContext };
  if (first.type === "RestElement") {
    return { ok: false, reason: "its parameters are a rest element (...args), which names no dependencies" };
  }
  const pattern = first.type === "AssignmentPattern" ? first.left : first;
  if (pattern.type === "Identifier") {
    if (pattern.name.startsWith("_")) return { ok: true, dependencies: [], usesContext };
    return {
      ok: false,
      reason:
        `its first parameter is \`${pattern.name}\`, not a destructured object, so its dependencies ` +
        `cannot be read (write ({ a, b }) => ..., or name it _${pattern.name} if it needs none)`,
    };
  }
  if (pattern.type !== "ObjectPattern") {
    return { ok: false, reason: "its first parameter is not a destructured object ({ a, b })" };
  }
  const dependencies: DependencyDecl[] = [];
  for (const property of pattern.properties) {
    if (property.type === "RestElement") {
      return { ok: false, reason: "its destructured parameter has a rest element (...rest), which names no dependency" };
    }
    if (property.computed) {
      return { ok: false, reason: "its destructured parameter has a computed key ([key]), which names no dependency" };
    }
    const key = property.key;
    let name: string;
    if (key.type === "Identifier") name = key.name;
    else if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) {
      name = String(key.value);
    } else return { ok: false, reason: "its destructured parameter has a key that is not a name" };
    dependencies.push({ name, optional: property.value.type === "AssignmentPattern" });
  }
  return { ok: true, dependencies, usesContext };
}

const CLASS = "\u0000class";

/**
 * Finds the text between the parentheses of the function's parameter list (or the single
 * parameter of `x => ...`) by walking acorn's tokens, so strings, templates, regexes and nested
 * brackets in default values are handled.
 */
function parameterText(source: string): string | undefined {
  const tokens = tokenizer(source, { ecmaVersion: "latest" });
  let depth = 0;
  let previous: { type: unknown; value: unknown; start: number; end: number } | undefined;
  let first = true;
  for (const token of tokens) {
    if (first) {
      first = false;
      if (token.type === tokTypes._class) return CLASS;
    }
    const type = token.type;
    if (depth === 0 && type === tokTypes.arrow && previous && previous.type === tokTypes.name) {
      return source.slice(previous.start, previous.end);
    }
    if (depth === 0 && type === tokTypes.parenL) {
      const open = token.end;
      let inner = 0;
      for (const t of tokens) {
        if (t.type === tokTypes.parenL || t.type === tokTypes.bracketL || t.type === tokTypes.braceL || t.type === tokTypes.dollarBraceL) {
          inner++;
        } else if (t.type === tokTypes.parenR || t.type === tokTypes.bracketR || t.type === tokTypes.braceR) {
          if (inner === 0) {
            if (t.type !== tokTypes.parenR) return undefined;
            return source.slice(open, t.start);
          }
          inner--;
        }
      }
      return undefined;
    }
    if (type === tokTypes.bracketL || type === tokTypes.braceL) depth++;
    else if (type === tokTypes.bracketR || type === tokTypes.braceR) depth--;
    previous = token as typeof previous;
  }
  return undefined;
}
