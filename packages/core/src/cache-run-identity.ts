/**
 * Whether a node function reads its run's identity — `ctx.runId` or `ctx.taskId` of its second
 * parameter, whatever that parameter is named — so the cache never serves it from an earlier run
 * (a stored `runId` would be the run that stored it). Read from the node's source with acorn,
 * once per node per driver.
 *
 * The answer errs on the side of "reads it": the context passed on whole (`helper(ctx)`, `{ ...ctx }`,
 * `const c = ctx`), a computed key (`ctx[k]`), `arguments`, a rest element in a destructured
 * context, or source that cannot be parsed all count as reading it. Only `ctx.signal`,
 * `ctx.warn(…)` and `ctx.nodeName` (or destructuring just those) leave a node cacheable.
 *
 * @module
 */
import { parse } from "acorn";

/** The context's properties that do not change between runs of the same node, or do not matter. */
const SAFE = new Set(["signal", "warn", "nodeName"]);

interface AstNode {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** True when the function whose source this is may read `runId` or `taskId` of its run context. */
export function readsRunIdentity(source: string): boolean {
  const fn = parseFunction(source);
  if (fn === undefined) return true;
  const params = fn.params as readonly AstNode[];
  if (mentionsArguments(fn)) return true;
  const second = params[1];
  if (second === undefined) return false;
  return patternReads(second, fn);
}

/** The function node of a function's source: an expression, or a method (`name(a, b) { … }`). */
function parseFunction(source: string): AstNode | undefined {
  for (const [before, after] of [
    ["(", ")"],
    ["({", "})"],
  ] as const) {
    let program: AstNode;
    try {
      program = parse(`${before}${source}\n${after}`, { ecmaVersion: "latest" }) as unknown as AstNode;
    } catch {
      continue;
    }
    const statement = (program.body as AstNode[])[0];
    let expression = statement?.type === "ExpressionStatement" ? (statement.expression as AstNode) : undefined;
    if (expression?.type === "ObjectExpression") {
      const property = (expression.properties as AstNode[])[0];
      expression = property?.type === "Property" ? (property.value as AstNode) : undefined;
    }
    if (
      expression !== undefined &&
      (expression.type === "FunctionExpression" || expression.type === "ArrowFunctionExpression")
    )
      return expression;
  }
  return undefined;
}

/** Whether the second parameter, as written, can reach the run's identity. */
function patternReads(pattern: AstNode, fn: AstNode): boolean {
  switch (pattern.type) {
    case "Identifier":
      return identifierReads(pattern.name as string, pattern, fn);
    case "AssignmentPattern":
      return patternReads(pattern.left as AstNode, fn);
    case "ObjectPattern":
      for (const property of pattern.properties as AstNode[]) {
        if (property.type !== "Property" || property.computed === true) return true;
        const key = property.key as AstNode;
        const name = key.type === "Identifier" ? (key.name as string) : String(key.value);
        if (!SAFE.has(name)) return true;
      }
      return false;
    default:
      return true; // an array pattern or anything else: not a shape the context is read with
  }
}

/**
 * Whether a parameter named `name` is used other than as `name.signal`, `name.warn` or
 * `name.nodeName`. Every identifier `name` in the function counts (a shadowing variable of the
 * same name included: that errs on the safe side).
 */
function identifierReads(name: string, declaration: AstNode, fn: AstNode): boolean {
  let reads = false;
  walk(fn, undefined, (node, parent) => {
    if (reads || node === declaration || node.type !== "Identifier" || node.name !== name) return;
    if (parent === undefined) return;
    if (!isReference(node, parent)) return;
    if (
      parent.type === "MemberExpression" &&
      parent.object === node &&
      parent.computed !== true &&
      (parent.property as AstNode).type === "Identifier" &&
      SAFE.has((parent.property as AstNode).name as string)
    )
      return;
    reads = true;
  });
  return reads;
}

/** Whether an identifier is a reference to a variable (not a property name or a label). */
function isReference(node: AstNode, parent: AstNode): boolean {
  switch (parent.type) {
    case "MemberExpression":
      return parent.object === node || parent.computed === true;
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition":
      // `{ name: 1 }` is a key; `{ name }` (shorthand) reads it, through its value node.
      return parent.value === node || parent.computed === true;
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
      return false;
    default:
      return true;
  }
}

/** `arguments` anywhere in a non-arrow function reaches every argument, the context included. */
function mentionsArguments(fn: AstNode): boolean {
  let found = false;
  walk(fn, undefined, (node, parent) => {
    if (!found && node.type === "Identifier" && node.name === "arguments" && parent !== undefined)
      found = isReference(node, parent);
  });
  return found;
}

function walk(node: AstNode, parent: AstNode | undefined, visit: (node: AstNode, parent: AstNode | undefined) => void) {
  visit(node, parent);
  for (const key in node) {
    if (key === "type" || key === "start" || key === "end" || key === "loc" || key === "range") continue;
    const child = node[key];
    if (Array.isArray(child)) {
      for (const item of child) if (isNode(item)) walk(item, node, visit);
    } else if (isNode(child)) walk(child, node, visit);
  }
}

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
