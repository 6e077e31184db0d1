/**
 * Stage 2 of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link expandCandidate}: one candidate function becomes its node(s) as {@link Draft}s —
 * its dependencies read from its parameter (`signature.ts`) or given by `node(...)`, and its
 * modifiers applied: `inject`/`parameterize` bindings, `extractFields`, `checkOutput`, `subdag`,
 * `parallelize`/`collect`, `cache`, `wrapNode`. Drafts are unwired: `graph` gives them indices.
 */
import type { TagValue } from "@hamilton-ts/lifecycle";
import type { CacheBehavior } from "./cache.js";
import { collectCandidates, type Candidate } from "./candidates.js";
import { withChecks } from "./check-output.js";
import { HamiltonError, type BuildProblem } from "./errors.js";
import { specOf, type Binding, type NodeContext, type NodeSpec } from "./modifiers.js";
import { readFunction, readSignature, sourceOf, type DependencyDecl } from "./signature.js";
import { EMPTY } from "./empty-record.js";

/** How the engine calls a node: with its dependencies by node name, and the run context. */
export type NodeCall = (deps: Record<string, unknown>, ctx: NodeContext) => unknown;

/** One node, before wiring. */
export interface Draft {
  readonly name: string;
  /** Where the node comes from, for messages: `"stats"`, or `field "mean" of "stats"`. */
  readonly origin: string;
  /** The export the node comes from. */
  readonly functionName: string;
  readonly call: NodeCall;
  readonly usesContext: boolean;
  /** Dependencies by node name, distinct. */
  readonly deps: readonly DependencyDecl[];
  readonly tags: Readonly<Record<string, TagValue>>;
  readonly doc: string;
  /** The source of the function the node runs (never a whole file). */
  readonly source: string;
  /** The function whose source that is (its original text, file and line are found from it, lazily). */
  readonly sourceFn: Function;
  readonly kind: "transform" | "expand" | "collect";
  /** What the node's code version covers beyond its source: bound values, a subdag's inputs and config. */
  readonly codeInputs?: unknown;
  /** The `cache` modifier's behaviour. */
  readonly cacheBehavior?: CacheBehavior | undefined;
}

interface Context {
  readonly config: Readonly<Record<string, unknown>>;
  readonly problems: BuildProblem[];
}

/** Turns one exported function into its nodes, applying its modifiers. */
export function expandCandidate(candidate: Candidate, context: Context): Draft[] {
  const spec = specOf(candidate.value);
  if (spec === undefined) {
    const draft = plainDraft(candidate, context);
    return draft === undefined ? [] : [draft];
  }
  if (spec.subdag !== undefined) return expandSubdag(candidate, spec, context);
  const fn = spec.fn ?? candidate.value;
  // wrapNode: the wrapped function defines the node, the wrapper runs (always given the context).
  const definedBy = spec.definedBy ?? fn;
  const signature = signatureOf(candidate, spec, definedBy, context);
  if (signature === undefined) return [];
  const base = {
    functionName: candidate.exportName,
    usesContext: spec.definedBy !== undefined || signature.usesContext,
    tags: spec.tags ?? EMPTY,
    doc: spec.doc ?? "",
    source: sourceOf(definedBy),
    sourceFn: definedBy,
    kind: spec.kind ?? "transform",
  } as const;
  const call = fn as NodeCall;
  const drafts: Draft[] = [];
  const variants: Array<[string, Readonly<Record<string, Binding>>, string]> = spec.parameterize
    ? Object.entries(spec.parameterize).map(([name, b]) => [
        name,
        { ...(spec.bindings ?? {}), ...b },
        `"${candidate.exportName}" (parameterize "${name}")`,
      ])
    : [[candidate.name, spec.bindings ?? {}, `"${candidate.exportName}"`]];
  for (const [name, bindings, origin] of variants) {
    const bound = bind(signature.dependencies, bindings, call, origin, context.problems);
    if (bound === undefined) continue;
    let nodeCall = bound.call;
    // A bound call passes the context through: the function's own need decides.
    let usesContext = base.usesContext;
    if (spec.checks !== undefined && spec.checks.length > 0) {
      nodeCall = withChecks(name, nodeCall, spec.checks);
      usesContext = true;
    }
    drafts.push({
      ...base,
      name,
      origin,
      call: nodeCall,
      usesContext,
      deps: bound.deps,
      codeInputs: Object.keys(bindings).length === 0 ? undefined : bindings,
      cacheBehavior: spec.cache,
    });
    for (const field of spec.fields ?? []) drafts.push(fieldDraft(name, field, base));
  }
  return drafts;
}

