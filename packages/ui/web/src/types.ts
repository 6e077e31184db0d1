/**
 * The read API's shapes, as the page uses them: the server's answers (`src/read-api.ts`,
 * `src/traces.ts`) and the tracker's records. Type-only imports: nothing of the server or the
 * tracker is bundled into the page.
 */
import type {
  CacheMissReason,
  ErrorInfo,
  NodeRunRecord,
  NodeTemplate,
  NumericStats,
  TableColumn,
  ValueSummary,
} from "@hamilton-ts/store";
import type { LlmUsage } from "../../src/llm-usage.js";
import type { RunDetail, RunSummary, TraceDetail } from "../../src/read-api.js";
import type { SpanView } from "../../src/traces.js";

export type {
  CacheMissReason,
  ErrorInfo,
  LlmUsage,
  NodeTemplate,
  NumericStats,
  RunDetail,
  RunSummary,
  TableColumn,
  TraceDetail,
  ValueSummary,
};

/** A run's or node run's status: the tracker's, or another word a future version may send. */
export type Status = NodeRunRecord["status"] | (string & {});

/** A DAG template. */
export type DagTemplate = NonNullable<RunDetail["template"]>;

/** A run record with its project and whether it has ended. */
export type RunRecord = RunDetail["run"];

/** One attempt of one node. */
export type NodeRun = NodeRunRecord;

/** One span of `GET /api/traces/:traceId`. */
export type Span = SpanView;

/** An attribute value of a span. */
export type AttributeValue = SpanView["attributes"][string];

/** A `table` value summary. */
export type TableSummary = Extract<ValueSummary, { kind: "table" }>;
