import { createHash } from "node:crypto";
import type { GraphInfo, NodeInfo, NodeKind, TagValue } from "@hamilton-ts/lifecycle";
import { type BuildProblem } from "./errors.js";
import { configMatches, specOf } from "./modifiers.js";
import { readSignature } from "./signature.js";

/** The engine's own view of one node. Index-based, so a run works on arrays. */
export interface GraphNode {
  readonly index: number;
  readonly name: string;
  readonly kind: NodeKind;
  /** The function called with `(dependencies, context)`; undefined for external inputs. */
  readonly fn: ((deps: Record<string, unknown>, ctx?: unknown) => unknown) | undefined;
  readonly usesContext: boolean;
  readonly depNames: readonly string[];
  readonly depOptional: readonly boolean[];
  /** Indices of the dependencies' nodes, parallel to `depNames`. */
  readonly depIndex: readonly number[];
  /** Indices of the nodes that depend on this one. */
  readonly consumers: readonly number[];
  readonly info: NodeInfo;
}

/** A built, validated graph. */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly byName: ReadonlyMap<string, GraphNode>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly info: GraphInfo;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

class NodeInfoImpl implements NodeInfo {
  #version: string | undefined;
  constructor(
    readonly name: string,
    readonly dependencies: readonly string[],
    readonly optionalDependencies: readonly string[],
    readonly tags: Readonly<Record<string, TagValue>>,
    readonly isExternalInput: boolean,
    readonly kind: NodeKind,
    readonly documentation: string,
    readonly source: string,
    readonly functionName: string,
  ) {}

  get version(): string {
    // Hashed on first read, once per graph: adapters that read it every run pay nothing more.
    this.#version ??= sha256(this.isExternalInput ? `input:${this.name}` : this.source).slice(0, 16);
    return this.#version;
  }

  toJSON(): object {
    return { ...this, version: this.version };
  }
}

class GraphInfoImpl implements GraphInfo {
  #version: string | undefined;
  readonly nodes: readonly NodeInfo[];
  readonly #byName: ReadonlyMap<string, GraphNode>;

  constructor(graphNodes: readonly GraphNode[], byName: ReadonlyMap<string, GraphNode>, readonly config: Readonly<Record<string, unknown>>) {
    this.nodes = graphNodes.map((n) => n.info).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#byName = byName;
  }

  node(name: string): NodeInfo | undefined {
    return this.#byName.get(name)?.info;
  }

  get version(): string {
    if (this.#version === undefined) {
      const hash = createHash("sha256");
      for (const n of this.nodes) {
        hash.update(`${n.name}\u0000${n.kind}\u0000${n.dependencies.join(",")}\u0000${n.version}\n`);
      }
      this.#version = hash.digest("hex").slice(0, 16);
    }
    return this.#version;
  }
}

/** One function found in the modules, before wiring. */
interface Candidate {
  readonly name: string;
  readonly exportName: string;
  readonly value: Function;
}

/** Options of {@link buildGraph}. */
export interface BuildOptions {
  readonly config: Readonly<Record<string, unknown>>;
  /** Later modules replace earlier ones' nodes of the same name instead of failing. */
  readonly allowModuleOverrides: boolean;
}

/**
 * Turns modules into a graph: every function-valued, non-`_` property is a node; dependencies come
 * from each function's destructured parameter; dependencies no function produces become external
 * inputs. Returns the graph and every problem found (it never stops at the first).
 */
