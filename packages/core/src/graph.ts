/**
 * Stage 3 of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link buildGraph}: collects candidates, expands them to drafts, then wires the drafts
 * into a validated {@link Graph} — external inputs added, dependencies resolved to indices,
 * consumers listed, cycles and fan-out rules checked (`graph-rules.ts`), every problem reported (not only the first)
 * — and the adapters' view of it (`GraphInfo`, `NodeInfo` whose sources and versions are found
 * lazily, by `node-sources.ts`). The graph is built once per `Builder.build()` and shared by every
 * execute.
 */
import type { CacheBehavior } from "./cache.js";
import { createHash } from "node:crypto";
import type { GraphInfo, NodeInfo, NodeKind, TagValue } from "@hamilton-ts/lifecycle";
import { recordClass } from "@hamilton-ts/lifecycle/internal";
import { collectCandidates } from "./candidates.js";
import { expandCandidate, plainDraft, type Draft } from "./drafts.js";
import type { BuildProblem } from "./errors.js";
import { specOf } from "./modifiers.js";
import { findCycles, wireFanOuts, type MutableGraphNode } from "./graph-rules.js";
import { NodeSources, type NodeSource } from "./node-sources.js";
import { sha256Hex } from "./sha256.js";

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
  /**
   * The compiled text of the node's function as V8 runs it (`Function.prototype.toString`), which
   * acorn reads; `info.source` is the original text (TypeScript), found lazily.
   */
  readonly compiledSource: string;
  /**
   * What the node waits for in a plan: its dependencies, except for a collect node, which waits
   * for its fan-out's parallelize node and everything the per-item nodes read from outside.
   */
  readonly planDeps: readonly number[];
  /** For a collect node, the index of its parallelize node; else -1. */
  readonly collectsFrom: number;
  /** For a collect node, which dependencies (parallel to `depNames`) arrive as per-item arrays. */
  readonly perItem: readonly boolean[];
  /** For a node that runs once per item, the index of its parallelize node; else -1. */
  readonly parallelizedBy: number;
  /**
   * Makes the node's (empty) kwargs object: a plain record with a constructor of its own per node
   * (lifecycle's `recordClass`), so that a large graph's kwargs do not fill the hidden-class tree
   * every `{}` in the process shares.
   */
  readonly Kwargs: new () => Record<string, unknown>;
  /** What the node's code version covers beyond its source (see `Draft.codeInputs`). */
  readonly codeInputs: unknown;
  /** The `cache` modifier's behaviour, if any. */
  readonly cacheBehavior: CacheBehavior | undefined;
}

/** External inputs take no kwargs; they share one constructor that is never called. */
const INPUT_KWARGS = recordClass();

/** The empty lists most nodes have (no optional dependency, no per-item arguments): one, frozen, shared. */
const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_FLAGS: readonly boolean[] = Object.freeze([]);
/** Below this length, an array filled by push has room to spare (V8 grows an empty one to 17). */
const SPARE = 17;
/** The consumers of a node nothing depends on (a node with consumers gets an array of its own). */
const NO_INDICES: readonly number[] = Object.freeze([]);
/** `ALL_REQUIRED[n]`: `n` times `false`, the `depOptional` of every node with `n` dependencies, none optional. */
const ALL_REQUIRED: readonly (readonly boolean[])[] = Array.from({ length: 16 }, (_, n) =>
  Object.freeze(Array.from({ length: n }, () => false)),
);

/** A built, validated graph. */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly byName: ReadonlyMap<string, GraphNode>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly info: GraphInfo;
  /**
   * Names of nodes that only `configWhen*` variants define and none of which matched the config,
   * with each variant and its condition (for the message when such a name is missing at execute).
   */
  readonly unmatchedVariants: ReadonlyMap<string, readonly string[]>;
}

/** An external input's source: none, and a version from its name. */
function inputSource(name: string): NodeSource {
  return {
    text: "",
    file: undefined,
    line: undefined,
    mapped: false,
    version: sha256Hex(`input:${name}`).slice(0, 16),
  };
}

