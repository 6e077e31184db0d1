/**
 * Stage 4 of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link makePlan}: for one shape of execute call (requested outputs, override names, given
 * inputs), which nodes run and where each value lives — slots, argument slots, consumers and
 * releases in flat `Int32Array`s, and a nested plan per fan-out. Checks the request (unknown
 * names, missing inputs). Plans are cached per driver; `run` executes them.
 */
import { HamiltonError, MissingInputsError, suggest, type MissingInput } from "./errors.js";
import type { Graph, GraphNode } from "./graph.js";
import { checkRequest } from "./request.js";

/**
 * What one shape of execute call needs: which nodes run, in which order, and where each value
 * lives. Plans depend only on the requested names, the override names and which inputs are given,
 * so they are cached per driver and a repeated call only copies a few typed arrays.
 */
export interface Plan {
  /** Slot of each graph node in this plan, or -1. Values of a run live in an array of slots. */
  readonly slotOf: Int32Array;
  /** The graph node of each slot. */
  readonly slotNode: readonly GraphNode[];
  /** Slots of the nodes to compute, in a valid execution order. */
  readonly compute: Int32Array;
  /** Slots whose value comes from the caller, with the name and whether it is an override. */
  readonly given: readonly { readonly slot: number; readonly name: string; readonly override: boolean }[];
  /** For each slot: how many computed dependencies must finish before it can run (a run counts them down). */
  readonly unfinishedDeps: Int32Array;
  /** For each slot: the computed slots that consume it. */
  readonly consumers: SlotLists;
  /** For each slot: how many computed nodes read it (to release values no one needs any more). */
  readonly uses: Int32Array;
  /**
   * For each computed slot: the slot of each dependency, in the order of the node's `depNames`
   * (-1: optional and absent; {@link PER_ITEM}: gathered from the item runs).
   */
  readonly argSlots: SlotLists;
  /** Slots of the requested outputs, in request order. */
  readonly outputSlots: Int32Array;
  /** True for slots that must be kept until the end (requested outputs). */
  readonly keep: Uint8Array;
  /** Slots with nothing to wait for, in execution order. */
  readonly ready: Int32Array;
  /** Names of the computed nodes in execution order (adapters' `executionPath`). */
  readonly executionPath: readonly string[];
  /** For each slot: the slots whose use count drops when it completes. */
  readonly release: SlotLists;
  /** For each parallelize slot that a planned collect gathers: how to run its per-item nodes. */
  readonly fanOuts: ReadonlyMap<number, FanOutPlan>;
}

/**
 * One list of slots per slot, all in one array: the list of slot `s` is `items[start[s]]` up to
 * (not including) `items[start[s + 1]]`. A run reads three such lists per node; three flat arrays
 * instead of three small arrays per node keep a large graph's run in fewer cache lines.
 */
export interface SlotLists {
  /** `start[s]` is where the list of slot `s` begins in `items`; `start[size]` is `items.length`. */
  readonly start: Int32Array;
  readonly items: Int32Array;
}

/** Packs one list per slot (undefined: empty) into {@link SlotLists}. */
function slotLists(lists: readonly (ArrayLike<number> | undefined)[]): SlotLists {
  const start = new Int32Array(lists.length + 1);
  for (let s = 0; s < lists.length; s++) start[s + 1] = start[s]! + (lists[s]?.length ?? 0);
  const items = new Int32Array(start[lists.length]!);
  for (let s = 0; s < lists.length; s++) {
    const list = lists[s];
    if (list !== undefined) for (let i = 0; i < list.length; i++) items[start[s]! + i] = list[i]!;
  }
  return { start, items };
}

/** The list of slot `s` in `lists`, as a copy (for code off the hot path). */
export function slotList(lists: SlotLists, s: number): Int32Array {
  return lists.items.slice(lists.start[s]!, lists.start[s + 1]!);
}

/** How to run the per-item nodes of one fan-out. */
export interface FanOutPlan {
  /** The parallelize node's name: each item run sees the item as its value. */
  readonly parallelizeName: string;
  /** The plan of one item's run: the per-item nodes the collect nodes need. */
  readonly plan: Plan;
  /** The names the item runs compute (and the collect nodes read as arrays). */
  readonly outputs: readonly string[];
  /** Values from the enclosing run each item run reads: [name, slot in the enclosing plan]. */
  readonly outer: readonly (readonly [string, number])[];
}

/** Argument slot marker of a collect node's per-item dependency (filled from the item runs). */
export const PER_ITEM = -2;

