import { suggest } from "./errors.js";
import type { Graph } from "./graph.js";

/** How many distinct unused input names one driver looks at; past it, new ones are not checked. */
const MAX_NAMES = 1000;

/**
 * Warns, once per name and driver, about an input that no node uses but whose name is close to
 * one an external input has (the Python spelling `doc_source` for `docSource`): it is ignored,
 * which is easy to miss. Extra inputs stay allowed, as in Hamilton: a name close to nothing is
 * not warned about. Warnings go to `console.warn`, like core's other warnings.
 */
export class UnusedInputs {
  readonly #graph: Graph;
  readonly #seen = new Set<string>();
  #inputNames: string[] | undefined;

  constructor(graph: Graph) {
    this.#graph = graph;
  }

  /** `name` was passed as an input and names no node of the graph. */
  check(name: string): void {
    if (this.#seen.has(name) || this.#seen.size >= MAX_NAMES) return;
    this.#seen.add(name);
    this.#inputNames ??= this.#graph.nodes.filter((n) => n.info.isExternalInput).map((n) => n.name);
    const close = suggest(name, this.#inputNames, 2);
    if (close.length === 0) return;
    console.warn(
      `execute(..., { inputs }): input "${name}" is used by no node, so it is ignored; ` +
        `did you mean ${close.map((c) => `"${c}"`).join(" or ")}? ` +
        `(Inputs no node uses are allowed; this is said once per name.)`,
    );
  }
}