class NodeInfoImpl implements NodeInfo {
  #source: NodeSource | undefined;
  readonly #sources: NodeSources | undefined;
  readonly #sourceIndex: number;
  constructor(
    readonly name: string,
    readonly dependencies: readonly string[],
    readonly optionalDependencies: readonly string[],
    readonly tags: Readonly<Record<string, TagValue>>,
    readonly isExternalInput: boolean,
    readonly kind: NodeKind,
    readonly documentation: string,
    sources: NodeSources | undefined,
    sourceIndex: number,
    readonly functionName: string,
  ) {
    this.#sources = sources;
    this.#sourceIndex = sourceIndex;
  }

  /** Found on first read, for every node of the graph at once (see `node-sources.ts`). */
  #found(): NodeSource {
    this.#source ??= this.#sources === undefined ? inputSource(this.name) : this.#sources.get(this.#sourceIndex);
    return this.#source;
  }

  get source(): string {
    return this.#found().text;
  }

  get sourceFile(): string | undefined {
    return this.#found().file;
  }

  get sourceLine(): number | undefined {
    return this.#found().line;
  }

  get sourceMapped(): boolean | undefined {
    return this.isExternalInput ? undefined : this.#found().mapped;
  }

  get version(): string {
    return this.#found().version;
  }

  toJSON(): object {
    return {
      ...this,
      source: this.source,
      sourceFile: this.sourceFile,
      sourceLine: this.sourceLine,
      sourceMapped: this.sourceMapped,
      version: this.version,
    };
  }
}

class GraphInfoImpl implements GraphInfo {
  #version: string | undefined;
  #nodes: readonly NodeInfo[] | undefined;
  readonly #graphNodes: readonly GraphNode[];
  readonly #byName: ReadonlyMap<string, GraphNode>;

  constructor(
    graphNodes: readonly GraphNode[],
    byName: ReadonlyMap<string, GraphNode>,
    readonly config: Readonly<Record<string, unknown>>,
  ) {
    this.#graphNodes = graphNodes;
    this.#byName = byName;
  }

