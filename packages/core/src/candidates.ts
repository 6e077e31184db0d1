/**
 * Stage 1 of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link collectCandidates}: from the modules given to `withModules`, the functions that
 * will be nodes — every function-valued property not starting with `_` — with `configWhen*`
 * variants resolved against the config and duplicate names reported. Gives `drafts` one
 * {@link Candidate} (name, export, function, module) per node-to-be; knows nothing of
 * parameters or modifiers beyond `configWhen`.
 */
import type { BuildProblem } from "./errors.js";
import { configMatches, describeRule, specOf } from "./modifiers.js";

/** One exported function that will become one or more nodes. */
export interface Candidate {
  /** The node name (the export name, without a `configWhen` `__variant` suffix). */
  readonly name: string;
  readonly exportName: string;
  readonly value: Function;
  /** The position of its module in `withModules(...)`. */
  readonly moduleIndex: number;
}

/**
 * Collects the functions of the modules: every function-valued, non-`_` property, with
 * `configWhen` variants resolved against the config and duplicate names reported.
 */
export function collectCandidates(
  modules: readonly object[],
  config: Readonly<Record<string, unknown>>,
  allowModuleOverrides: boolean,
  problems: BuildProblem[],
  unmatched?: Map<string, string[]>,
): Candidate[] {
  const chosen = new Map<string, Candidate>();
  // Every variant seen, matching or not, by node name: "rawText__txt (when format = "txt")".
  const seenVariants = new Map<string, string[]>();
  const variants = new Map<string, Candidate[]>();
  for (let moduleIndex = 0; moduleIndex < modules.length; moduleIndex++) {
    const module = modules[moduleIndex];
    if (module === null || (typeof module !== "object" && typeof module !== "function")) {
      problems.push({
        code: "INVALID_NODE",
        node: undefined,
        message: `Module #${moduleIndex} is ${module === null ? "null" : typeof module}: pass objects whose functions are nodes (e.g. import * as dataflow from "./dataflow.js").`,
      });
      continue;
    }
    for (const exportName of Object.keys(module)) {
      if (exportName.startsWith("_")) continue;
      const value = (module as Record<string, unknown>)[exportName];
      if (typeof value !== "function") continue;
      const spec = specOf(value);
      let name = exportName;
      const candidate = { name, exportName, value, moduleIndex };
      if (spec?.configWhen !== undefined) {
        const cut = exportName.lastIndexOf("__");
        if (cut > 0) name = exportName.slice(0, cut);
        const seen = seenVariants.get(name) ?? [];
        seen.push(`"${exportName}" (when ${describeRule(spec.configWhen)})`);
        seenVariants.set(name, seen);
        if (!configMatches(spec.configWhen, config)) continue;
        const list = variants.get(name) ?? [];
        list.push({ ...candidate, name });
        variants.set(name, list);
        if (list.length > 1) continue; // reported below, once for all variants
      }
      const existing = chosen.get(name);
      // Chosen from this module already: every name chosen here is set with this module's index.
      const seenHere = existing?.moduleIndex === moduleIndex;
      if (existing !== undefined && (seenHere || !allowModuleOverrides)) {
        problems.push({
          code: "DUPLICATE_NODE",
          node: name,
          message: seenHere
            ? `Node "${name}" is defined twice in module #${moduleIndex} of withModules(...): by export "${existing.exportName}" and by export "${exportName}". Rename one of them.`
            : `Node "${name}" is defined in two modules: by export "${existing.exportName}" of module #${existing.moduleIndex} and by export "${exportName}" of module #${moduleIndex} (modules counted from 0 in withModules(...)). Rename one, or call allowModuleOverrides() to let the later module win.`,
        });
      }
      chosen.set(name, candidate.name === name ? candidate : { ...candidate, name });
    }
  }
  for (const [name, list] of variants) {
    if (list.length > 1) {
      problems.push({
        code: "DUPLICATE_NODE",
        node: name,
        message: `${list.length} variants of node "${name}" match the config (${list.map((c) => `"${c.exportName}"`).join(", ")}); exactly one may. Make their configWhen conditions exclusive.`,
      });
    }
  }
  if (unmatched !== undefined) {
    for (const [name, list] of seenVariants) if (!chosen.has(name)) unmatched.set(name, list);
  }
  return [...chosen.values()];
}