/**
 * A function with no modifier (`specOf` gives nothing): one node, no bindings (the common case,
 * kept allocation-light; `graph` calls it directly, without the array of `expandCandidate`).
 */
export function plainDraft(candidate: Candidate, context: Context): Draft | undefined {
  const fn = candidate.value;
  const { source, signature } = readFunction(fn);
  if (!signature.ok) {
    reportUnreadable(candidate, signature.reason, context);
    return undefined;
  }
  return {
    name: candidate.name,
    origin: `"${candidate.exportName}"`,
    functionName: candidate.exportName,
    call: fn as NodeCall,
    usesContext: signature.usesContext,
    deps: signature.dependencies,
    tags: EMPTY,
    doc: "",
    source,
    sourceFn: fn,
    kind: "transform",
  };
}

function signatureOf(
  candidate: Candidate,
  spec: NodeSpec | undefined,
  fn: Function,
  context: Context,
): { dependencies: readonly DependencyDecl[]; usesContext: boolean } | undefined {
  if (spec?.dependencies !== undefined)
    return { dependencies: spec.dependencies, usesContext: spec.usesContext ?? true };
  const signature = readSignature(fn);
  if (signature.ok) return signature;
  reportUnreadable(candidate, signature.reason, context);
  return undefined;
}

/** Reports a function whose parameter list says nothing usable, with what to do instead. */
function reportUnreadable(candidate: Candidate, reason: string, context: Context): void {
  const hint = reason.includes("class")
    ? `Prefix the export with _ if it is not a node.`
    : reason.includes("(...args)")
      ? `If it wraps a node function (a timer, a retry), export wrapNode(fn, (fn) => (...args) => fn(...args)) instead: ` +
        `the node keeps fn's dependencies, name and source. Else declare its dependencies with node(["dep1", "dep2"], fn).`
      : `Declare its dependencies explicitly with node(["dep1", "dep2"], fn).`;
  context.problems.push({
    code: "INVALID_NODE",
    node: candidate.name,
    message: `"${candidate.exportName}" cannot be a node: ${reason}. ${hint}`,
  });
}

/** A node that reads one field of another node's object result. */
function fieldDraft(parent: string, field: string, base: Omit<Draft, "name" | "origin" | "call" | "deps">): Draft {
  const call: NodeCall = (deps) => {
    const value = deps[parent];
    if (value === null || typeof value !== "object" || !(field in value)) {
      throw new HamiltonError(
        "NODE_FAILED",
        `extractFields: node "${parent}" returned ${value === null || typeof value !== "object" ? String(value) : "an object without this field"}, so field "${field}" cannot be read.`,
      );
    }
    return (value as Record<string, unknown>)[field];
  };
  return {
    ...base,
    name: field,
    origin: `field "${field}" of "${parent}" (extractFields)`,
    call,
    usesContext: false,
    deps: [{ name: parent, optional: false }],
    kind: "transform",
  };
}

/**
 * Binds parameters: the node's dependencies become the bound sources (and unbound parameters),
 * and the call maps them back onto the function's own parameter names.
 */
