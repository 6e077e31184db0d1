import type { BuildProblem } from "./errors.js";
import { configMatches, specOf } from "./modifiers.js";

/** One exported function that will become one or more nodes. */
export interface Candidate {
  /** The node name (the export name, without a `configWhen` `__variant` suffix). */
  readonly name: string;
  readonly exportName: string;
  readonly value: Function;
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
): Candidate[] {
  const chosen = new Map<string, Candidate>();
  const variants = new Map<string, Candidate[]>();
  modules.forEach((module, moduleIndex) => {
    if (module === null || (typeof module !== "object" && typeof module !== "function")) {
      problems.push({
        code: "INVALID_NODE",
        node: undefined,
        message: `Module #${moduleIndex} is ${module === null ? "null" : typeof module}: pass objects whose functions are nodes (e.g. import * as dataflow from "./dataflow.js").`,
      });
      return;
    }
    const seenHere = new Set<string>();
    for (const exportName of Object.keys(module)) {
      if (exportName.startsWith("_")) continue;
      const value = (module as Record<string, unknown>)[exportName];
      if (typeof value !== "function") continue;
      const spec = specOf(value);
      let name = exportName;
      const candidate = { name, exportName, value };
      if (spec?.configWhen !== undefined) {
        const cut = exportName.lastIndexOf("__");
        if (cut > 0) name = exportName.slice(0, cut);
        if (!configMatches(spec.configWhen, config)) continue;
        const list = variants.get(name) ?? [];
        list.push({ ...candidate, name });
        variants.set(name, list);
        if (list.length > 1) continue; // reported below, once for all variants
      }
      const existing = chosen.get(name);
      if (existing !== undefined && (seenHere.has(name) || !allowModuleOverrides)) {
        problems.push({
          code: "DUPLICATE_NODE",
          node: name,
          message: seenHere.has(name)
            ? `Node "${name}" is defined twice in module #${moduleIndex} ("${existing.exportName}" and "${exportName}"). Rename one of them.`
            : `Node "${name}" is defined in more than one module ("${existing.exportName}" and "${exportName}" of module #${moduleIndex}). Rename one, or call allowModuleOverrides() to let the later module win.`,
        });
      }
      seenHere.add(name);
      chosen.set(name, { ...candidate, name });
    }
  });
  for (const [name, list] of variants) {
    if (list.length > 1) {
      problems.push({
        code: "DUPLICATE_NODE",
        node: name,
        message: `${list.length} variants of node "${name}" match the config (${list.map((c) => `"${c.exportName}"`).join(", ")}); exactly one may. Make their configWhen conditions exclusive.`,
      });
    }
  }
  return [...chosen.values()];
}
