/**
 * The store's records: what the tracker produces and every reader of the store reads. Every record
 * is plain JSON data (no class instances, no user values: values appear only as {@link ValueSummary}).
 *
 * Run and node records are *snapshots*: a later record with the same key replaces an earlier one
 * (a run's `RUNNING` record is followed by its `SUCCESS`/`FAILURE` record; a node's `RUNNING` record
 * by its final one). Times are milliseconds since the Unix epoch.
 */

/**
 * What the engine's cache did for a node run (the lifecycle's `CacheOutcome`): `hit` (the node did
 * not run; its result is the stored one), `miss`, `recompute` (the node is never answered from the
 * cache), `disabled`.
 */
export type CacheOutcome = "hit" | "miss" | "recompute" | "disabled";

/**
 * Why a node run was not answered from the cache, checked in this order against what the cache
 * last held for the node (and fan-out task): `new` (nothing stored for it yet), `code` (its code
 * version changed, `from` → `to`), `dependency` (that dependency's value changed; an input counts
 * as a dependency), `config` (its bound values or config changed), `unkeyed` (no key could be made:
 * a value that cannot be fingerprinted, a store that cannot be written; `detail` says which).
 */
export type CacheMissReason =
  | { readonly kind: "new" }
  | { readonly kind: "code"; readonly from: string; readonly to: string }
  | { readonly kind: "dependency"; readonly name: string }
  | { readonly kind: "config" }
  | { readonly kind: "unkeyed"; readonly detail?: string | undefined };

/** One column of a {@link ValueSummary} of kind `table`. */
export interface TableColumn {
  readonly name: string;
  /** The values' type: `number`, `string`, `boolean`, `date`, `object`, `array`, `mixed`, ... */
  readonly type: string;
  /** Rows where the column is missing, `null` or `undefined`. */
  readonly missing: number;
  /** For a number column: its statistics (over the rows sampled). */
  readonly stats?: NumericStats | undefined;
  /** For other columns: the most frequent values (previews, secrets redacted) and their counts. */
  readonly top?: readonly { readonly value: string; readonly count: number }[] | undefined;
  /** Distinct values seen (over the rows sampled). */
  readonly distinct?: number | undefined;
}

/** A Hamilton UI project id (the UI uses integers; a local store accepts any string). */
export type ProjectId = string | number;

/** The status of a run or a node run. */
export type RunStatus = "RUNNING" | "SUCCESS" | "FAILURE";

/**
 * The status of a node run: a {@link RunStatus}, or `UNKNOWN`, which no tracker writes: a reader
 * of the store (`RunFold`) derives it for a node run still `RUNNING` in a run that ended (its
 * worker died before it said how the node ended); its `error` says so.
 */
export type NodeRunStatus = RunStatus | "UNKNOWN";

/** A thrown value, made safe to store: bounded in size, secrets in it redacted. */
export interface ErrorInfo {
  /** The error's `name` (or its class name, or `typeof` for thrown non-errors). */
  readonly type: string;
  readonly message: string;
  /** The stack trace, when there is one. */
  readonly stack: string | undefined;
  /** The error's `cause`, one level deep, when there is one. */
  readonly cause: ErrorInfo | undefined;
}

/** Statistics of an array of numbers (Hamilton's numeric column statistics). */
export interface NumericStats {
  /** Finite numbers counted (non-finite values, `null` and `undefined` count as missing). */
  readonly count: number;
  readonly missing: number;
  readonly zeros: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Sample standard deviation (n − 1), as pandas computes it; null below two values. */
  readonly std: number | null;
  /** Linear-interpolated quantiles, keyed `"0.1"`, `"0.25"`, `"0.5"`, `"0.75"`, `"0.9"`. */
  readonly quantiles: Readonly<Record<string, number>> | null;
  /** Ten equal-width bins from min to max; each bin holds `lo < x <= hi` (the first also `x = lo`). */
  readonly histogram: readonly { readonly lo: number; readonly hi: number; readonly count: number }[];
}

/**
 * A bounded, secret-free description of a value, by kind. Summaries never hold class instances, so
 * an object that keeps credentials (an OpenAI client, say) appears as its type name only.
 */