export function bind(
  params: readonly DependencyDecl[],
  bindings: Readonly<Record<string, Binding>>,
  call: NodeCall,
  origin: string,
  problems: BuildProblem[],
): { deps: DependencyDecl[]; call: NodeCall } | undefined {
  const keys = Object.keys(bindings);
  if (keys.length === 0) return { deps: [...params], call };
  const names = new Set(params.map((p) => p.name));
  const unknown = keys.filter((k) => !names.has(k));
  if (unknown.length > 0) {
    problems.push({
      code: "INVALID_NODE",
      node: undefined,
      message: `${origin} binds ${unknown.map((u) => `"${u}"`).join(", ")}, which ${unknown.length === 1 ? "is not a parameter" : "are not parameters"} of the function (its parameters: ${
        params.map((p) => p.name).join(", ") || "none"
      }).`,
    });
    return undefined;
  }
  const deps = new Map<string, boolean>();
  const need = (name: string, optional: boolean) => deps.set(name, (deps.get(name) ?? true) && optional);
  type Step = (from: Record<string, unknown>, to: Record<string, unknown>) => void;
  const steps: Step[] = [];
  for (const p of params) {
    const b = bindings[p.name];
    if (b === undefined) {
      need(p.name, p.optional);
      steps.push((from, to) => {
        if (p.name in from) to[p.name] = from[p.name];
      });
    } else if (b.kind === "value") {
      steps.push((_from, to) => {
        to[p.name] = b.value;
      });
    } else if (b.kind === "source") {
      need(b.name, p.optional);
      steps.push((from, to) => {
        if (b.name in from) to[p.name] = from[b.name];
      });
    } else {
      const leaf = (x: Binding, from: Record<string, unknown>) =>
        x.kind === "value" ? x.value : x.kind === "source" ? from[x.name] : undefined;
      if (Array.isArray(b.items)) {
        const items = b.items as readonly Binding[];
        for (const x of items) if (x.kind === "source") need(x.name, false);
        steps.push((from, to) => {
          to[p.name] = items.map((x) => leaf(x, from));
        });
      } else {
        const entries = Object.entries(b.items as Readonly<Record<string, Binding>>);
        for (const [, x] of entries) if (x.kind === "source") need(x.name, false);
        steps.push((from, to) => {
          const out: Record<string, unknown> = {};
          for (const [k, x] of entries) out[k] = leaf(x, from);
          to[p.name] = out;
        });
      }
    }
  }
  const bound: NodeCall = (from, ctx) => {
    const to: Record<string, unknown> = {};
    for (const step of steps) step(from, to);
    return call(to, ctx);
  };
  return { deps: [...deps].map(([name, optional]) => ({ name, optional })), call: bound };
}

/** Embeds another dataflow: its nodes under `namespace.`, its inputs bound or read from outside. */
function expandSubdag(candidate: Candidate, spec: NodeSpec, context: Context): Draft[] {
  const sub = spec.subdag!;
  const ns = sub.namespace ?? candidate.name;
  const config = { ...context.config, ...sub.config };
  const origin = `subdag "${candidate.exportName}"`;
  const candidates = collectCandidates(sub.modules, config, false, context.problems);
  const inner = candidates.flatMap((c) => expandCandidate(c, { config, problems: context.problems }));
  const produced = new Set(inner.map((d) => d.name));
  for (const name of Object.keys(sub.inputs)) {
    if (produced.has(name)) {
      context.problems.push({
        code: "INVALID_NODE",
        node: candidate.name,
        message: `${origin}: input "${name}" is a node of the subdag, not one of its inputs. Bind only the subdag's external inputs.`,
      });
    }
  }
  const drafts: Draft[] = [];
  for (const d of inner) {
    const bindings: Record<string, Binding> = {};
    for (const dep of d.deps) {
      if (produced.has(dep.name)) bindings[dep.name] = { kind: "source", name: `${ns}.${dep.name}` };
      else if (sub.inputs[dep.name] !== undefined) bindings[dep.name] = sub.inputs[dep.name]!;
    }
    const bound = bind(d.deps, bindings, d.call, origin, context.problems)!;
    drafts.push({
      ...d,
      name: `${ns}.${d.name}`,
      origin: `"${d.name}" of ${origin}`,
      call: bound.call,
      deps: bound.deps,
      usesContext: d.usesContext,
      tags: { ...spec.tags, ...d.tags, "hamilton.subdag": ns },
      codeInputs: { own: d.codeInputs, inputs: bindings, config: sub.config ?? {} },
    });
  }
  if (spec.fn !== NO_FINAL_NODE) {
    const signature = signatureOf(candidate, spec, spec.fn, context);
    if (signature !== undefined) {
      const bindings: Record<string, Binding> = {};
      for (const p of signature.dependencies) {
        if (produced.has(p.name)) bindings[p.name] = { kind: "source", name: `${ns}.${p.name}` };
      }
      const call = spec.fn as NodeCall;
      const bound = bind(signature.dependencies, bindings, call, origin, context.problems);
      if (bound !== undefined) {
        drafts.push({
          name: candidate.name,
          origin: `"${candidate.exportName}"`,
          functionName: candidate.exportName,
          call: bound.call,
          usesContext: signature.usesContext,
          deps: bound.deps,
          tags: spec.tags,
          doc: spec.doc ?? "",
          source: sourceOf(spec.fn),
          sourceFn: spec.fn,
          kind: "transform",
          cacheBehavior: spec.cache,
        });
      }
    }
  }
  return drafts;
}

/** The function a `subdag` without a final function carries (it produces no node of its own). */
export function NO_FINAL_NODE(): never {
  throw new Error("a subdag without a final function is not callable");
}
