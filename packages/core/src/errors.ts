import { defineErrorMarker, errorOptions } from "@hamilton-ts/lifecycle/internal";

/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_NODE`: a function cannot be a node (its parameters cannot be read, it is a class, ...).
 * - `DUPLICATE_NODE`: two functions produce the same node name.
 * - `CYCLE`: the dependencies form a cycle.
 * - `CONFIG_CONFLICT`: a config key has the name of a node.
 * - `ADAPTER_VALIDATION`: an adapter's validator rejected a node or the graph.
 * - `VALIDATION_FAILED`: build problems of several kinds (see `problems`).
 * - `UNKNOWN_OUTPUTS`: `execute` was asked for a node that does not exist.
 * - `UNKNOWN_OVERRIDES`: an override names a node that does not exist.
 * - `INVALID_INPUTS`: inputs that conflict with config or name computed nodes.
 * - `MISSING_INPUTS`: required external inputs were not provided.
 * - `NODE_FAILED`: a node threw or rejected; the node's own error is the `cause`.
 * - `ABORTED`: the run's `signal` fired.
 * - `ABANDONED`: a node did not stop within the grace period after its run stopped, and the run
 *   gave up on it (in the node's after-event); also an adapter's graph-level hook that did not
 *   settle in time after a stop, and a node attempt a wrapper started after the stop.
 * - `TOO_MANY_ITEMS`: a `parallelize` node produced more items than `withMaxFanOutItems` allows.
 * - `INVALID_ARGUMENT`: an API was called with a value of the wrong kind.
 * - `DATA_VALIDATION`: a node's result failed a `checkOutput` of importance `fail`.
 * - `TASK_REFUSED`: `Driver.runTask` was given a task made for another graph version.
 * - `TASK_FAILED`: a task executor (`Builder.withTaskExecutor`) could not run a fan-out task: a
 *   value that cannot cross processes, no worker took it in time, its queue is unreachable.
 */
export type HamiltonErrorCode =
  | "INVALID_NODE"
  | "DUPLICATE_NODE"
  | "CYCLE"
  | "CONFIG_CONFLICT"
  | "ADAPTER_VALIDATION"
  | "VALIDATION_FAILED"
  | "UNKNOWN_OUTPUTS"
  | "UNKNOWN_OVERRIDES"
  | "INVALID_INPUTS"
  | "MISSING_INPUTS"
  | "NODE_FAILED"
  | "ABORTED"
  | "ABANDONED"
  | "TOO_MANY_ITEMS"
  | "INVALID_ARGUMENT"
  | "DATA_VALIDATION"
  | "TASK_REFUSED"
  | "TASK_FAILED";

const MARKER = defineErrorMarker<HamiltonError>("hamilton-ts.error", "HamiltonError");

/** Options of {@link HamiltonError}. */
export interface HamiltonErrorOptions {
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base of every error hamilton-ts throws. Branch on `code`; use {@link HamiltonError.isInstance}
 * rather than `instanceof`, which fails when two copies of the package are installed.
 */
export class HamiltonError extends Error {
  /** What went wrong; see {@link HamiltonErrorCode}. */
  readonly code: HamiltonErrorCode;
  constructor(code: HamiltonErrorCode, message: string, options: HamiltonErrorOptions = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
  }

  /** True for any hamilton-ts error, from any copy of the package. */
  static isInstance(error: unknown): error is HamiltonError {
    return MARKER.isInstance(error);
  }
}

/** One problem found while building a graph. */
export interface BuildProblem {
  readonly code: Exclude<HamiltonErrorCode, "VALIDATION_FAILED">;
  /** The node (or function) concerned, when there is one. */
  readonly node: string | undefined;
  readonly message: string;
}

/**
 * `Builder.build()` found problems. Every problem is listed in `problems` and in the message; `code`
 * is the problems' code when they are all of one kind, else `VALIDATION_FAILED`.
 */
export class GraphBuildError extends HamiltonError {
  /** Every problem found, not only the first. */
  readonly problems: readonly BuildProblem[];

  constructor(problems: readonly BuildProblem[]) {
    const codes = new Set(problems.map((p) => p.code));
    const code = codes.size === 1 ? problems[0]!.code : "VALIDATION_FAILED";
    const header =
      problems.length === 1 ? "The dataflow has a problem:" : `The dataflow has ${problems.length} problems:`;
    super(code, `${header}\n${problems.map((p) => `  - [${p.code}] ${p.message}`).join("\n")}`);
    this.name = "GraphBuildError";
    this.problems = problems;
  }
}

/** One required input that was not provided, and the nodes that need it. */
export interface MissingInput {
  readonly name: string;
  readonly neededBy: readonly string[];
  /** Node names close to `name` (a misspelt dependency becomes an external input). */
  readonly didYouMean?: readonly string[];
  /** When `name` is a node whose `configWhen*` variants all declined the config: each variant and its condition. */
  readonly variants?: readonly string[];
}

/** `execute` was called without some required inputs; all of them are listed. */
export class MissingInputsError extends HamiltonError {
  readonly missing: readonly MissingInput[];

  constructor(missing: readonly MissingInput[]) {
    const list = missing.map((m) => {
      let text = `"${m.name}" (needed by ${m.neededBy.map((n) => `"${n}"`).join(", ")}`;
      if (m.variants !== undefined && m.variants.length > 0) {
        text +=
          `; it is a node whose configWhen variants all decline the config: ${m.variants.join(", ")}. ` +
          `Set the config so that one matches, or pass "${m.name}" as an input`;
      }
      if (m.didYouMean !== undefined && m.didYouMean.length > 0) {
        text += `; did you mean ${m.didYouMean.map((n) => `"${n}"`).join(" or ")}?`;
      }
      return `${text})`;
    });
    super(
      "MISSING_INPUTS",
      `Missing required input${missing.length === 1 ? "" : "s"}: ${list.join(", ")}. ` +
        `Pass ${missing.length === 1 ? "it" : "them"} in execute(..., { inputs: { ${missing
          .map((m) => m.name)
          .join(", ")} } }) or in withConfig(...).`,
    );
    this.name = "MissingInputsError";
    this.missing = missing;
  }
}

/**
 * A node threw or rejected. `nodeName` says which; `cause` is the node's own error, unchanged.
 */
export class NodeExecutionError extends HamiltonError {
  /** The node that failed. */
  readonly nodeName: string;
  /** The fan-out task the node ran in, if any. */
  readonly taskId: string | undefined;

  constructor(nodeName: string, cause: unknown, taskId?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("NODE_FAILED", `Node "${nodeName}"${taskId ? ` (task ${taskId})` : ""} failed: ${reason}`, { cause });
    this.name = "NodeExecutionError";
    this.nodeName = nodeName;
    this.taskId = taskId;
  }
}

/**
 * Suggests the closest names for a misspelt one, best first, as Python's
 * `difflib.get_close_matches` does: names that differ only in case or `_` (`spend_mean` for
 * `spendMean`) first, then names whose similarity ratio (`SequenceMatcher.ratio()`: twice the
 * matched characters over both lengths, compared case- and `_`-insensitively) is at least 0.6.
 * So a one-letter slip in a short name is caught (`dd` → `d`), while a long name is not close to
 * every short one.
 */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: Array<[string, number]> = [];
  const plain = normalize(name);
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const other = normalize(candidate);
    // Same name but for case and `_`: above any ratio.
    if (other === plain) scored.push([candidate, 2]);
    else if (quickRatio(plain, other) >= CUTOFF) {
      const r = ratio(plain, other);
      if (r >= CUTOFF) scored.push([candidate, r]);
    }
  }
  scored.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return scored.slice(0, max).map(([c]) => c);
}

/** `difflib.get_close_matches`' default cutoff. */
const CUTOFF = 0.6;

/** Lower case, without `_`: how Python and TypeScript spellings of one name meet. */
function normalize(name: string): string {
  return name.toLowerCase().replaceAll("_", "");
}

/** An upper bound of {@link ratio} from the lengths alone (`SequenceMatcher.real_quick_ratio`). */
function quickRatio(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * Math.min(a.length, b.length)) / total;
}

/**
 * `SequenceMatcher(None, a, b).ratio()`: the longest common block, then the same on each side of
 * it, recursively; twice the characters matched over both lengths.
 */
function ratio(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matched(a, 0, a.length, b, 0, b.length)) / total;
}

function matched(a: string, aLo: number, aHi: number, b: string, bLo: number, bHi: number): number {
  // The longest block a[i, i+size) === b[j, j+size), earliest in `a`, then in `b`.
  let bestI = aLo;
  let bestJ = bLo;
  let best = 0;
  let prev = new Int32Array(bHi - bLo + 1);
  let cur = new Int32Array(bHi - bLo + 1);
  for (let i = aLo; i < aHi; i++) {
    for (let j = bLo; j < bHi; j++) {
      const k = a[i] === b[j] ? prev[j - bLo]! + 1 : 0;
      cur[j - bLo + 1] = k;
      if (k > best) {
        best = k;
        bestI = i - k + 1;
        bestJ = j - k + 1;
      }
    }
    [prev, cur] = [cur, prev];
  }
  if (best === 0) return 0;
  return best + matched(a, aLo, bestI, b, bLo, bestJ) + matched(a, bestI + best, aHi, b, bestJ + best, bHi);
}