export type ValueSummary =
  | {
      readonly kind: "primitive";
      readonly type: "number" | "boolean" | "bigint" | "null" | "undefined" | "symbol";
      /** The value; bigints and symbols as strings, non-finite numbers as `"NaN"`, `"Infinity"`, ... */
      readonly value: number | boolean | string | null;
    }
  | {
      readonly kind: "string";
      readonly length: number;
      /** The first characters (see `SummaryLimits.maxStringPreview`), secrets in them redacted. */
      readonly preview: string;
      readonly truncated: boolean;
    }
  | {
      readonly kind: "array";
      readonly length: number;
      /** Summaries of the first items. */
      readonly items: readonly ValueSummary[];
      readonly truncated: boolean;
    }
  | ({
      readonly kind: "numeric_array";
      /** `Array`, or the typed array's class (`Float64Array`, ...). */
      readonly type: string;
      readonly length: number;
      /** The first values. */
      readonly head: readonly (number | null)[];
      /** True when the statistics cover only the first `SummaryLimits.maxStatsItems` values. */
      readonly sampled: boolean;
    } & NumericStats)
  | {
      readonly kind: "object";
      /** `Object`, `Map`, or `null-prototype`. */
      readonly type: string;
      /** Number of keys (entries, for a Map) counted, at most `SummaryLimits.maxCountKeys`. */
      readonly size: number;
      /** Summaries of the first keys' values. */
      readonly entries: Readonly<Record<string, ValueSummary>>;
      readonly truncated: boolean;
    }
  | {
      readonly kind: "set";
      readonly size: number;
      readonly items: readonly ValueSummary[];
      readonly truncated: boolean;
    }
  | { readonly kind: "date" /** ISO 8601, or null for an invalid date. */; readonly value: string | null }
  | { readonly kind: "error"; readonly type: string; readonly message: string }
  | { readonly kind: "binary"; readonly type: string; readonly byteLength: number }
  | { readonly kind: "function"; readonly name: string }
  /** A class instance: its type name only, never its fields (`"generator"`, `"async generator"` for those). */
  | { readonly kind: "instance"; readonly type: string }
  /**
   * An array of plain objects sharing keys (rows): a table, as Hamilton summarises a DataFrame —
   * row count, per column its type, missing count and statistics or most frequent values, and the
   * first rows (each value summarised).
   */
  | {
      readonly kind: "table";
      readonly rows: number;
      readonly columns: readonly TableColumn[];
      /** The first rows, column name → summary. */
      readonly head: readonly Readonly<Record<string, ValueSummary>>[];
      /** True when the columns' figures cover only a sample of the rows. */
      readonly sampled: boolean;
      /** How many rows (the first ones) the columns' figures cover: `rows` unless `sampled`. */
      readonly sampledRows?: number | undefined;
    }
  /** A value under a key that looks like a secret. */
  | { readonly kind: "redacted" }
  /** Nested deeper than `SummaryLimits.maxDepth`, or the time budget ran out. */
  | { readonly kind: "truncated"; readonly reason: "depth" | "time" }
  /** `captureDataStatistics: false`. */
  | { readonly kind: "disabled" }
  /** Summarising the value failed (a throwing getter, a hostile proxy, ...); the run is unaffected. */
  | { readonly kind: "observability_failure"; readonly message: string };

/** One node of a DAG template. */
export interface NodeTemplate {
  readonly name: string;
  /** The function the node came from (differs from `name` for variants and modifiers). */
  readonly functionName: string;
  /** Every dependency, required and optional, in declaration order. */
  readonly dependencies: readonly string[];
  /** The dependencies that have a default value. */
  readonly optionalDependencies: readonly string[];
  readonly tags: Readonly<Record<string, string | readonly string[]>>;
  readonly documentation: string;
  /**
   * The source text of the node's own function (never its file), with secret-looking literals
   * redacted; `""` for external inputs.
   */
  readonly source: string;
  /** `input` for a value the caller provides, `transform` for a function. */
  readonly classification: "input" | "transform";
  /** The node's role in the graph (`transform`, `input`, `expand`, `collect`). */
  readonly kind: string;
  /** Hash of the node's source (`NodeInfo.version`). */
  readonly version: string;
  /**
   * The file the function is written in, relative to the working directory of the tracked process
   * (absolute outside it); undefined for inputs and when it could not be found.
   */
  readonly sourceFile?: string | undefined;
  /** The 1-based line the function starts on in {@link sourceFile}. */
  readonly sourceLine?: number | undefined;
  /**
   * True when {@link source} is the original text found through the code's source map (or the
   * code ran untransformed); false when only the compiled text could be found.
   */
  readonly sourceMapped?: boolean | undefined;
}