/** Checks a request against the graph and returns its plan; throws what execute would. */
export function makePlan(
  graph: Graph,
  finalVars: readonly string[],
  overrideNames: readonly string[],
  inputNames: ReadonlySet<string>,
): Plan {
  checkRequest(graph, finalVars, overrideNames, inputNames);
  return plan(graph, finalVars, overrideNames, inputNames);
}

/**
 * The plan of a fan-out task's block on a worker (`Driver.runTask`): like the engine's own item
 * plans, per-item nodes may be requested and overridden. Names must be nodes of the graph.
 */
export function makeTaskPlan(
  graph: Graph,
  outputs: readonly string[],
  overrideNames: readonly string[],
  inputNames: ReadonlySet<string>,
): Plan {
  const unknown = [...outputs, ...overrideNames].filter((n) => !graph.byName.has(n));
  if (unknown.length > 0) {
    throw new HamiltonError(
      "TASK_REFUSED",
      `The task names ${unknown.map((n) => `"${n}"`).join(", ")}, which this worker's graph does not have.`,
    );
  }
  return plan(graph, outputs, overrideNames, inputNames);
}

function plan(
  graph: Graph,
  finalVars: readonly string[],
  overrideNames: readonly string[],
  inputNames: ReadonlySet<string>,
): Plan {
  const { byName, nodes } = graph;
  const overrides = new Set(overrideNames);
  // Walk back from the outputs; overridden nodes are leaves.
  const slotOf = new Int32Array(nodes.length).fill(-1);
  const slotNode: GraphNode[] = [];
  const stack: GraphNode[] = [];
  for (const name of finalVars) stack.push(byName.get(name)!);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (slotOf[n.index] !== -1) continue;
    slotOf[n.index] = slotNode.length;
    slotNode.push(n);
    if (overrides.has(n.name) || n.fn === undefined) continue;
    for (const d of n.planDeps) if (slotOf[d] === -1) stack.push(nodes[d]!);
  }

  const size = slotNode.length;
  const given: { slot: number; name: string; override: boolean }[] = [];
  const isComputed = new Uint8Array(size);
  const missing = new Map<string, string[]>();
  for (let s = 0; s < size; s++) {
    const n = slotNode[s]!;
    if (overrides.has(n.name)) given.push({ slot: s, name: n.name, override: true });
    else if (n.fn === undefined) {
      if (inputNames.has(n.name)) given.push({ slot: s, name: n.name, override: false });
    } else isComputed[s] = 1;
  }

  // Missing inputs: required by a computed node of the plan, or requested as an output.
  const givenSlots = new Uint8Array(size);
  for (const g of given) givenSlots[g.slot] = 1;
  const argSlotsBySlot: (Int32Array | undefined)[] = new Array(size);
  for (let s = 0; s < size; s++) {
    if (!isComputed[s]) continue;
    const n = slotNode[s]!;
    const args = new Int32Array(n.depIndex.length);
    n.depIndex.forEach((d, k) => {
      if (n.perItem[k] === true) {
        args[k] = PER_ITEM;
        return;
      }
      const ds = slotOf[d]!;
      const present = ds !== -1 && (isComputed[ds] === 1 || givenSlots[ds] === 1);
      if (present) args[k] = ds;
      else {
        args[k] = -1;
        if (!n.depOptional[k]) {
          const list = missing.get(nodes[d]!.name) ?? [];
          list.push(n.name);
          missing.set(nodes[d]!.name, list);
        }
      }
    });
    argSlotsBySlot[s] = args;
  }
  for (const name of finalVars) {
    const s = slotOf[byName.get(name)!.index]!;
    if (!isComputed[s] && !givenSlots[s] && !missing.has(name)) missing.set(name, ["(requested as an output)"]);
  }
  if (missing.size > 0) {
    const computed = graph.nodes.filter((n) => n.fn !== undefined).map((n) => n.name);
    const list: MissingInput[] = [...missing]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, neededBy]) => {
        const variants = graph.unmatchedVariants.get(name);
        const didYouMean = variants === undefined ? suggest(name, computed, 2) : [];
        return {
          name,
          neededBy: neededBy.sort(),
          ...(didYouMean.length > 0 ? { didYouMean } : {}),
          ...(variants !== undefined ? { variants } : {}),
        };
      });
    throw new MissingInputsError(list);
  }

  // Topological order of the computed slots (Kahn), counting computed dependencies. A node waits
  // for its plan dependencies (a collect node also for what its per-item nodes read).
  const unfinishedDeps = new Int32Array(size);
  const uses = new Int32Array(size);
  const consumerLists: number[][] = Array.from({ length: size }, () => []);
  const release: (number[] | undefined)[] = new Array(size);
  const fanOuts = fanOutPlans(graph, slotNode, slotOf, isComputed, givenSlots);
  for (let s = 0; s < size; s++) {
    if (!isComputed[s]) continue;
    const n = slotNode[s]!;
    const reads: number[] = [];
    // Plan dependencies are distinct within a node, so each slot appears once.
    for (const d of n.planDeps) {
      const a = slotOf[d]!;
      if (a === -1 || (!isComputed[a] && !givenSlots[a])) continue;
      reads.push(a);
    }
    // The item runs of a fan-out are shared by all its collect nodes and read the whole fan-out's
    // outer values: every collect node waits for all of them, not only for its own.
    const fanOut = n.kind === "collect" && n.collectsFrom !== -1 ? fanOuts.get(slotOf[n.collectsFrom]!) : undefined;
    if (fanOut !== undefined) {
      for (const [, a] of fanOut.outer) if (!reads.includes(a)) reads.push(a);
    }
    release[s] = reads;
    for (const a of reads) {
      uses[a]! += 1;
      if (isComputed[a]) {
        unfinishedDeps[s]! += 1;
        consumerLists[a]!.push(s);
      }
    }
  }
  const order: number[] = [];
  const remaining = unfinishedDeps.slice();
  // Ready nodes in declaration order, so independent nodes start in the order they were written.
  const initial: number[] = [];
  for (let s = 0; s < size; s++) if (isComputed[s] && remaining[s] === 0) initial.push(s);
  initial.sort((a, b) => slotNode[a]!.index - slotNode[b]!.index);
  const ready = initial.slice();
  for (let head = 0; head < ready.length; head++) {
    const s = ready[head]!;
    order.push(s);
    for (const c of consumerLists[s]!) if (--remaining[c]! === 0) ready.push(c);
  }

  const keep = new Uint8Array(size);
  const outputSlots = new Int32Array(finalVars.length);
  finalVars.forEach((name, i) => {
    const s = slotOf[byName.get(name)!.index]!;
    outputSlots[i] = s;
    keep[s] = 1;
  });

  return {
    slotOf,
    slotNode,
    compute: Int32Array.from(order),
    given,
    unfinishedDeps,
    consumers: slotLists(consumerLists),
    uses,
    argSlots: slotLists(argSlotsBySlot),
    outputSlots,
    keep,
    ready: Int32Array.from(initial),
    executionPath: order.map((s) => slotNode[s]!.name),
    release: slotLists(release),
    fanOuts,
  };
}

