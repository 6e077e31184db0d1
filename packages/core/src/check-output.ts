import { isThenable, WarnOnce } from "@hamilton-ts/lifecycle/internal";
import { HamiltonError } from "./errors.js";
import { attach, checkFunction, specOf, type NodeContext, type OutputCheck } from "./modifiers.js";

/**
 * The Standard Schema interface (https://standardschema.dev), which zod, valibot, arktype and
 * others implement. Declared here so that no schema library is a dependency.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The result of a Standard Schema validation. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardSchemaIssue[] };

/** One issue a Standard Schema reports. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/**
 * A predicate check: `true` (or an empty array) when the value is fine; `false`, a message or a
 * list of messages when it is not.
 */
export type OutputPredicate<T> = (value: T) => boolean | string | readonly string[];

/** Options of {@link checkOutput}. */
export interface CheckOutputOptions {
  /**
   * `fail` (default) fails the node with a `DATA_VALIDATION` error listing the issues; `warn`
   * keeps the value, logs once per node, and reports the issues on the node's after-event as
   * `warnings` (the tracer records them as span events, the tracker with the node run).
   */
  importance?: "warn" | "fail";
}

function isStandardSchema(x: unknown): x is StandardSchemaV1 {
  const std = (x as { "~standard"?: { version?: unknown; validate?: unknown } } | null)?.["~standard"];
  return typeof std === "object" && std !== null && std.version === 1 && typeof std.validate === "function";
}

function formatIssue(issue: StandardSchemaIssue): string {
  const path = issue.path?.map((p) => String(typeof p === "object" && p !== null ? p.key : p)).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function schemaCheck(schema: StandardSchemaV1): OutputCheck["validate"] {
  return (value) => {
    const result = schema["~standard"].validate(value);
    const issues = (r: StandardSchemaResult<unknown>) => (r.issues ? r.issues.map(formatIssue) : []);
    return isThenable(result) ? Promise.resolve(result).then(issues) : issues(result);
  };
}

function predicateCheck(predicate: OutputPredicate<unknown>): OutputCheck["validate"] {
  return (value) => {
    const out = predicate(value);
    if (out === true) return [];
    if (out === false)
      return [`the value does not satisfy ${predicate.name ? `"${predicate.name}"` : "the predicate"}`];
    return typeof out === "string" ? [out] : [...out];
  };
}

/**
 * Checks a node's result (Hamilton's `@check_output`) against a Standard Schema — zod, valibot,
 * arktype... — or a predicate. The value itself is passed on unchanged (a schema's transforms are
 * not applied).
 *
 * @example
 * export const scores = checkOutput(z.array(z.number().min(0).max(1)), ({ raw }: { raw: number[] }) => raw.map(norm));
 * export const summary = checkOutput((s: string) => s.length < 500 || "summary too long", fn, { importance: "warn" });
 */
export function checkOutput<F extends (...args: never[]) => unknown>(
  check: StandardSchemaV1 | OutputPredicate<Awaited<ReturnType<F>>>,
  fn: F,
  options: CheckOutputOptions = {},
): F {
  const importance = options.importance ?? "fail";
  if (importance !== "warn" && importance !== "fail") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `checkOutput(..., { importance }): importance must be "warn" or "fail", got ${JSON.stringify(importance)}.`,
    );
  }
  let validate: OutputCheck["validate"];
  let description: string;
  if (isStandardSchema(check)) {
    validate = schemaCheck(check);
    description = `${check["~standard"].vendor} schema`;
  } else if (typeof check === "function") {
    validate = predicateCheck(check as OutputPredicate<unknown>);
    description = check.name ? `predicate "${check.name}"` : "predicate";
  } else {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `checkOutput(check, fn): check must be a Standard Schema (zod, valibot, arktype... — an object with a "~standard" property of version 1) or a predicate function; got ${
        check === null ? "null" : typeof check
      }.`,
    );
  }
  checkFunction(fn, "checkOutput(check, fn)");
  const checks = [...(specOf(fn)?.checks ?? []), { validate, importance, description }];
  return attach(fn, { checks });
}

/**
 * Wraps a node's call with its checks: runs every check on the value, fails the node on `fail`
 * issues and reports `warn` issues through the context. Synchronous as long as the node and the
 * checks are (a synchronous node with a zod schema stays synchronous); it awaits a promised value
 * or a check that returns a promise.
 */
export function withChecks(
  nodeName: string,
  call: (deps: Record<string, unknown>, ctx: NodeContext) => unknown,
  checks: readonly OutputCheck[],
): (deps: Record<string, unknown>, ctx: NodeContext) => unknown {
  const warnOnce = new WarnOnce();
  const record = (check: OutputCheck, issues: readonly string[], ctx: NodeContext, failures: string[]): void => {
    if (issues.length === 0) return;
    if (check.importance === "fail") {
      failures.push(...issues.map((i) => `${i} (${check.description})`));
      return;
    }
    for (const issue of issues) ctx.warn(`${issue} (${check.description})`);
    warnOnce.warn(
      check,
      () =>
        `[hamilton-ts] node "${nodeName}": output check (${check.description}) found ${issues.length} issue${issues.length === 1 ? "" : "s"}: ${issues.join("; ")}. ` +
        `Importance is "warn", so the value is kept; later warnings of this check are reported to adapters only.`,
    );
  };
  const run = (value: unknown, ctx: NodeContext, from: number, failures: string[]): unknown => {
    for (let i = from; i < checks.length; i++) {
      const check = checks[i]!;
      const issues = check.validate(value);
      if (isThenable(issues)) {
        return Promise.resolve(issues).then((list) => {
          record(check, list, ctx, failures);
          return run(value, ctx, i + 1, failures);
        });
      }
      record(check, issues, ctx, failures);
    }
    if (failures.length > 0) throw new DataValidationError(nodeName, failures);
    return value;
  };
  return (deps, ctx) => {
    const out = call(deps, ctx);
    return isThenable(out) ? Promise.resolve(out).then((v) => run(v, ctx, 0, [])) : run(out, ctx, 0, []);
  };
}

/** A node's result failed a `checkOutput` whose importance is `fail`. */
export class DataValidationError extends HamiltonError {
  /** Every problem found. */
  readonly issues: readonly string[];
  constructor(nodeName: string, issues: readonly string[]) {
    super(
      "DATA_VALIDATION",
      `Output of node "${nodeName}" failed validation with ${issues.length} issue${issues.length === 1 ? "" : "s"}: ${issues.join("; ")}.`,
    );
    this.name = "DataValidationError";
    this.issues = issues;
  }
}