export function buildGraph(
  modules: readonly object[],
  options: BuildOptions,
): { graph: Graph | undefined; problems: BuildProblem[] } {
  const problems: BuildProblem[] = [];
  const { config } = options;

  // 1. Collect candidates, resolving config variants and duplicates.
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
      if (spec?.configWhen !== undefined) {
        const cut = exportName.lastIndexOf("__");
        if (cut > 0) name = exportName.slice(0, cut);
        if (!configMatches(spec.configWhen, config)) continue;
        const list = variants.get(name) ?? [];
        list.push({ name, exportName, value });
        variants.set(name, list);
      }
      const candidate = { name, exportName, value };
      const existing = chosen.get(name);
      if (existing !== undefined && (seenHere.has(name) || !options.allowModuleOverrides)) {
        if (!(spec?.configWhen !== undefined && variants.get(name)!.length > 1)) {
          problems.push({
            code: "DUPLICATE_NODE",
            node: name,
            message: seenHere.has(name)
              ? `Node "${name}" is defined twice in module #${moduleIndex} ("${existing.exportName}" and "${exportName}"). Rename one of them.`
              : `Node "${name}" is defined in more than one module ("${existing.exportName}" and "${exportName}" of module #${moduleIndex}). Rename one, or call allowModuleOverrides() to let the later module win.`,
          });
        }
      }
      seenHere.add(name);
      chosen.set(name, candidate);
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
  for (const key of Object.keys(config)) {
    if (chosen.has(key)) {
      problems.push({
        code: "CONFIG_CONFLICT",
        node: key,
        message: `Config key "${key}" has the name of a node, so it is unclear which value "${key}" is. Rename the config key, or pass the value as an override at execute time.`,
      });
    }
  }

  // 2. Read every function's dependencies.
  interface Draft {
    name: string;
    candidate: Candidate | undefined;
    fn: Function | undefined;
    usesContext: boolean;
    deps: readonly { readonly name: string; readonly optional: boolean }[];
    tags: Readonly<Record<string, TagValue>>;
    doc: string;
  }
  const drafts: Draft[] = [];
  for (const candidate of chosen.values()) {
    const spec = specOf(candidate.value);
    const fn = spec?.fn ?? candidate.value;
    let deps = spec?.dependencies;
    let usesContext = spec?.usesContext ?? false;
    if (deps === undefined) {
      const signature = readSignature(fn);
      if (!signature.ok) {
        const hint = signature.reason.includes("class")
          ? `Prefix the export with _ if it is not a node.`
          : `Declare its dependencies explicitly with node(["dep1", "dep2"], fn).`;
        problems.push({
          code: "INVALID_NODE",
          node: candidate.name,
          message: `"${candidate.exportName}" cannot be a node: ${signature.reason}. ${hint}`,
        });
        continue;
      }
      deps = signature.dependencies;
      usesContext = signature.usesContext;
    }
    for (const d of deps) {
      if (d.name === candidate.name) {
        problems.push({
          code: "CYCLE",
          node: candidate.name,
          message: `Node "${candidate.name}" depends on itself: ${candidate.name} -> ${candidate.name}.`,
        });
      }
    }
    drafts.push({
      name: candidate.name,
      candidate,
      fn,
      usesContext,
      deps: deps as Draft["deps"],
      tags: spec?.tags ?? {},
      doc: spec?.doc ?? "",
    });
  }

  // 3. External inputs: dependencies no function produces (config keys included).
  const produced = new Set(drafts.map((d) => d.name));
  const inputs = new Map<string, { optional: boolean }>();
  for (const draft of drafts) {
    for (const dep of draft.deps) {
      if (produced.has(dep.name)) continue;
      const prev = inputs.get(dep.name);
      inputs.set(dep.name, { optional: (prev?.optional ?? true) && dep.optional });
    }
  }
  // Every config key is an input too (Hamilton's rule), so nodes and callers can read it.
  for (const key of Object.keys(config)) if (!produced.has(key) && !inputs.has(key)) inputs.set(key, { optional: true });
  for (const name of [...inputs.keys()].sort()) {
    drafts.push({ name, candidate: undefined, fn: undefined, usesContext: false, deps: [], tags: {}, doc: "" });
  }

  // 4. Wire indices.
  const index = new Map<string, number>();
  drafts.forEach((d, i) => index.set(d.name, i));
  const consumers: number[][] = drafts.map(() => []);
  drafts.forEach((d, i) => {
    // Dependency names are distinct within a node (the signature reader and node() ensure it).
    for (const dep of d.deps) consumers[index.get(dep.name)!]!.push(i);
  });
  const nodes: GraphNode[] = drafts.map((d, i) => {
    const isInput = d.fn === undefined;
    const info = new NodeInfoImpl(
      d.name,
      d.deps.map((x) => x.name),
      d.deps.filter((x) => x.optional).map((x) => x.name),
      d.tags,
      isInput,
      isInput ? "input" : "transform",
      d.doc,
      d.fn === undefined ? "" : Function.prototype.toString.call(d.fn),
      d.candidate?.exportName ?? d.name,
    );
    return {
      index: i,
      name: d.name,
      kind: info.kind,
      fn: d.fn as GraphNode["fn"],
      usesContext: d.usesContext,
      depNames: info.dependencies,
      depOptional: d.deps.map((x) => x.optional),
      depIndex: d.deps.map((x) => index.get(x.name)!),
      consumers: consumers[i]!,
      info,
    };
  });

  // 5. Cycles.
  for (const cycle of findCycles(nodes)) {
    if (cycle.length === 1) continue; // self-dependency, reported above
    const path = [...cycle, cycle[0]].join(" -> ");
    problems.push({
      code: "CYCLE",
      node: cycle[0],
      message: `The dependencies form a cycle: ${path}. Break it by removing one of these dependencies.`,
    });
  }

  if (problems.length > 0) return { graph: undefined, problems };
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const info = new GraphInfoImpl(nodes, byName, config);
  return { graph: { nodes, byName, config, info }, problems };
}

/** Finds one cycle per strongly connected component (iterative Tarjan), as lists of node names. */
function findCycles(nodes: readonly GraphNode[]): string[][] {
  const n = nodes.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      const deps = nodes[v]!.depIndex;
      if (i < deps.length) {
        frame[1] = i + 1;
        const w = deps[i]!;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, order[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) cycles.push(cyclePath(nodes, new Set(component)));
      }
    }
  }
  return cycles;
}

/** Walks dependencies inside one strongly connected component until a node repeats. */
function cyclePath(nodes: readonly GraphNode[], component: ReadonlySet<number>): string[] {
  const start = Math.min(...component);
  const path: number[] = [];
  const at = new Map<number, number>();
  let v = start;
  while (!at.has(v)) {
    at.set(v, path.length);
    path.push(v);
    v = nodes[v]!.depIndex.find((w) => component.has(w))!;
  }
  // Dependencies point backwards in data flow: reverse so the path reads producer -> consumer,
  // then start from the node declared first.
  const cycle = path.slice(at.get(v)).reverse();
  const first = cycle.indexOf(Math.min(...cycle));
  return [...cycle.slice(first), ...cycle.slice(0, first)].map((i) => nodes[i]!.name);
}