/** One fan-out plan per fan-out that a planned collect node gathers. */
function fanOutPlans(
  graph: Graph,
  slotNode: readonly GraphNode[],
  slotOf: Int32Array,
  isComputed: Uint8Array,
  givenSlots: Uint8Array,
): Map<number, FanOutPlan> {
  const byParallelize = new Map<number, { outputs: Set<string>; outer: Set<number> }>();
  for (let s = 0; s < slotNode.length; s++) {
    const n = slotNode[s]!;
    if (!isComputed[s] || n.kind !== "collect" || n.collectsFrom === -1) continue;
    const parallelizeSlot = slotOf[n.collectsFrom]!;
    const entry = byParallelize.get(parallelizeSlot) ?? { outputs: new Set<string>(), outer: new Set<number>() };
    n.depIndex.forEach((d, k) => {
      if (n.perItem[k] === true) entry.outputs.add(graph.nodes[d]!.name);
    });
    for (const d of n.planDeps) {
      const a = slotOf[d]!;
      if (a !== -1 && a !== parallelizeSlot && (isComputed[a] || givenSlots[a])) entry.outer.add(a);
    }
    byParallelize.set(parallelizeSlot, entry);
  }
  const fanOuts = new Map<number, FanOutPlan>();
  for (const [parallelizeSlot, { outputs, outer }] of byParallelize) {
    const parallelizeName = slotNode[parallelizeSlot]!.name;
    const outerList = [...outer].map((a) => [slotNode[a]!.name, a] as const);
    const givenNames = [parallelizeName, ...outerList.map(([name]) => name)];
    // Built by the engine from a checked plan: no request to check.
    const itemPlan = plan(graph, [...outputs], givenNames, new Set());
    fanOuts.set(parallelizeSlot, { parallelizeName, plan: itemPlan, outputs: [...outputs], outer: outerList });
  }
  return fanOuts;
}
