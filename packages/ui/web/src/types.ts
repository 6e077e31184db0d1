/** The read API's shapes, as the page uses them (the server's `read-api.ts` and the tracker's records). */

/** A run's or node run's status. */
export type Status = "RUNNING" | "SUCCESS" | "FAILURE" | string;

/** One run of `GET /api/runs`. */
export interface RunSummary {
  readonly runId: string;
  readonly projectId: string;
  readonly dagName: string;
  readonly dagVersion: string;
  readonly status: Status;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly nodeCount: number;
  readonly failedCount: number;
  readonly traceId: string | undefined;
}

/** A thrown value as the tracker stores it. */
export interface ErrorInfo {
  readonly type: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause: ErrorInfo | undefined;
}

/** Numeric statistics of a `numeric_array` summary. */
export interface NumericStats {
  readonly count: number;
  readonly missing: number;
  readonly zeros: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  readonly quantiles: Readonly<Record<string, number>> | null;
  readonly histogram: readonly { readonly lo: number; readonly hi: number; readonly count: number }[];
}

/** The tracker's bounded description of a value. */
export type ValueSummary =
  | { readonly kind: "primitive"; readonly type: string; readonly value: number | boolean | string | null }
  | { readonly kind: "string"; readonly length: number; readonly preview: string; readonly truncated: boolean }
  | {
      readonly kind: "array";
      readonly length: number;
      readonly items: readonly ValueSummary[];
      readonly truncated: boolean;
    }
  | ({
      readonly kind: "numeric_array";
      readonly type: string;
      readonly length: number;
      readonly head: readonly (number | null)[];
      readonly sampled: boolean;
    } & NumericStats)
  | {
      readonly kind: "object";
      readonly type: string;
      readonly size: number;
      readonly entries: Readonly<Record<string, ValueSummary>>;
      readonly truncated: boolean;
    }
  | {
      readonly kind: "set";
      readonly size: number;
      readonly items: readonly ValueSummary[];
      readonly truncated: boolean;
    }
  | { readonly kind: "date"; readonly value: string | null }
  | { readonly kind: "error"; readonly type: string; readonly message: string }
  | { readonly kind: "binary"; readonly type: string; readonly byteLength: number }
  | { readonly kind: "function"; readonly name: string }
  | { readonly kind: "instance"; readonly type: string }
  | { readonly kind: "redacted" }
  | { readonly kind: "truncated"; readonly reason: string }
  | { readonly kind: "disabled" }
  | { readonly kind: "observability_failure"; readonly message: string };

/** One node of a DAG template. */
export interface NodeTemplate {
  readonly name: string;
  readonly functionName: string;
  readonly dependencies: readonly string[];
  readonly optionalDependencies: readonly string[];
  readonly tags: Readonly<Record<string, string | readonly string[]>>;
  readonly documentation: string;
  readonly source: string;
  readonly classification: string;
  readonly kind: string;
  readonly version: string;
}

/** A DAG template. */
export interface DagTemplate {
  readonly graphVersion: string;
  readonly dagName: string;
  readonly nodes: readonly NodeTemplate[];
}

/** A run record with where it is stored. */
export interface RunRecord {
  readonly runId: string;
  readonly projectId: string;
  readonly dagName: string;
  readonly graphVersion: string;
  readonly username: string;
  readonly status: Status;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly durationMs: number | undefined;
  readonly finalVars: readonly string[];
  readonly error: ErrorInfo | undefined;
  readonly finished: boolean;
}

/** One attempt of one node. */
export interface NodeRun {
  readonly node: string;
  readonly taskId: string | undefined;
  readonly attempt: number;
  readonly status: Status;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly durationMs: number | undefined;
  readonly result: ValueSummary | undefined;
  readonly error: ErrorInfo | undefined;
  readonly warnings: readonly string[] | undefined;
  readonly warningsDropped?: number | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  readonly cache?: string | undefined;
}

/** `GET /api/runs/:runId`. */
export interface RunDetail {
  readonly run: RunRecord;
  readonly template: DagTemplate | undefined;
  readonly nodeRuns: readonly NodeRun[];
}

/** An attribute value of a span. */
export type AttributeValue = string | number | boolean | null | readonly unknown[] | Readonly<Record<string, unknown>>;

/** One span of `GET /api/traces/:traceId`. */
export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number | string | undefined;
  readonly startTime: number;
  readonly endTime: number;
  readonly durationMs: number;
  readonly status: { readonly code?: number | string; readonly message?: string } | undefined;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { readonly name: string; readonly attributes?: Readonly<Record<string, AttributeValue>> }[];
  readonly resource: Readonly<Record<string, AttributeValue>> | undefined;
}

/** `GET /api/traces/:traceId`. */
export interface TraceDetail {
  readonly traceId: string;
  readonly spans: readonly Span[];
}