  /** Sorted on first read: a build with no adapter reading it does not sort. */
  get nodes(): readonly NodeInfo[] {
    this.#nodes ??= this.#graphNodes
      .map((n) => n.info)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.#nodes;
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

  toJSON(): object {
    return { config: this.config, nodes: this.nodes };
  }
}

/** Options of {@link buildGraph}. */
export interface BuildOptions {
  readonly config: Readonly<Record<string, unknown>>;
  /** Later modules replace earlier ones' nodes of the same name instead of failing. */
  readonly allowModuleOverrides: boolean;
  /**
   * Whether a node's source is looked up through source maps (the original text, file and line;
   * default true) or is the compiled text (`Builder.withSourceMaps(false)`).
   */
  readonly sourceMaps?: boolean | undefined;
}

/**
 * Turns modules into a graph: every function-valued, non-`_` property becomes its node(s);
 * dependencies come from each function's destructured parameter; dependencies no function
 * produces become external inputs. Returns the graph and every problem found (it never stops at
 * the first).
 */
export function buildGraph(
  modules: readonly object[],
  options: BuildOptions,
): { graph: Graph | undefined; problems: BuildProblem[] } {
  const problems: BuildProblem[] = [];
  const { config } = options;

  // 1. Functions → nodes, modifiers applied; a function without modifiers (the common case) goes
  // straight to its one draft.
  const unmatchedVariants = new Map<string, string[]>();
  const candidates = collectCandidates(modules, config, options.allowModuleOverrides, problems, unmatchedVariants);
  const drafts: Draft[] = [];
  // Name → index: the drafts' first (in order), then the external inputs'.
  const index = new Map<string, number>();
  const context = { config, problems };
  for (const candidate of candidates) {
    if (specOf(candidate.value) === undefined) {
      const draft = plainDraft(candidate, context);
      if (draft !== undefined) addDraft(draft, drafts, index, problems);
    } else {
      for (const draft of expandCandidate(candidate, context)) addDraft(draft, drafts, index, problems);
    }
  }
  for (const key of Object.keys(config)) {
    const produced = index.get(key);
    if (produced !== undefined) {
      problems.push({
        code: "CONFIG_CONFLICT",
        node: key,
        message: `Config key "${key}" has the name of a node (${drafts[produced]!.origin}), so it is unclear which value "${key}" is. Rename the config key, or pass the value as an override at execute time.`,
      });
    }
  }

  // 2. One pass over every dependency, which makes each node: its dependencies resolved to
  // indices (external inputs — dependencies no function produces — get theirs below), a node that
  // depends on itself, and "__proto__", which cannot be a key of the plain objects names are
  // looked up in (kwargs, inputs): assigning it would set a prototype instead of a value.
  const sources = new NodeSources(options.sourceMaps !== false);
  const inputs = new Set<string>();
  const nodes: MutableGraphNode[] = [];
  // The nodes that depend on an external input, whose index is known once the inputs are sorted.
  const waiting: number[] = [];
  // Every dependency an earlier node or an external input: then there is no cycle to look for.
  let ordered = true;
  // Any parallelize or collect node: only then are fan-outs wired.
  let fanOuts = false;
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    const deps = d.deps;
    const count = deps.length;
    // Filled by push, not preallocated: packed arrays, which the run reads per node.
    let names: string[] = [];
    let depIndex: number[] = [];
    let optionalNames: string[] | undefined;
    // The optional flags of a node with more dependencies than the shared all-false lists cover.
    const flags: boolean[] | undefined = count < ALL_REQUIRED.length ? undefined : [];
    let selfDependency = false;
    let protoDependency = false;
    let waits = false;
    for (let k = 0; k < count; k++) {
      const dep = deps[k]!;
      const name = dep.name;
      names.push(name);
      const j = index.get(name);
      if (j === undefined) {
        inputs.add(name);
        depIndex.push(-1);
        waits = true;
      } else {
        depIndex.push(j);
        if (j >= i) ordered = false;
      }
      if (name === d.name) selfDependency = true;
      if (name === "__proto__") protoDependency = true;
      if (dep.optional) (optionalNames ??= []).push(name);
      flags?.push(dep.optional);
    }
    if (count > 0 && count < SPARE) {
      // A pushed array keeps room for 17 elements: the graph, which lives as long as its driver,
      // keeps exact copies (the most common nodes have one or two dependencies).
      names = names.slice();
      depIndex = depIndex.slice();
    }
    if (waits) waiting.push(i);
    if (d.kind !== "transform") fanOuts = true;
    if (selfDependency) {
      problems.push({
        code: "CYCLE",
        node: d.name,
        message: `Node "${d.name}" depends on itself: ${d.name} -> ${d.name}.`,
      });
    }
    if (d.name === "__proto__" || protoDependency) {
      problems.push({
        code: "INVALID_NODE",
        node: d.name,
        message:
          d.name === "__proto__"
            ? `A node cannot be named "__proto__" (${d.origin}): it is the one name JavaScript objects treat specially. Rename it.`
            : `Node "${d.name}" (${d.origin}) has a dependency named "__proto__", the one name JavaScript objects treat specially. Rename the parameter (or bind it with inject(...)).`,
      });
    }
    const info = new NodeInfoImpl(
      d.name,
      names,
      optionalNames ?? NO_NAMES,
      d.tags,
      false,
      d.kind,
      d.doc,
      sources,
      sources.add(d.sourceFn),
      d.functionName,
    );
    nodes.push({
      index: i,
      name: d.name,
      kind: d.kind,
      fn: d.call as GraphNode["fn"],
      usesContext: d.usesContext,
      depNames: names,
      depOptional: flags ?? (optionalNames === undefined ? ALL_REQUIRED[count]! : deps.map((dep) => dep.optional)),
      depIndex,
      consumers: NO_INDICES,
      info,
      compiledSource: d.source,
      planDeps: depIndex,
      collectsFrom: -1,
      perItem: NO_FLAGS,
      parallelizedBy: -1,
      Kwargs: recordClass(),
      codeInputs: d.codeInputs,
      cacheBehavior: d.cacheBehavior,
    });
  }
  // Every config key is an input too.
  for (const key of Object.keys(config)) if (!index.has(key)) inputs.add(key);
  for (const name of [...inputs].sort()) {
    const i = nodes.length;
    index.set(name, i);
    nodes.push({
      index: i,
      name,
      kind: "input",
      fn: undefined,
      usesContext: false,
      depNames: [],
      depOptional: [],
      depIndex: [],
      consumers: NO_INDICES,
      info: new NodeInfoImpl(name, [], [], {}, true, "input", "", undefined, -1, name),
      compiledSource: "",
      planDeps: [],
      collectsFrom: -1,
      perItem: NO_FLAGS,
      parallelizedBy: -1,
      Kwargs: INPUT_KWARGS,
      codeInputs: undefined,
      cacheBehavior: undefined,
    });
  }

