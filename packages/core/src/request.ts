import { typeName } from "@hamilton-ts/lifecycle/internal";
import { HamiltonError, suggest } from "./errors.js";
import type { Graph } from "./graph.js";
import { EMPTY } from "./empty-record.js";

/**
 * What `execute` needs of a `signal`: the `AbortSignal` shape, so that signals from other realms
 * and polyfills work too.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

/** Checks execute's `finalVars`: an array (its names are checked against the graph by {@link checkRequest}). */
export function checkFinalVars(finalVars: unknown): void {
  if (!Array.isArray(finalVars)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `execute(finalVars, ...): finalVars must be an array of node names, e.g. ["universalTruth"].`,
    );
  }
}

/** Checks an execute's `signal`: AbortSignal-like, or none (`undefined`/`null`). */
export function checkSignal(signal: unknown): AbortSignalLike | undefined {
  if (signal === undefined || signal === null) return undefined;
  if (
    typeof signal !== "object" ||
    typeof (signal as { aborted?: unknown }).aborted !== "boolean" ||
    typeof (signal as { addEventListener?: unknown }).addEventListener !== "function"
  ) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `execute(..., { signal }): signal must be an AbortSignal (anything with an "aborted" flag and addEventListener), ` +
        `got ${describe(signal)}. Pass controller.signal of an AbortController, or leave it out.`,
    );
  }
  return signal as AbortSignalLike;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${typeName(value, "no class name")})`;
  return typeof value;
}

/** Checks that `what`, given at `where`, is a record (or absent). */
export function checkRecord(value: unknown, where: string, what: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return EMPTY;
  if (value instanceof Map) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: ${what} must be an object of name → value, got a Map (its entries would be ignored). ` +
        `Pass Object.fromEntries(map) instead.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: ${what} must be an object of name → value, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}.`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * The inputs nodes see: the config's values under the caller's inputs. A key set in both is an
 * error (a value must come from one place).
 */
export function inputsWithConfig(
  config: Readonly<Record<string, unknown>>,
  rawInputs: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const configKeys = Object.keys(config);
  if (configKeys.length === 0) return rawInputs;
  const clash = configKeys.filter((k) => Object.hasOwn(rawInputs, k));
  if (clash.length > 0) {
    throw new HamiltonError(
      "INVALID_INPUTS",
      `Input${clash.length === 1 ? "" : "s"} ${clash.map((k) => `"${k}"`).join(", ")} ` +
        `${clash.length === 1 ? "is" : "are"} also set in the config; a value must come from one place. ` +
        `Remove it from inputs or from withConfig(...).`,
    );
  }
  return { ...config, ...rawInputs };
}

/** `"name"`, with up to two close names as a did-you-mean. */
function withSuggestion(name: string, names: readonly string[]): string {
  const close = suggest(name, names);
  return `"${name}"${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(" or ")}?)` : ""}`;
}

/** Checks a request's names against the graph; throws what execute would. */
export function checkRequest(
  graph: Graph,
  finalVars: readonly string[],
  overrideNames: readonly string[],
  inputNames: ReadonlySet<string>,
): void {
  const { byName } = graph;
  const unknown = finalVars.filter((v) => typeof v !== "string" || !byName.has(v));
  if (unknown.length > 0) {
    const names = [...byName.keys()];
    const parts = unknown.map((v) => (typeof v === "string" ? withSuggestion(v, names) : `"${String(v)}"`));
    throw new HamiltonError(
      "UNKNOWN_OUTPUTS",
      `Unknown output${unknown.length === 1 ? "" : "s"} requested: ${parts.join(", ")}. ` +
        `The graph has ${names.length} nodes; driver.listAvailableVariables() lists them.`,
    );
  }
  const unknownOverrides = overrideNames.filter((v) => !byName.has(v));
  if (unknownOverrides.length > 0) {
    const names = [...byName.keys()];
    throw new HamiltonError(
      "UNKNOWN_OVERRIDES",
      `Override${unknownOverrides.length === 1 ? "" : "s"} for unknown node${unknownOverrides.length === 1 ? "" : "s"}: ${unknownOverrides
        .map((v) => withSuggestion(v, names))
        .join(", ")}. Overrides replace the value of existing nodes.`,
    );
  }
  const computedInputs = [...inputNames].filter((v) => {
    const n = byName.get(v);
    return n !== undefined && !n.info.isExternalInput;
  });
  if (computedInputs.length > 0) {
    throw new HamiltonError(
      "INVALID_INPUTS",
      `Input${computedInputs.length === 1 ? "" : "s"} ${computedInputs.map((v) => `"${v}"`).join(", ")} ` +
        `name${computedInputs.length === 1 ? "s a node" : " nodes"} the graph computes. ` +
        `To replace a computed value, pass it in overrides instead of inputs.`,
    );
  }
  const perItem = [...finalVars, ...overrideNames].filter((v) => byName.get(v)!.parallelizedBy !== -1);
  if (perItem.length > 0) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${perItem.map((v) => `"${v}"`).join(", ")} ${perItem.length === 1 ? "runs" : "run"} once per item of a fan-out ` +
        `("${byName.get(perItem[0]!)!.info.name}" is inside the fan-out of "${graph.nodes[byName.get(perItem[0]!)!.parallelizedBy]!.name}"), ` +
        `so ${perItem.length === 1 ? "it has" : "they have"} no single value to request or override. Request the collect node that gathers ${perItem.length === 1 ? "it" : "them"}.`,
    );
  }
}
