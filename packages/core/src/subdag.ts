import { NO_FINAL_NODE } from "./drafts.js";
import { HamiltonError } from "./errors.js";
import { attach, checkFunction, type SourceBinding, type ValueBinding } from "./modifiers.js";
import type { SubdagBrand } from "./types.js";

/** Options of {@link subdag}. */
export interface SubdagOptions {
  /**
   * Values for the embedded dataflow's external inputs: `value(x)` or `source("outerNode")`.
   * Inputs not listed here are read from the outer graph under the same name.
   */
  inputs?: Readonly<Record<string, ValueBinding | SourceBinding>>;
  /** Config for the embedded dataflow, on top of the outer config (chooses its `configWhen` variants). */
  config?: Readonly<Record<string, unknown>>;
  /** Prefix of the embedded nodes' names (`namespace.node`). Default: the export's name. */
  namespace?: string;
}

/**
 * Embeds another dataflow (Hamilton's `@subdag`): its nodes join the graph as
 * `namespace.node`. With `fn`, the export is also a node that receives the embedded nodes it names
 * in its parameters; without it, the export only contributes the embedded nodes.
 *
 * @example
 * export const english = subdag([summarizer], { inputs: { text: source("articleEn") } },
 *   ({ summary }: { summary: string }) => summary);
 */
export function subdag<const Ms extends readonly object[], F extends Function, const NS extends string = never>(
  modules: Ms,
  options: SubdagOptions & { namespace?: NS },
  fn: F,
): F & SubdagBrand<Ms, NS, true>;
export function subdag<const Ms extends readonly object[], const NS extends string = never>(
  modules: Ms,
  options?: SubdagOptions & { namespace?: NS },
): (() => never) & SubdagBrand<Ms, NS, false>;
export function subdag(modules: readonly object[], options: SubdagOptions = {}, fn?: Function): Function {
  if (!Array.isArray(modules) || modules.length === 0) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `subdag(modules, options, fn?): modules must be a non-empty array of module objects.`,
    );
  }
  if (options.namespace !== undefined && !/^[A-Za-z_$][\w$]*$/.test(options.namespace)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `subdag(...): namespace must be an identifier, got ${JSON.stringify(options.namespace)}.`,
    );
  }
  if (fn !== undefined) checkFunction(fn, "subdag(modules, options, fn)");
  const target = fn ?? NO_FINAL_NODE;
  return attach(target, {
    fn: target,
    subdag: {
      modules: [...modules],
      inputs: options.inputs ?? {},
      config: options.config ?? {},
      namespace: options.namespace,
    },
  });
}