/** The structure and code of a graph, recorded once per graph version. */
export interface DagTemplateRecord {
  readonly type: "dag_template";
  /** `GraphInfo.version`: runs refer to their template by it. */
  readonly graphVersion: string;
  readonly dagName: string;
  /** SHA-256 of the graph's structure (names, kinds, dependencies). */
  readonly dagHash: string;
  /** SHA-256 of the nodes' sources. */
  readonly codeHash: string;
  readonly createdAt: number;
  /** The graph's configuration, summarised and redacted. */
  readonly config: Readonly<Record<string, ValueSummary>>;
  /** The tracker's tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** Every node, sorted by name. */
  readonly nodes: readonly NodeTemplate[];
}

/** A run of a graph: a `RUNNING` record when it starts, the final one when it ends. */
export interface RunRecord {
  readonly type: "run";
  /** The engine's run id (a UUID). */
  readonly runId: string;
  readonly dagName: string;
  readonly graphVersion: string;
  readonly dagHash: string;
  readonly codeHash: string;
  readonly username: string;
  /** The machine the run ran on (`os.hostname()`). */
  readonly host?: string | undefined;
  /** The process that ran it. */
  readonly pid?: number | undefined;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly durationMs: number | undefined;
  /** The requested outputs. */
  readonly finalVars: readonly string[];
  /** The caller's inputs (config values excluded), summarised and redacted. */
  readonly inputs: Readonly<Record<string, ValueSummary>>;
  /** Names of the overridden nodes (their values are not recorded). */
  readonly overrides: readonly string[];
  /** The graph's configuration, summarised and redacted. */
  readonly config: Readonly<Record<string, ValueSummary>>;
  readonly tags: Readonly<Record<string, string>>;
  /** The run's error, for a `FAILURE`. */
  readonly error: ErrorInfo | undefined;
}

/** One attempt of one node in a run: a `RUNNING` record when it starts, the final one when it ends. */
export interface NodeRunRecord {
  readonly type: "node_run";
  readonly runId: string;
  /** The node's name. */
  readonly node: string;
  /** The task of a dynamic fan-out, or undefined. */
  readonly taskId: string | undefined;
  /** 1 for the first attempt; retries count up. */
  readonly attempt: number;
  readonly status: NodeRunStatus;
  readonly startTime: number;
  readonly endTime: number | undefined;
  /** Time spent in the node function, in milliseconds. */
  readonly durationMs: number | undefined;
  /** Summary of the node's value, for a `SUCCESS`. */
  readonly result: ValueSummary | undefined;
  /** The node's own error with its stack, for a `FAILURE`. */
  readonly error: ErrorInfo | undefined;
  /**
   * Non-fatal problems reported for this node run (`ctx.warn`, `checkOutput` with `importance:
   * "warn"`): at most the first 100, each redacted and cut to 2,000 characters.
   */
  readonly warnings: readonly string[] | undefined;
  /** Warnings past the first 100, counted and not kept. */
  readonly warningsDropped?: number | undefined;
  /** The OpenTelemetry trace id another adapter left in the node event's `attributes.trace_id`. */
  readonly traceId: string | undefined;
  /** The OpenTelemetry span id another adapter left in the node event's `attributes.span_id`. */
  readonly spanId: string | undefined;
  /**
   * What the engine's cache did for this node run (`hit`: the node did not run, its result and
   * warnings are the stored ones; `miss`, `recompute`, `disabled`), from the node event's `cache`;
   * undefined when the driver has no cache (`Builder.withCache`).
   */
  readonly cache?: CacheOutcome | undefined;
  /** The cache key the node run was looked up (and, on a miss, stored) under. */
  readonly cacheKey?: string | undefined;
  /** For a `hit`: the run whose stored result this node run replayed. */
  readonly cacheFromRun?: string | undefined;
  /** For a `miss`: why the cache could not answer (see {@link CacheMissReason}). */
  readonly cacheMissReason?: CacheMissReason | undefined;
  /**
   * Distributed runs (`Builder.withTaskExecutor`): the worker process that ran this node run,
   * `<host>:<pid>`; undefined for node runs in the run's own process.
   */
  readonly worker?: string | undefined;
  /**
   * Distributed runs: the delivery of the task this node run belongs to (1 first; a task re-run
   * after its worker died counts up); undefined for node runs in the run's own process.
   */
  readonly taskAttempt?: number | undefined;
}

/** Anything the tracker hands to a sink. */
export type TrackerRecord = DagTemplateRecord | RunRecord | NodeRunRecord;

/** The key under which a node record replaces earlier ones: `taskId-node`, or the node's name. */
export function nodeRunKey(record: Pick<NodeRunRecord, "node" | "taskId">): string {
  return record.taskId === undefined ? record.node : `${record.taskId}-${record.node}`;
}