  // 3. The external inputs' indices, then each node's consumers (in node order).
  for (const i of waiting) {
    const { depNames, depIndex } = nodes[i]!;
    const resolved = depIndex as number[];
    for (let k = 0; k < resolved.length; k++) if (resolved[k] === -1) resolved[k] = index.get(depNames[k]!)!;
  }
  for (const v of nodes) {
    // Dependency names are distinct within a node (the signature reader, node() and bind() ensure it).
    const depIndex = v.depIndex;
    for (let k = 0; k < depIndex.length; k++) {
      const producer = nodes[depIndex[k]!]!;
      if (producer.consumers === NO_INDICES) producer.consumers = [v.index];
      else (producer.consumers as number[]).push(v.index);
    }
  }

  // 4. Cycles, then fan-outs (which assume an acyclic graph).
  const cycles = ordered ? [] : findCycles(nodes);
  for (const cycle of cycles) {
    const path = [...cycle, cycle[0]].join(" -> ");
    problems.push({
      code: "CYCLE",
      node: cycle[0],
      message: `The dependencies form a cycle: ${path}. Break it by removing one of these dependencies.`,
    });
  }
  if (cycles.length === 0 && fanOuts) wireFanOuts(nodes, problems);

  if (problems.length > 0) return { graph: undefined, problems };
  // The name → index map already built, read through: no second map of every name.
  const byName = new NodesByName(index, nodes);
  const info = new GraphInfoImpl(nodes, byName, config);
  return { graph: { nodes, byName, config, info, unmatchedVariants }, problems };
}

/** Nodes by name, read through the build's name → index map (in node order, as it was filled). */
class NodesByName implements ReadonlyMap<string, GraphNode> {
  readonly #index: ReadonlyMap<string, number>;
  readonly #nodes: readonly GraphNode[];

  constructor(index: ReadonlyMap<string, number>, nodes: readonly GraphNode[]) {
    this.#index = index;
    this.#nodes = nodes;
  }

  get size(): number {
    return this.#index.size;
  }

  get(name: string): GraphNode | undefined {
    const i = this.#index.get(name);
    return i === undefined ? undefined : this.#nodes[i];
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  keys(): MapIterator<string> {
    return this.#index.keys();
  }

  *values(): MapIterator<GraphNode> {
    for (const i of this.#index.values()) yield this.#nodes[i]!;
  }

  *entries(): MapIterator<[string, GraphNode]> {
    for (const [name, i] of this.#index) yield [name, this.#nodes[i]!];
  }

  [Symbol.iterator](): MapIterator<[string, GraphNode]> {
    return this.entries();
  }

  forEach(
    callback: (value: GraphNode, key: string, map: ReadonlyMap<string, GraphNode>) => void,
    thisArg?: unknown,
  ): void {
    for (const [name, i] of this.#index) callback.call(thisArg, this.#nodes[i]!, name, this);
  }
}

/** Adds a draft under its name, or reports the name as produced twice. */
function addDraft(draft: Draft, drafts: Draft[], index: Map<string, number>, problems: BuildProblem[]): void {
  const other = index.get(draft.name);
  if (other !== undefined) {
    problems.push({
      code: "DUPLICATE_NODE",
      node: draft.name,
      message: `Node "${draft.name}" is produced twice: by ${drafts[other]!.origin} and by ${draft.origin}. Rename one of them.`,
    });
    return;
  }
  index.set(draft.name, drafts.length);
  drafts.push(draft);
}
